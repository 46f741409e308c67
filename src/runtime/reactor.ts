/**
 * The book's `Reactor`: `register`, `setWaker`, `deregister` and `nextId`, for sources users write
 * themselves. A source is anything with a numeric `fd`.
 *
 * The four methods are a thin facade over {@link Registration}, the one mechanism every source of
 * the runtime uses (see registration.ts for the contract): `nextId` creates a registration without
 * an fd, `register` gives it the fd and adds it to the epoll set, `setWaker` stores a waker,
 * `deregister` removes it and recycles the id. What the facade leaves to its user:
 * - Sources are registered once, edge-triggered, for reading *and* writing, so a leaf future must
 *   drain the source until `EAGAIN` before it waits.
 * - The registration race: readiness can arrive before the waker is stored, and an edge is
 *   reported once. A leaf future therefore calls `setWaker` first and then retries its syscall
 *   once before returning `PENDING` (the book's order: register, set_waker, then read).
 * - One waker per direction per source, so a reader task and a writer task on one stream do not
 *   overwrite each other. `setWaker` always stores the most recent waker.
 * - Deregister before close, always: a closed fd number is reused at once, by any thread.
 * - A source is used from the thread that called `nextId` for it.
 *
 * @module
 */
import { attachRegistrations, Interest, Registration, registrationOf, type Source, type SourceNames } from "./registration.js";
import type { TokenTable } from "./token-table.js";
import type { ReactorMetrics } from "./metrics.js";
import type { Waker } from "../future/waker.js";

export { Interest, type Source } from "./registration.js";

const SOURCE: SourceNames = Object.freeze({ source: "source", read: "read", write: "write" });

/**
 * The process's reactor, as seen from this thread. Get it with `reactor()` after `init()`.
 *
 * @example
 * <!-- ts-check
 * export class Leaf {
 *   id = -1;
 *   constructor(private source: Source, private tryRead: () => number) {}
 *   poll(waker: Waker): number {
 *     const tryRead = this.tryRead;
 * ...
 *     return n;
 *   }
 * }
 * -->
 * ```ts
 * // inside a leaf future's poll, the book's order:
 * const r = reactor();
 * if (this.id < 0) { this.id = r.nextId(); r.register(this.source, Interest.READABLE, this.id); }
 * r.setWaker(waker, this.id, Interest.READABLE);
 * const n = tryRead(); // retry once after storing the waker, then return PENDING on EAGAIN
 * ```
 */
export class Reactor {
  /** @internal Attaches this thread's registrations to `table`. */
  constructor(readonly table: TokenTable) {
    attachRegistrations(table);
  }

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
    return new Registration(-1, SOURCE).token;
  }

  /**
   * Adds `source` to the epoll set under `id`. It is registered for both directions,
   * edge-triggered, whatever `interest` says (so waiting for the other direction later costs no
   * `epoll_ctl`); `interest` names what the caller means to wait for.
   */
  register(source: Source, interest: Interest, id: number): void {
    if ((interest & 3) === 0 || (interest & ~3) !== 0) throw new RangeError(`interest must be READABLE, WRITABLE or both, got ${interest}`);
    registrationOf(id).register(source.fd);
  }

  /**
   * Stores `waker` as the one to wake when `id` becomes ready in `interest`'s direction(s),
   * replacing the previous one. Call it from inside a poll: the waker is exported through the
   * executor polling now.
   */
  setWaker(waker: Waker, id: number, interest: Interest = Interest.READABLE): void {
    registrationOf(id).setWaker(waker, interest);
  }

  /**
   * Removes `source` from the epoll set, forgets its wakers and recycles `id`. Call it before
   * closing the fd.
   */
  deregister(source: Source, id: number): void {
    const r = registrationOf(id);
    if (r.fd >= 0 && r.fd !== source.fd) throw new RangeError(`id ${id} belongs to fd ${r.fd}, not ${source.fd}`);
    r.deregister();
  }
}
