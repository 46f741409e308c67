/**
 * `Registration`: how one I/O source reaches the reactor (tokio's `Registration` over its
 * `ScheduledIo`). Streams, listeners, connecting sockets and the sources users register through
 * the `reactor()` facade each hold one; nothing else touches the token table or epoll.
 *
 * Contract:
 * - A registration owns a token (with its generation) and its fd from construction to
 *   {@link Registration.close}. If the constructor throws (no `init()`, too many sources), it has
 *   closed the fd already: whoever creates an fd hands it over at once and never leaks it.
 * - The fd joins the epoll set once, for both directions, edge-triggered (`EPOLLET | EPOLLIN |
 *   EPOLLOUT | EPOLLRDHUP`), the first time a task has to wait on it: a source that never waits
 *   (a short connection served in one go) costs no `epoll_ctl`. Adding an fd reports the readiness
 *   it has at that moment, so nothing that happened before is missed.
 * - `pollReadReady(waker)` / `pollWriteReady(waker)` return the readiness word when it says the
 *   direction is ready (data, space, an error, a hang-up, or for reading the peer's FIN); else
 *   they store the waker, look at the word once more (an event may land in between: the book's
 *   register, set_waker, then read) and return `PENDING`. Storing the waker a task already stored
 *   costs nothing. Each ready answer spends one unit of the task's cooperative budget
 *   (`Waker.consumeBudget`); when the budget is out they wake the task and return `PENDING`.
 * - Edge-triggered readiness, the one rule: an event is reported once, so the readiness it set is
 *   kept until an attempt shows it is gone. After a read or write made on an observed word, call
 *   {@link Registration.afterRead} / {@link Registration.afterWrite}: `EAGAIN` clears the
 *   direction (no data, no end of stream, no error pending); a *short* transfer (fewer bytes
 *   than asked, more than none) clears the data bit, as the buffer was emptied (or filled) then and
 *   any change raises a new edge; anything else keeps it, so a reader that stops at a cap of its
 *   own with bytes left is told "ready" at its next poll instead of waiting for an event that will
 *   not come. A clear takes only if no event came since the word was observed (its tick moved).
 * - Closing: {@link Registration.close} forgets the wakers, recycles the token (its generation
 *   moves on, so events still queued for the old source wake nobody), closes the fd, and then
 *   wakes the wakers it held: every task waiting on the source is polled again and fails with
 *   `IoError` `ECANCELED`, as does any later operation. Closing the last fd of a socket removes
 *   it from the epoll set (epoll(7)), so no `epoll_ctl(DEL)` is spent; that holds for fds this
 *   runtime creates and never duplicates. {@link Registration.deregister} (the facade's) removes
 *   the fd from the set and leaves it open.
 *
 * Implementation notes:
 * - The waker is *exported* from the polling executor (a number other threads can wake) and
 *   stored in the token table, where the reactor thread finds it; the previous one is released.
 * - With the inline reactor, the executor's own thread reads the events: it records them in the
 *   readiness word like the reactor thread, then wakes the waker objects this registration holds
 *   directly ({@link wakeRegistration}), without the round trip through the wake hub's inbox. The
 *   waker is still exported, which is how the executor knows a source may still wake it.
 * - A source is used from the thread that created it (its object cannot move); each thread has its
 *   own table of live registrations by token.
 * - Each registration notes its token and fd in the ownership table (`thread-owned.ts`) while it
 *   holds them, and un-notes them before it releases them: a thread that dies without closing its
 *   sources (`process.exit`, `terminate()`, out of memory) has them reclaimed by whoever joins it
 *   ({@link reclaimDeadSource}).
 *
 * @module
 */
import { IoError, RuntimeError } from "../errors.js";
import { PENDING, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import { EPOLLET, EPOLLIN, EPOLLOUT, EPOLLRDHUP, WOULD_BLOCK, close as closeFd, epollAdd, epollDelete } from "../sys/index.js";
import { currentExecutor, requireExecutor } from "./executor.js";
import type { ExportTable } from "./export-table.js";
import { writeLine } from "./output.js";
import { noteOwned, noteReleased } from "./thread-owned.js";
import { ERROR, HANGUP, READABLE, READ_CLOSED, READ_EVENTS, WRITABLE, WRITE_EVENTS, type TokenTable } from "./token-table.js";

/** What a source is waited on for: a bitset. */
export const Interest = Object.freeze({ READABLE: 1, WRITABLE: 2 } as const);
/** A bitset of `Interest.READABLE` and `Interest.WRITABLE`. */
export type Interest = number;

/** Anything with a file descriptor: `TcpStream`, `TcpListener`, `{ fd }`. */
export interface Source {
  readonly fd: number;
}

/** How a registration's errors name its source and the operation of each direction. */
export interface SourceNames {
  /** "TcpStream", "TcpListener", ... */
  readonly source: string;
  /** The operation that waits for reading ("read", "accept"). */
  readonly read: string;
  /** The operation that waits for writing ("write", "connect"). */
  readonly write: string;
}

/** Readiness that concerns a reader: data, an error, a hang-up, the peer's FIN. */
export const READ_READY = READABLE | ERROR | HANGUP | READ_CLOSED;
/** Readiness that concerns a writer: space, an error, a hang-up. */
export const WRITE_READY = WRITABLE | ERROR | HANGUP;

const EVENTS = EPOLLET | EPOLLIN | EPOLLOUT | EPOLLRDHUP;

/** This thread's view of the reactor's token table, set when the thread attaches to the reactor. */
let table: TokenTable | null = null;
/** This thread's registrations by token (the inline reactor wakes through them; the facade finds them). */
const live: (Registration | undefined)[] = [];

/** @internal Attaches this thread's registrations to the reactor's token table (done by `Reactor`). */
export function attachRegistrations(t: TokenTable): void {
  table = t;
}

function tokenTable(): TokenTable {
  if (table === null) throw new RuntimeError("the reactor is not running: call init() first");
  return table;
}

/**
 * One source's registration with the reactor.
 *
 * @example
 * ```ts
 * // A leaf future reading from a non-blocking fd of its own (sys.read returns WOULD_BLOCK on EAGAIN):
 * poll(waker: Waker): Poll<number> {
 *   for (;;) {
 *     const ready = this.registration.pollReadReady(waker);
 *     if (ready === PENDING) return PENDING;
 *     const n = sys.read(this.registration.fd, this.buf, 0, this.buf.length);
 *     this.registration.afterRead(ready, n, this.buf.length);
 *     if (n !== sys.WOULD_BLOCK) return n;
 *   }
 * }
 * ```
 */
export class Registration {
  /** The token events of this source carry (the facade's `id`). */
  readonly token: number;
  private sourceFd: number;
  private added = false;
  private open = true;
  private reader: Waker | null = null;
  private readerTable: ExportTable | null = null;
  private writer: Waker | null = null;
  private writerTable: ExportTable | null = null;

  /**
   * Takes `fd` (non-blocking; -1 for a facade source whose fd comes with `register`) and gives it a
   * token, with `assumed` readiness bits set until an `EAGAIN` says otherwise (an accepted
   * connection's request is usually there already; a new socket can be written). If this throws,
   * `fd` has been closed.
   */
  constructor(
    fd: number,
    readonly names: SourceNames,
    assumed = 0,
  ) {
    this.sourceFd = fd;
    try {
      const t = tokenTable();
      this.token = t.allocate();
      t.resetReadiness(this.token, assumed);
    } catch (e) {
      if (fd >= 0) closeFd(fd);
      throw e;
    }
    live[this.token] = this;
    if (fd >= 0) noteOwned(this.token, fd);
  }

  /** The source's file descriptor. */
  get fd(): number {
    return this.sourceFd;
  }

  /** True until {@link close} or {@link deregister}. */
  get isOpen(): boolean {
    return this.open;
  }

  /**
   * Adds the fd to the epoll set (both directions, edge-triggered) if it is not there yet. The
   * polls do it when they first wait; call it to register eagerly. `fd` gives a facade source its
   * fd (`reactor().register(source, ...)`).
   *
   * @throws IoError from `epoll_ctl` (`EEXIST`, `ENOMEM`, `ENOSPC`, ...): nothing is stored, and
   * the token stays the registration's until `close`.
   */
  register(fd?: number): void {
    this.checkOpen(this.names.read);
    if (this.added) {
      if (fd !== undefined && fd !== this.sourceFd)
        throw new RuntimeError(`id ${this.token} is registered for fd ${this.sourceFd} already`);
      return;
    }
    const t = table!;
    epollAdd(t.epfd, fd ?? this.sourceFd, EVENTS, this.token, t.generation(this.token));
    this.added = true;
    if (fd !== undefined && fd !== this.sourceFd) {
      this.sourceFd = fd;
      noteOwned(this.token, fd);
    }
  }

  /**
   * The readiness word if it says reading may progress (test it with the bits of
   * `token-table.ts`; hand it to {@link afterRead}); else `PENDING`, with `waker` stored and the
   * fd registered. Throws `IoError` `ECANCELED` once closed.
   */
  pollReadReady(waker: Waker): Poll<number> {
    if (!this.open) throw IoError.canceled(this.names.read, this.names.source);
    const t = table!;
    let ready = t.readiness(this.token);
    if ((ready & READ_READY) === 0) {
      if (!this.added) this.register();
      this.storeReader(waker);
      ready = t.readiness(this.token);
      if ((ready & READ_READY) === 0) return PENDING;
    }
    if (!waker.consumeBudget()) {
      waker.wake();
      return PENDING;
    }
    return ready;
  }

  /** As {@link pollReadReady}, for writing (hand the word to {@link afterWrite}). */
  pollWriteReady(waker: Waker): Poll<number> {
    if (!this.open) throw IoError.canceled(this.names.write, this.names.source);
    const t = table!;
    let ready = t.readiness(this.token);
    if ((ready & WRITE_READY) === 0) {
      if (!this.added) this.register();
      this.storeWriter(waker);
      ready = t.readiness(this.token);
      if ((ready & WRITE_READY) === 0) return PENDING;
    }
    if (!waker.consumeBudget()) {
      waker.wake();
      return PENDING;
    }
    return ready;
  }

  /**
   * Records what a read of up to `len` bytes, made when `observed` said ready, returned: `n` bytes,
   * 0 at end of stream, or `WOULD_BLOCK` (`EAGAIN`). See the module's rule.
   */
  afterRead(observed: number, n: number, len: number): void {
    if (n === WOULD_BLOCK) this.clearReadiness(observed, READ_READY);
    else if (n > 0 && n < len) this.clearReadiness(observed, READABLE);
  }

  /** Records what a write of up to `len` bytes, made when `observed` said ready, returned. */
  afterWrite(observed: number, n: number, len: number): void {
    if (n === WOULD_BLOCK) this.clearReadiness(observed, WRITE_READY);
    else if (n > 0 && n < len) this.clearReadiness(observed, WRITABLE);
  }

  /**
   * Clears `bits` if the readiness word is still `observed`; returns false when an event came in
   * between (the caller's next poll sees it). {@link afterRead} and {@link afterWrite} say when.
   */
  clearReadiness(observed: number, bits: number): boolean {
    return this.open && table!.clearReadiness(this.token, observed, bits);
  }

  /** @internal The readiness word as the events left it (bits of `token-table.ts`). */
  readiness(): number {
    this.checkOpen(this.names.read);
    return table!.readiness(this.token);
  }

  /** @internal Marks `bits` ready until an `EAGAIN` says otherwise (a connect that completed at once). */
  assumeReady(bits: number): void {
    if (this.open) table!.assumeReady(this.token, bits);
  }

  /**
   * Stores `waker` to be woken when the source may be ready in `interest`'s direction(s),
   * replacing the previous one of that direction, without looking at the readiness or adding the fd
   * to the epoll set (the facade's `setWaker`; the polls do all three). Call it inside a poll: the
   * waker is exported through the executor polling now.
   */
  setWaker(waker: Waker, interest: Interest): void {
    this.checkOpen((interest & Interest.READABLE) !== 0 ? this.names.read : this.names.write);
    if ((interest & Interest.READABLE) !== 0) this.storeReader(waker);
    if ((interest & Interest.WRITABLE) !== 0) this.storeWriter(waker);
  }

  /**
   * Forgets the wakers stored for both directions and gives back their exports, leaving the source
   * open and registered: events still update its readiness word, and wake nobody, so the next poll
   * that waits stores a waker again and misses nothing. For a source kept idle for later (a
   * connection pool's) or watched only while something waits (a thread channel's pidfds): it then
   * holds no executor's waker, so it neither keeps a run waiting nor hides a deadlock.
   */
  releaseWakers(): void {
    if (this.open) this.forgetWakers(table!);
  }

  /**
   * Deregisters and closes the fd, then wakes the tasks waiting on the source: their polls fail
   * with `IoError` `ECANCELED`. Closing twice is a no-op.
   */
  close(): void {
    if (!this.open) return;
    const reader = this.reader;
    const writer = this.writer;
    this.release();
    try {
      closeFd(this.sourceFd);
    } finally {
      wakeGuarded(reader);
      if (writer !== reader) wakeGuarded(writer);
    }
  }

  /**
   * The facade's `deregister`: removes the fd from the epoll set, forgets the wakers and recycles
   * the token; the fd stays open and nobody is woken (the caller is the one who stops waiting).
   */
  deregister(): void {
    if (!this.open) return;
    try {
      if (this.added) epollDelete(table!.epfd, this.sourceFd);
    } finally {
      this.release();
    }
  }

  /** @internal Wakes the wakers an event with `mask` concerns (the inline reactor). */
  wakeFor(mask: number): void {
    if ((mask & READ_EVENTS) !== 0) wakeGuarded(this.reader);
    if ((mask & WRITE_EVENTS) !== 0) wakeGuarded(this.writer);
  }

  private checkOpen(op: string): void {
    if (!this.open) throw IoError.canceled(op, this.names.source);
  }

  private storeReader(waker: Waker): void {
    const exports = this.exportTable(this.names.read);
    // The same waker of the same run is stored already (a task polled again): nothing to do.
    if (this.reader === waker && this.readerTable === exports) return;
    const old = table!.swapWaker(this.token, 1, exports.export(waker) + 1);
    if (old !== 0) this.readerTable?.release(old - 1);
    this.reader = waker;
    this.readerTable = exports;
  }

  private storeWriter(waker: Waker): void {
    const exports = this.exportTable(this.names.write);
    if (this.writer === waker && this.writerTable === exports) return;
    const old = table!.swapWaker(this.token, 2, exports.export(waker) + 1);
    if (old !== 0) this.writerTable?.release(old - 1);
    this.writer = waker;
    this.writerTable = exports;
  }

  /** The export table of the executor polling now (a waker is stored from inside a poll only). */
  private exportTable(op: string): ExportTable {
    const ex = currentExecutor();
    if (ex === null) requireExecutor(`${op} on a ${this.names.source}`);
    return ex!.exports!;
  }

  /** Empties both waker slots and releases their exports. */
  private forgetWakers(t: TokenTable): void {
    const r = t.swapWaker(this.token, 1, 0);
    if (r !== 0) this.readerTable?.release(r - 1);
    const w = t.swapWaker(this.token, 2, 0);
    if (w !== 0) this.writerTable?.release(w - 1);
    this.reader = this.writer = null;
    this.readerTable = this.writerTable = null;
  }

  /** Forgets the wakers, gives the token back (a new generation for its next user). */
  private release(): void {
    this.open = false;
    noteReleased(this.token);
    const t = table!;
    this.forgetWakers(t);
    live[this.token] = undefined;
    t.release(this.token);
  }
}

/**
 * @internal The inline reactor's wake: an event of `token` (already recorded, and current) wakes
 * the wakers its registration on this thread holds, directly.
 */
export function wakeRegistration(token: number, mask: number): void {
  live[token]?.wakeFor(mask);
}

/** @internal The registration of `token` on this thread (the facade's ids); throws if there is none. */
export function registrationOf(token: number): Registration {
  const r = Number.isInteger(token) ? live[token] : undefined;
  if (r === undefined) throw new RangeError(`no source is registered under id ${token} on this thread (ids come from nextId())`);
  return r;
}

/**
 * @internal Gives back a source that a thread which has died left registered (found in the
 * ownership table): takes it out of the epoll set, forgets its wakers (they belonged to the dead
 * thread's executors), recycles the token with a new generation, and closes the fd.
 */
export function reclaimDeadSource(token: number, fd: number): void {
  const t = tokenTable();
  try {
    epollDelete(t.epfd, fd);
  } catch {
    // Not in the set: the source never had to wait. Closing is all it needs.
  }
  t.swapWaker(token, 1, 0);
  t.swapWaker(token, 2, 0);
  t.release(token);
  closeFd(fd);
}

/** Wakes `waker` if any; a waker that throws is reported and the others still run. */
function wakeGuarded(waker: Waker | null): void {
  if (waker === null) return;
  try {
    waker.wake();
  } catch (e) {
    const ex = currentExecutor();
    if (ex !== null) ex.reportWakerError(e);
    else writeLine(2, `reactor-executor: a waker threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}
