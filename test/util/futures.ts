/**
 * Hand-written futures for tests: they count what happens to them, so tests can assert how often
 * a future was polled or dropped, and they throw if polled after they finished (smol's "bomb"
 * futures), so the executor's "never poll a finished future" rule is checked everywhere they are used.
 */
import { PENDING, type Future, type Poll, type Waker } from "reactor-executor";

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
