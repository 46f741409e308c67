/**
 * Wakers with a cooperative budget for tests: the runtime's leaf futures spend a unit per read,
 * write or accept (`Waker.consumeBudget`), and must wake the task and wait once it is out.
 *
 * @module
 */
import { PENDING, Waker, type Future, type Poll } from "../../src/index.js";

/** Wraps `inner` with a budget of `left` units. */
export class BudgetWaker extends Waker {
  woken = 0;
  constructor(
    private left: number,
    private readonly inner: Waker,
  ) {
    super();
  }
  override wake(): void {
    this.woken++;
    this.inner.wake();
  }
  override consumeBudget(): boolean {
    return this.left-- > 0;
  }
}

/** Polls `inner` with `budgets[i]` units at its i-th poll (unlimited past the list), logging each poll. */
export class Budgeted<T> implements Future<T> {
  readonly log: { ready: boolean; woken: number }[] = [];
  constructor(
    private readonly inner: Future<T>,
    private readonly budgets: number[],
    private readonly after: () => void = () => {},
  ) {}
  poll(waker: Waker): Poll<T> {
    const w = new BudgetWaker(this.budgets[this.log.length] ?? Infinity, waker);
    try {
      const r = this.inner.poll(w);
      this.log.push({ ready: r !== PENDING, woken: w.woken });
      return r;
    } finally {
      this.after();
    }
  }
  drop(): void {
    this.inner.drop?.();
  }
}
