/**
 * Wakers for driving futures by hand: a test polls a future itself, then checks exactly who was
 * woken and how often (the async-executor / tokio style of testing wait queues and cancellation).
 */
import { PENDING, Waker, type Future, type Poll } from "reactor-executor";

/** Counts its wakes. */
export class CountingWaker extends Waker {
  wakes = 0;
  override wake(): void {
    this.wakes++;
  }
}

/** A waker whose task has used up its cooperative budget: `consumeBudget()` is false. */
export class SpentBudgetWaker extends CountingWaker {
  override consumeBudget(): boolean {
    return false;
  }
}

/** Polls `future` with `waker` (a fresh counting waker by default). */
export function pollOnce<T>(future: Future<T>, waker: Waker = new CountingWaker()): Poll<T> {
  return future.poll(waker);
}

/** Asserts-free helper: true when `p` is the pending sentinel. */
export function isPending(p: unknown): boolean {
  return p === PENDING;
}
