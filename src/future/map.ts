/**
 * `map(future, fn)`: transform a future's output.
 *
 * @module
 */
import { PENDING, describeFuture, dropFuture, pollAfterReady, type Future, type Poll } from "./future.js";
import type { Waker } from "./waker.js";

class MapFuture<T, U> implements Future<U> {
  private done = false;
  constructor(
    private readonly inner: Future<T>,
    private readonly fn: (value: T) => U,
  ) {}
  poll(waker: Waker): Poll<U> {
    if (this.done) pollAfterReady("map()");
    let r: Poll<T>;
    try {
      r = this.inner.poll(waker);
    } catch (e) {
      this.done = true;
      throw e;
    }
    if (r === PENDING) return PENDING;
    this.done = true;
    return this.fn(r);
  }
  describe(): string {
    return describeFuture(this.inner);
  }
  drop(): void {
    dropFuture(this.inner);
  }
}

/**
 * A future that completes with `fn(output)` of `future`.
 *
 * @example
 * ```ts
 * const len = map(Http.get("/0/hello"), (text) => text.length);
 * ```
 */
export function map<T, U>(future: Future<T>, fn: (value: T) => U): Future<U> {
  return new MapFuture(future, fn);
}
