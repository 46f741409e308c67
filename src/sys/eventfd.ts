/**
 * eventfd: a kernel counter with an fd, used to wake a thread blocked in `epoll_wait` (register it
 * for `EPOLLIN`, then {@link eventfdWrite} from any thread).
 *
 * Created non-blocking and close-on-exec. The 8-byte counter is moved through a two-word scratch
 * array, so no BigInt is involved.
 *
 * @module
 */
import * as c from "./libc.js";
import { endianness } from "node:os";
import { EAGAIN, EINTR, throwIoError } from "./errno.js";

const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
const TWO_POW_32 = 0x1_0000_0000;
// Which of the counter's two 32-bit words holds the low half (host byte order).
const LOW = endianness() === "LE" ? 0 : 1;
const HIGH = 1 - LOW;

// Per-thread scratch for the u64 counter (calls are synchronous; each worker has its own copy).
const counter = new Uint32Array(2);

/**
 * A new eventfd with counter 0, non-blocking and close-on-exec.
 *
 * @returns its fd.
 * @throws IoError (`EMFILE`, `ENFILE`, `ENOMEM`).
 */
export function eventfd(): number {
  for (;;) {
    const fd = c.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd >= 0) return fd;
    const e = c.errno();
    if (e !== EINTR) throwIoError("eventfd", e);
  }
}

/**
 * Adds `value` to the counter, making the fd readable (and waking an edge-triggered epoll).
 *
 * @param value - 1..2^32-1; the default 1 is all a wake-up needs.
 * @returns `false` if the counter is saturated (EAGAIN): a reader has not drained it yet, so the
 * fd is already readable and the wake-up this write was for is already pending.
 * @throws IoError (`EBADF`, ...).
 */
export function eventfdWrite(fd: number, value = 1): boolean {
  counter[LOW] = value;
  counter[HIGH] = 0;
  for (;;) {
    if (c.write(fd, counter, 8) === 8) return true;
    const e = c.errno();
    if (e === EAGAIN) return false;
    if (e !== EINTR) throwIoError("write", e);
  }
}

/**
 * Reads and resets the counter.
 *
 * @returns the counter's value (at least 1), or 0 when it was already 0 (EAGAIN: nothing to
 * drain; a non-semaphore eventfd never reads as 0 otherwise).
 * @throws IoError (`EBADF`, ...).
 */
export function eventfdRead(fd: number): number {
  for (;;) {
    if (c.read(fd, counter, 8) === 8) return counter[LOW]! + counter[HIGH]! * TWO_POW_32;
    const e = c.errno();
    if (e === EAGAIN) return 0;
    if (e !== EINTR) throwIoError("read", e);
  }
}
