/**
 * Hand-written futures for tests: they count what happens to them, so tests can assert how often
 * a future was polled or dropped, and they throw if polled after they finished (smol's "bomb"
 * futures), so the executor's "never poll a finished future" rule is checked everywhere they are used.
 */
import { PENDING, Waker, type Future, type Poll } from "reactor-executor";

/** Pending until `fire()`; counts polls and drops. */
export class Trigger<T> implements Future<T> {
  polls = 0;
  drops = 0;
  waker: Waker | null = null;
  private fired = false;
  private done = false;
  constructor(private readonly value: T) {}
  fire(): void {
    this.fired = true;
    this.waker?.wake();
  }
  poll(waker: Waker): Poll<T> {
    if (this.done) throw new Error("Trigger polled after it finished");
    this.polls++;
    if (this.fired) {
      this.done = true;
      return this.value;
    }
    this.waker = waker;
    return PENDING;
  }
  drop(): void {
    this.drops++;
  }
}

/** Wakes itself `n` times, then completes with the number of polls. */
export class SelfWaking implements Future<number> {
  polls = 0;
  private done = false;
  constructor(private n: number) {}
  poll(waker: Waker): Poll<number> {
    if (this.done) throw new Error("SelfWaking polled after it finished");
    this.polls++;
    if (this.n-- <= 0) {
      this.done = true;
      return this.polls;
    }
    waker.wake();
    return PENDING;
  }
}

/** Throws `error` at its first poll. */
export class Failing implements Future<never> {
  constructor(private readonly error: Error) {}
  poll(): Poll<never> {
    throw this.error;
  }
}

/** The waker a {@link Budgeted} future gives its inner future: the outer waker, with a budget. */
class BudgetWaker extends Waker {
  outer: Waker | null = null;
  left = 0;
  exhausted = 0;
  override wake(): void {
    this.outer?.wake();
  }
  override consumeBudget(): boolean {
    if (this.left === 0) {
      this.exhausted++;
      return false;
    }
    this.left--;
    return this.outer?.consumeBudget() ?? true;
  }
}

/**
 * Polls `inner` with a cooperative budget of `units` per poll, the way a task gives its futures
 * one (`Waker.consumeBudget`): for testing that a leaf future spends it and yields.
 */
export class Budgeted<T> implements Future<T> {
  private readonly waker = new BudgetWaker();

  constructor(
    private readonly inner: Future<T>,
    private readonly units: number,
  ) {}

  /** How many times the inner future found the budget spent. */
  get exhausted(): number {
    return this.waker.exhausted;
  }

  poll(waker: Waker): Poll<T> {
    this.waker.outer = waker;
    this.waker.left = this.units;
    return this.inner.poll(this.waker);
  }

  drop(): void {
    this.inner.drop?.();
  }
}
