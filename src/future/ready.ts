/**
 * `ready(value)`: a future that is ready at its first poll.
 *
 * @module
 */
import { pollAfterReady, type Future, type Poll } from "./future.js";
import type { Waker } from "./waker.js";

const TAKEN: unique symbol = Symbol("taken");

class Ready<T> implements Future<T> {
  // One field, the value or TAKEN: a million ready() futures are a million small objects.
  constructor(private value: T | typeof TAKEN) {}
  poll(_waker: Waker): Poll<T> {
    const v = this.value;
    if (v === TAKEN) pollAfterReady("ready()");
    this.value = TAKEN;
    return v;
  }
}

/**
 * A future whose first poll returns `value`.
 *
 * @example
 * ```ts
 * new Executor().blockOn(ready(42)); // 42
 * ```
 */
export function ready<T>(value: T): Future<T> {
  return new Ready(value);
}
