/**
 * `yieldNow()`: give the other ready tasks, and the executor's I/O and timers, a turn.
 *
 * The future wakes its task during the poll and returns `PENDING` once. An executor treats a task
 * that woke itself during its own poll as one that yielded: it goes to the back of the ready queue,
 * and is not polled again before the executor has looked at its timers, its inbox and the reactor
 * (so a due timer fires at the yield, however long each turn of the yielding loop takes).
 *
 * @module
 */
import { PENDING, pollAfterReady, type Future, type Poll } from "./future.js";
import type { Waker } from "./waker.js";

class YieldNow implements Future<void> {
  private state = 0; // 0 not polled, 1 yielded once, 2 done
  poll(waker: Waker): Poll<void> {
    if (this.state === 0) {
      this.state = 1;
      waker.wake();
      return PENDING;
    }
    if (this.state === 2) pollAfterReady("yieldNow()");
    this.state = 2;
    return undefined;
  }
  describe(): string {
    return "yieldNow";
  }
}

/**
 * A future that is pending once (after waking itself), then ready: the task goes to the back of
 * the ready queue, and due timers and I/O are seen before it runs again.
 *
 * @example
 * <!-- ts-check
 * declare function work(i: number): void;
 * -->
 * ```ts
 * for (let i = 0; i < 1e6; i++) { work(i); if (i % 1000 === 0) yield* wait(yieldNow()); }
 * ```
 */
export function yieldNow(): Future<void> {
  return new YieldNow();
}
