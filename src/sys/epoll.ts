/**
 * epoll: the event queue the reactor waits on.
 *
 * The 64-bit `epoll_data_t` carried with each registration is used as two 32-bit halves, `lo`
 * (the reactor's token) and `hi` (its generation), read and written as plain numbers: no BigInt,
 * no allocation. Events come back in an {@link EpollEvents} buffer the caller owns and reuses, read
 * through index accessors, so a wait that returns a thousand events allocates nothing.
 *
 * `struct epoll_event` is `{ uint32_t events; epoll_data_t data; }`. glibc declares it packed on
 * x86_64 only (12 bytes, data at offset 4: the i386 layout kept for compat); every other ABI uses
 * natural alignment (16 bytes, data at offset 8). The layout is chosen once from `process.arch`.
 * On little-endian machines (both targets) `lo` is the lower-addressed word of `data`.
 *
 * Errors: EINTR is retried (see {@link epollWait} for the one exception), anything else throws
 * `IoError` through `throwIoError`.
 *
 * @module
 */
import { endianness } from "node:os";
import * as c from "./libc.js";
import { EINTR, throwIoError } from "./errno.js";

/** Readable (or a pending connection on a listener). */
export const EPOLLIN = 0x001;
/** Urgent data. */
export const EPOLLPRI = 0x002;
/** Writable (or a non-blocking connect finished, successfully or not). */
export const EPOLLOUT = 0x004;
/** Error pending on the fd (`SO_ERROR`); always reported, need not be requested. */
export const EPOLLERR = 0x008;
/** Hang-up: both directions closed; always reported, need not be requested. */
export const EPOLLHUP = 0x010;
/** The peer shut down its writing side (we will read EOF). */
export const EPOLLRDHUP = 0x2000;
/** Report only one event per wait for the whole set, per fd, until re-armed with `EPOLL_CTL_MOD`. */
export const EPOLLONESHOT = 0x40000000;
/** Edge-triggered: report a change of readiness once, not the readiness state on every wait. */
export const EPOLLET = 0x80000000;

/** `epoll_ctl` op: register an fd. */
export const EPOLL_CTL_ADD = 1;
/** `epoll_ctl` op: deregister an fd. */
export const EPOLL_CTL_DEL = 2;
/** `epoll_ctl` op: change an fd's interest or data. */
export const EPOLL_CTL_MOD = 3;

const EPOLL_CLOEXEC = 0o2000000;

/** `sizeof(struct epoll_event)` on this machine: 12 on x86_64 (packed), 16 elsewhere. */
export const EPOLL_EVENT_SIZE = process.arch === "x64" ? 12 : 16;

// The struct in 32-bit words: events at word 0, data at word 1 (x86_64) or 2; which of data's two
// words is the low half depends on byte order.
const STRIDE = EPOLL_EVENT_SIZE >>> 2;
const DATA = STRIDE === 3 ? 1 : 2;
const LO = endianness() === "LE" ? DATA : DATA + 1;
const HI = endianness() === "LE" ? DATA + 1 : DATA;

// One event struct for epoll_ctl, reused by every call on this thread (calls are synchronous and
// each worker has its own module instance, so nothing else can touch it mid-call).
const ctlEvent = new Uint32Array(4);

/**
 * A reusable buffer of `struct epoll_event`s for {@link epollWait}, with allocation-free accessors
 * for the i-th event's mask and data halves.
 */
export class EpollEvents {
  /** How many events one wait can return. */
  readonly capacity: number;
  /** The raw structs, as the kernel writes them. */
  readonly bytes: Uint8Array;
  private readonly words: Uint32Array;

  /** @param capacity - the most events one wait returns (more stay queued for the next wait). */
  constructor(capacity = 1024) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 0x7fffffff / EPOLL_EVENT_SIZE) {
      throw new RangeError(`EpollEvents capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.words = new Uint32Array(capacity * STRIDE);
    this.bytes = new Uint8Array(this.words.buffer);
  }

  /** The ready mask of event `i` (`EPOLLIN | EPOLLOUT | ...`). */
  events(i: number): number {
    return this.words[i * STRIDE]!;
  }

  /** The low 32 bits of event `i`'s data: the token given at registration. */
  lo(i: number): number {
    return this.words[i * STRIDE + LO]!;
  }

  /** The high 32 bits of event `i`'s data: the generation given at registration. */
  hi(i: number): number {
    return this.words[i * STRIDE + HI]!;
  }
}

/**
 * A new epoll instance, close-on-exec.
 *
 * @returns its fd.
 * @throws IoError (`EMFILE`, `ENFILE`, `ENOMEM`).
 */
export function epollCreate(): number {
  for (;;) {
    const fd = c.epoll_create1(EPOLL_CLOEXEC);
    if (fd >= 0) return fd;
    const e = c.errno();
    if (e !== EINTR) throwIoError("epoll_create1", e);
  }
}

/**
 * `epoll_ctl`: add, modify or delete `fd`'s registration in `epfd`.
 *
 * @param op - {@link EPOLL_CTL_ADD}, {@link EPOLL_CTL_MOD} or {@link EPOLL_CTL_DEL}.
 * @param events - the interest mask (`EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET`); ignored by DEL.
 * @param lo - low 32 bits of the data reported with each event (the token); ignored by DEL.
 * @param hi - high 32 bits of the data (the generation); ignored by DEL.
 * @throws IoError: `EEXIST` (ADD of a registered fd), `ENOENT` (MOD/DEL of an unregistered one),
 * `EBADF`, `EPERM` (an fd epoll cannot watch, such as a regular file), `ENOMEM`, `ENOSPC`.
 */
export function epollCtl(epfd: number, op: number, fd: number, events: number, lo: number, hi: number): void {
  ctlEvent[0] = events;
  ctlEvent[LO] = lo;
  ctlEvent[HI] = hi;
  for (;;) {
    // DEL still passes the struct: kernels before 2.6.9 required a non-NULL pointer.
    if (c.epoll_ctl(epfd, op, fd, ctlEvent) === 0) return;
    const e = c.errno();
    if (e !== EINTR) throwIoError("epoll_ctl", e);
  }
}

/** `epollCtl(epfd, EPOLL_CTL_ADD, fd, events, lo, hi)`. */
export function epollAdd(epfd: number, fd: number, events: number, lo: number, hi: number): void {
  epollCtl(epfd, EPOLL_CTL_ADD, fd, events, lo, hi);
}

/** `epollCtl(epfd, EPOLL_CTL_MOD, fd, events, lo, hi)`. */
export function epollModify(epfd: number, fd: number, events: number, lo: number, hi: number): void {
  epollCtl(epfd, EPOLL_CTL_MOD, fd, events, lo, hi);
}

/** `epollCtl(epfd, EPOLL_CTL_DEL, fd, 0, 0, 0)`. Deregister before closing the fd, always. */
export function epollDelete(epfd: number, fd: number): void {
  epollCtl(epfd, EPOLL_CTL_DEL, fd, 0, 0, 0);
}

/**
 * Waits for events on `epfd`, writing up to `out.capacity` of them into `out`.
 *
 * EINTR: with `timeoutMs === -1` (wait forever) the wait is retried; with a finite timeout it
 * returns 0 instead, as Go's netpoll does, because a retry with the same timeout would overshoot
 * the caller's deadline (its next timer). Callers already treat 0 as "woke with nothing".
 *
 * @param timeoutMs - milliseconds to wait; -1 forever, 0 to poll without blocking.
 * @returns how many events were written to `out` (0 on timeout).
 * @throws IoError (`EBADF`, `EINVAL`, `EFAULT`).
 */
export function epollWait(epfd: number, out: EpollEvents, timeoutMs: number): number {
  for (;;) {
    const n = c.epoll_wait(epfd, out.bytes, out.capacity, timeoutMs);
    if (n >= 0) return n;
    const e = c.errno();
    if (e !== EINTR) throwIoError("epoll_wait", e);
    if (timeoutMs >= 0) return 0;
  }
}
