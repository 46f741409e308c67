/**
 * `Mutex<T>`: an async lock around a value, tokio's `Mutex`. The value is reached only through the
 * guard `lock()` gives, and the guard stops working once unlocked, so the value cannot be touched
 * outside the lock by mistake.
 *
 * Contract: FIFO (a `Semaphore` of one permit underneath: its fairness and cancellation rules
 * hold, e.g. a dropped `lock()` that was already handed the lock passes it on to the next waiter).
 * Not reentrant: a task that locks twice without unlocking waits for itself (the executor then
 * reports a deadlock when nothing else can run).
 *
 * Use it for state that must stay consistent across a wait (`yield* wait(...)` while holding it);
 * for state changed without waiting in between, a plain variable is enough: a thread runs one
 * poll at a time.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";
import type { Future } from "../future/future.js";
import { Acquire, Semaphore } from "./semaphore.js";

class Lock<T> extends Acquire<MutexGuard<T>> {
  declare private readonly mutex: Mutex<T>;

  constructor(mutex: Mutex<T>) {
    super(mutex.semaphore, 1);
    this.mutex = mutex;
  }
  protected acquired(): MutexGuard<T> {
    return new MutexGuard(this.mutex);
  }
}

/**
 * The lock on a {@link Mutex}, and the only way to its value. `unlock()` (or `using`) releases it;
 * after that, the guard's `value` throws.
 *
 * @example
 * <!-- ts-check
 * declare const counter: Mutex<number>;
 * -->
 * ```ts
 * using guard = yield* wait(counter.lock());
 * guard.value += 1;
 * ```
 */
export class MutexGuard<T> implements Disposable {
  declare private mutex: Mutex<T> | null;

  constructor(mutex: Mutex<T>) {
    this.mutex = mutex;
  }

  /** The guarded value. Throws `RuntimeError` after `unlock()`. */
  get value(): T {
    return this.held().data;
  }

  set value(v: T) {
    this.held().data = v;
  }

  /** True until `unlock()`. */
  get isHeld(): boolean {
    return this.mutex !== null;
  }

  /** Releases the lock (to the next waiter, if any). Unlocking twice does nothing. */
  unlock(): void {
    const m = this.mutex;
    if (m === null) return;
    this.mutex = null;
    m.semaphore.giveBack(1);
  }

  /** `using` calls this: {@link unlock}. */
  [Symbol.dispose](): void {
    this.unlock();
  }

  private held(): Mutex<T> {
    if (this.mutex === null) throw new RuntimeError("MutexGuard used after unlock()");
    return this.mutex;
  }
}

/**
 * An async lock guarding a value of type `T`.
 *
 * @example
 * ```ts
 * const conn = new Mutex({ sent: 0 });
 * const task = coroutine(function* () {
 *   using g = yield* wait(conn.lock()); // one task at a time past here
 *   yield* wait(sleep(5));              // still holding the lock
 *   g.value.sent++;
 * });
 * ```
 */
export class Mutex<T> {
  /** @internal The lock: one permit. */
  readonly semaphore = new Semaphore(1);
  /** @internal The value (reached through a guard). */
  data: T;

  constructor(value: T) {
    this.data = value;
  }

  /** True while some guard holds the lock. */
  get isLocked(): boolean {
    return this.semaphore.available === 0;
  }

  /**
   * Waits for the lock; completes with its guard.
   *
   * @example
   * <!-- ts-check
   * declare const m: Mutex<string[]>;
   * declare const item: string;
   * -->
   * ```ts
   * const g = yield* wait(m.lock());
   * try { g.value.push(item); } finally { g.unlock(); }
   * ```
   */
  lock(): Future<MutexGuard<T>> {
    return new Lock(this);
  }

  /**
   * The guard if the lock is free and nobody waits for it; else null.
   *
   * @example
   * <!-- ts-check
   * declare const m: Mutex<number>;
   * -->
   * ```ts
   * const g = m.tryLock();
   * if (g !== null) { g.value = 0; g.unlock(); }
   * ```
   */
  tryLock(): MutexGuard<T> | null {
    const s = this.semaphore;
    if (s.available === 0 || s.waiting > 0) return null;
    s.permits = 0;
    return new MutexGuard(this);
  }
}
