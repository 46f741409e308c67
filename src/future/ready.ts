/**
 * `ready(value)`: a future that is ready at its first poll.
 *
 * @module
 */
import { pollAfterReady, type Future, type Poll } from "./future.js";
import type { Waker } from "../runtime/waker.js";

class Ready<T> implements Future<T> {
  private done = false;
  constructor(private readonly value: T) {}
  poll(_waker: Waker): Poll<T> {
    if (this.done) pollAfterReady("ready()");
    this.done = true;
    return this.value;
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
