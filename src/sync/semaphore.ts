/**
 * `Semaphore`: a count of permits that futures wait for, tokio's `Semaphore` (`batch_semaphore`).
 *
 * Contract:
 * - Strictly FIFO: permits go to waiters in the order they started waiting, and a waiter that
 *   needs more permits than are free holds back the ones behind it (so a large request is never
 *   starved by a stream of small ones). `tryAcquire` does not jump the queue either.
 * - Permits are handed over, not raced for: `addPermits` (or a permit's `release`) gives them to
 *   the first waiters at once and wakes them; nothing can take them in between.
 * - Cancellation-safe: dropping a waiting `acquire` unlinks it (and lets the waiters behind it
 *   through if it was holding them back); dropping one that was already handed its permits but not
 *   polled yet gives them back, so they pass on to the next waiter. No permit leaks, no wake is lost.
 * - `close()` fails every waiting and future `acquire` with `ClosedError`; permits already held
 *   stay valid and may be released.
 *
 * Implementation notes: the acquire future is itself the wait-list node (see `wait-list.ts`), so
 * an acquire that must wait allocates nothing more, and one that need not wait never touches the
 * list. The free permits are a plain number: every access is on one thread.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import { ClosedError } from "./closed-error.js";
import { WaitList, Waiter, wakeChain } from "./wait-list.js";

/** The most permits a semaphore holds (and a single acquire asks for). */
export const MAX_PERMITS = Number.MAX_SAFE_INTEGER;

const INIT = 0;
const WAITING = 1;
const ASSIGNED = 2;
const CLOSED = 3;
const DONE = 4;

/**
 * @internal The future behind every wait for permits: `Semaphore.acquire`, `Mutex.lock` and a
 * bounded channel's `send` (whose capacity is a semaphore) extend it with what to return once
 * the permits are theirs.
 */
export abstract class Acquire<P> extends Waiter implements Future<P> {
  declare private state: number;
  declare protected readonly semaphore: Semaphore;
  /** Permits wanted. */
  declare readonly count: number;

  constructor(semaphore: Semaphore, count: number) {
    super();
    this.state = INIT;
    this.semaphore = semaphore;
    this.count = count;
  }

  /** Called once the permits are this future's: the output. May throw (the permits are then the subclass's to give back). */
  protected abstract acquired(): P;

  /** The error of an acquire on a closed semaphore. */
  protected closedError(): Error {
    return new ClosedError("the semaphore is closed");
  }

  poll(waker: Waker): Poll<P> {
    switch (this.state) {
      case INIT: {
        const s = this.semaphore;
        if (s.closed) {
          this.state = DONE;
          throw this.closedError();
        }
        if (s.waiters.length === 0 && s.permits >= this.count) {
          // Permits free and nobody ahead: take them, unless this task has used its turn
          // (a loop that always finds permits would otherwise never let the others run).
          if (!waker.consumeBudget()) {
            waker.wake();
            return PENDING;
          }
          s.permits -= this.count;
          this.state = DONE;
          return this.acquired();
        }
        s.waiters.push(this, waker);
        this.state = WAITING;
        return PENDING;
      }
      case WAITING:
        this.waker = waker;
        return PENDING;
      case ASSIGNED:
        this.state = DONE;
        return this.acquired();
      case CLOSED:
        this.state = DONE;
        throw this.closedError();
      default:
        return pollAfterReady("Semaphore acquire");
    }
  }

  drop(): void {
    const s = this.state;
    this.state = DONE;
    if (s === WAITING) {
      this.semaphore.waiters.remove(this);
      this.waker = null;
      // It may have been holding back smaller requests behind it.
      this.semaphore.assign();
    } else if (s === ASSIGNED) {
      // Handed permits it will never use: they pass on to the next waiter.
      this.semaphore.giveBack(this.count);
    }
  }

  /** @internal The semaphore hands this waiter its permits (it is off the list). */
  assigned(): void {
    this.state = ASSIGNED;
  }

  /** @internal The semaphore closed while this waiter waited (it is off the list). */
  closedWhileWaiting(): void {
    this.state = CLOSED;
  }
}

class AcquirePermit extends Acquire<SemaphorePermit> {
  protected acquired(): SemaphorePermit {
    return new SemaphorePermit(this.semaphore, this.count);
  }
}

/**
 * Permits taken from a {@link Semaphore}: give them back with `release()`, or let `using` do it.
 * Releasing twice is harmless (the second call does nothing).
 *
 * @example
 * ```ts
 * const sem = new Semaphore(2);
 * const work = coroutine(function* () {
 *   using _permit = yield* wait(sem.acquire()); // released when the block ends, however it ends
 *   yield* wait(sleep(10));
 * });
 * ```
 */
export class SemaphorePermit implements Disposable {
  declare private held: boolean;
  declare private readonly semaphore: Semaphore;
  /** How many permits this holds. */
  declare readonly count: number;

  constructor(semaphore: Semaphore, count: number) {
    this.held = true;
    this.semaphore = semaphore;
    this.count = count;
  }

  /** True until `release()` or `forget()`. */
  get isHeld(): boolean {
    return this.held;
  }

  /** Gives the permits back to the semaphore (to its first waiter, if any). */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.semaphore.giveBack(this.count);
  }

  /** Drops the permits without giving them back: the semaphore has that many fewer for good. */
  forget(): void {
    this.held = false;
  }

  /** `using` calls this: {@link release}. */
  [Symbol.dispose](): void {
    this.release();
  }
}

function checkCount(what: string, n: number, min: number): void {
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`${what}: expected a whole number >= ${min}, got ${String(n)}`);
}

/**
 * A count of permits that futures wait for, in FIFO order: limits how many tasks do something at
 * once (8 requests in flight, say). See the module doc for the full contract.
 *
 * @example
 * <!-- ts-check
 * declare const urls: string[];
 * -->
 * ```ts
 * const sem = new Semaphore(8);
 * for (const url of urls) spawn(coroutine(function* () {
 *   using _permit = yield* wait(sem.acquire()); // at most 8 of these past this line at once
 *   return yield* wait(Http.get(url));
 * }));
 * ```
 */
export class Semaphore {
  /** @internal Free permits. */
  permits: number;
  /** @internal */
  closed = false;
  /** @internal Acquires waiting, oldest first. */
  readonly waiters = new WaitList<Acquire<unknown>>();

  /** Starts with `permits` free permits (a whole number, 0 or more). */
  constructor(permits: number) {
    checkCount("new Semaphore(permits)", permits, 0);
    this.permits = permits;
  }

  /** Permits free right now. */
  get available(): number {
    return this.permits;
  }

  /** Number of acquires waiting. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** True after {@link close}. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Waits for one permit. The future completes with a {@link SemaphorePermit}, or throws
   * `ClosedError` if the semaphore is (or gets) closed.
   *
   * @example
   * <!-- ts-check
   * declare const sem: Semaphore;
   * declare function work(): Future<void>;
   * -->
   * ```ts
   * const permit = yield* wait(sem.acquire());
   * try { yield* wait(work()); } finally { permit.release(); }
   * ```
   */
  acquire(): Future<SemaphorePermit> {
    return new AcquirePermit(this, 1);
  }

  /**
   * Waits for `n` permits at once (one permit object holding all `n`). FIFO: while it waits, it
   * holds back acquires that came after it, even ones that would fit.
   *
   * @example
   * <!-- ts-check
   * declare const sem: Semaphore;
   * -->
   * ```ts
   * using _all = yield* wait(sem.acquireMany(8)); // waits until the other 7 holders are done
   * ```
   */
  acquireMany(n: number): Future<SemaphorePermit> {
    checkCount("acquireMany(n)", n, 0);
    return new AcquirePermit(this, n);
  }

  /**
   * Takes `n` permits (default 1) if they are free and nobody waits ahead; else null. Throws
   * `ClosedError` once closed.
   *
   * @example
   * <!-- ts-check
   * declare const sem: Semaphore;
   * -->
   * ```ts
   * const p = sem.tryAcquire();
   * if (p === null) console.log("busy, try later");
   * ```
   */
  tryAcquire(n = 1): SemaphorePermit | null {
    checkCount("tryAcquire(n)", n, 0);
    if (this.closed) throw new ClosedError("the semaphore is closed");
    if (this.waiters.length > 0 || this.permits < n) return null;
    this.permits -= n;
    return new SemaphorePermit(this, n);
  }

  /**
   * Adds `n` permits (tokio's `add_permits`): they go to the waiters first, in order. A permit's
   * `release()` calls this.
   *
   * @example
   * ```ts
   * const gate = new Semaphore(0);
   * gate.addPermits(3); // lets three waiters through
   * ```
   */
  addPermits(n: number): void {
    checkCount("addPermits(n)", n, 0);
    if (this.permits + n > MAX_PERMITS) throw new RuntimeError(`a semaphore holds at most ${MAX_PERMITS} permits`);
    this.permits += n;
    this.assign();
  }

  /**
   * Closes the semaphore: waiting and later acquires throw `ClosedError`. Permits already held stay
   * valid; releasing them is harmless.
   *
   * @example
   * <!-- ts-check
   * declare const sem: Semaphore;
   * -->
   * ```ts
   * sem.close(); // shutting down: everyone waiting gets ClosedError
   * ```
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    wakeChain(this.waiters.takeAll(), (w) => w.closedWhileWaiting());
  }

  /** @internal Permits taken from this semaphore come back (no checks: they were counted out). */
  giveBack(n: number): void {
    this.permits += n;
    if (this.waiters.length > 0) this.assign();
  }

  /** @internal Hands free permits to the waiters at the head of the queue, in order. */
  assign(): void {
    for (;;) {
      const w = this.waiters.first;
      if (w === null || this.permits < w.count) return;
      this.waiters.remove(w);
      this.permits -= w.count;
      const waker = w.waker!;
      w.waker = null;
      w.assigned();
      waker.wake();
    }
  }
}
