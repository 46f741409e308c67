/**
 * The book's `Reactor`: `register`, `setWaker`, `deregister` and `nextId`, callable from any
 * thread. A source is anything with a numeric `fd`.
 *
 * Contract (DESIGN's concurrency rules):
 * - Sources are registered once, edge-triggered, for reading *and* writing (`EPOLLET | EPOLLIN |
 *   EPOLLOUT | EPOLLRDHUP`): no `epoll_ctl` per poll, whatever the task waits for next. With edges,
 *   a leaf future must drain the source until `EAGAIN` before it waits.
 * - The registration race: readiness can arrive before the waker is stored, and an edge is
 *   reported once. A leaf future therefore calls `setWaker` first and then retries its syscall
 *   once before returning `PENDING` (the book's order: register, set_waker, then read).
 * - One waker per direction per source, so a reader task and a writer task on one stream do not
 *   overwrite each other. `setWaker` always stores the most recent waker.
 * - Deregister before close, always: a closed fd number is reused at once, by any thread.
 * - Readiness: each event is also recorded in the token's readiness word (tokio's
 *   `ScheduledIo`), so the runtime's own leaf futures skip syscalls that would only say `EAGAIN`.
 *   Futures written against the four methods above do not need it.
 *
 * Implementation notes: the waker is *exported* from the polling executor (a number other threads
 * can wake), stored in the token table, and the previous one released; storing the same waker
 * again (the common case: a task polled repeatedly) is recognised locally and costs nothing.
 * A source is used from the thread that created it (its object cannot move), so the reactor keeps
 * per thread which export table each stored word came from.
 *
 * @module
 */
import { EPOLLET, EPOLLIN, EPOLLOUT, EPOLLRDHUP, epollAdd, epollDelete } from "../sys/index.js";
import { requireExecutor } from "./executor.js";
import type { ExportTable } from "./export-table.js";
import type { TokenTable } from "./token-table.js";
import type { ReactorMetrics } from "./metrics.js";
import type { Waker } from "../future/waker.js";

/** What a source is waited on for: a bitset. */
export const Interest = Object.freeze({ READABLE: 1, WRITABLE: 2 } as const);
/** A bitset of `Interest.READABLE` and `Interest.WRITABLE`. */
export type Interest = number;

/** Anything with a file descriptor: `TcpStream`, `TcpListener`, `{ fd }`. */
export interface Source {
  readonly fd: number;
}

const EVENTS = EPOLLET | EPOLLIN | EPOLLOUT | EPOLLRDHUP;

/**
 * The process's reactor, as seen from this thread. Get it with `reactor()` after `init()`.
 *
 * @example
 * ```ts
 * // inside a leaf future's poll, the book's order:
 * const r = reactor();
 * if (this.id < 0) { this.id = r.nextId(); r.register(this.stream, Interest.READABLE, this.id); }
 * r.setWaker(waker, this.id, Interest.READABLE);
 * const n = tryRead(); // retry once after storing the waker, then return PENDING on EAGAIN
 * ```
 */
export class Reactor {
  /**
   * Which run's export table each stored waker word came from, by `2 * token + dir - 1`: a word
   * swapped out is released there. Per thread, like the sources that use it.
   */
  private readonly owners: (ExportTable | undefined)[] = [];
  /** The waker object behind each stored word, by the same index: storing it again is free. */
  private readonly stored: (Waker | undefined)[] = [];

  /** @internal */
  constructor(readonly table: TokenTable) {}

  /**
   * The reactor's counters since `init()`: `epoll_wait` calls, events, stale events dropped. Any
   * thread may read them; they count the reactor thread's loop (or, inline, the executor's waits).
   *
   * @example
   * ```ts
   * const before = reactor().metrics();
   * // ... some I/O ...
   * const after = reactor().metrics();
   * console.log(after.events - before.events, "events");
   * ```
   */
  metrics(): ReactorMetrics {
    return this.table.metrics();
  }

  /** A fresh id (token) for a source; it is given back by {@link deregister}. */
  nextId(): number {
    return this.table.allocate();
  }

  /**
   * Adds `source` to the epoll set under `id`. It is registered for both directions,
   * edge-triggered, whatever `interest` says (so waiting for the other direction later costs no
   * `epoll_ctl`); `interest` names what the caller means to wait for.
   */
  register(source: Source, interest: Interest, id: number): void {
    if ((interest & 3) === 0 || (interest & ~3) !== 0) throw new RangeError(`interest must be READABLE, WRITABLE or both, got ${interest}`);
    this.table.resetReadiness(id);
    epollAdd(this.table.epfd, source.fd, EVENTS, id, this.table.generation(id));
  }

  /**
   * @internal What the events of `id` reported since the owner last cleared them: the readiness
   * bits of `token-table.ts` (`READABLE`, `WRITABLE`, `ERROR`, `HANGUP`, `READ_CLOSED`) plus a tick.
   * Pass the word back to {@link clearReadiness}.
   */
  readiness(id: number): number {
    return this.table.readiness(id);
  }

  /** @internal Marks `id` ready for `bits` until an `EAGAIN` says otherwise (see `TokenTable.assumeReady`). */
  assumeReady(id: number, bits: number): void {
    this.table.assumeReady(id, bits);
  }

  /**
   * @internal After a syscall found nothing (`EAGAIN`): clears `bits` unless an event arrived
   * since `observed` was read, in which case it returns false and the caller tries again.
   */
  clearReadiness(id: number, observed: number, bits: number): boolean {
    return this.table.clearReadiness(id, observed, bits);
  }

  /**
   * Stores `waker` as the one to wake when `id` becomes ready in `interest`'s direction(s),
   * replacing the previous one. Call it from inside a poll: the waker is exported through the
   * executor polling now.
   */
  setWaker(waker: Waker, id: number, interest: Interest = 1): void {
    const table = requireExecutor("reactor().setWaker()").exports!;
    if ((interest & 1) !== 0) this.store(table, waker, id, 1);
    if ((interest & 2) !== 0) this.store(table, waker, id, 2);
  }

  /**
   * Removes `source` from the epoll set, forgets its wakers and recycles `id`. Call it before
   * closing the fd.
   */
  deregister(source: Source, id: number): void {
    try {
      epollDelete(this.table.epfd, source.fd);
    } finally {
      this.deregisterForClose(id);
    }
  }

  /**
   * @internal Deregisters `id` for a source whose fd is closed right after: forgets its wakers and
   * recycles the token like {@link deregister}, without the `epoll_ctl(DEL)`. Closing the last fd
   * of a socket removes it from the epoll set (epoll(7)); an event it still had queued, or one
   * from a copy of the fd a forked child holds until its `exec`, carries the old generation and
   * wakes nobody. Only for fds this runtime created and never duplicates.
   */
  deregisterForClose(id: number): void {
    this.clear(id, 1);
    this.clear(id, 2);
    this.table.release(id);
  }

  private store(table: ExportTable, waker: Waker, id: number, dir: 1 | 2): void {
    const k = 2 * id + dir - 1;
    // The same waker of the same run is already in the table (a task polled again): nothing to do.
    if (this.stored[k] === waker && this.owners[k] === table) return;
    const ref = table.export(waker);
    const old = this.table.swapWaker(id, dir, ref + 1);
    if (old !== 0) this.owners[k]?.release(old - 1);
    this.owners[k] = table;
    this.stored[k] = waker;
  }

  private clear(id: number, dir: 1 | 2): void {
    const old = this.table.swapWaker(id, dir, 0);
    const k = 2 * id + dir - 1;
    if (old !== 0) this.owners[k]?.release(old - 1);
    this.owners[k] = undefined;
    this.stored[k] = undefined;
  }
}
