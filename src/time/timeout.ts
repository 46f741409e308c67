/**
 * `timeout(future, ms)`: the future's output, or a `TimeoutError` (code `ETIMEDOUT`) if it takes
 * longer than `ms` from the first poll, on the polling executor's clock; on expiry the future is
 * dropped (its `drop()` runs).
 *
 * @module
 */
import { TimeoutError } from "../errors.js";
import { checkFuture } from "../runtime/arguments.js";
import { PENDING, describeFuture, dropFuture, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import { checkDuration, sleep } from "./sleep.js";

class Timeout<T> implements Future<T> {
  private readonly timer: Future<void>;
  private done = false;

  constructor(
    private readonly inner: Future<T>,
    private readonly ms: number,
  ) {
    this.timer = sleep(ms);
  }

  poll(waker: Waker): Poll<T> {
    if (this.done) pollAfterReady("timeout()");
    let r: Poll<T>;
    try {
      r = this.inner.poll(waker);
    } catch (e) {
      this.finish();
      throw e;
    }
    if (r !== PENDING) {
      this.finish();
      return r;
    }
    if (this.timer.poll(waker) === PENDING) return PENDING;
    this.done = true;
    dropFuture(this.inner);
    throw new TimeoutError(`timed out after ${this.ms} ms`);
  }

  /** What the inner future waits on, and the deadline: "TcpStream.read fd 12 (timeout: sleep until +340 ms)". */
  describe(): string {
    return `${describeFuture(this.inner)} (timeout: ${describeFuture(this.timer)})`;
  }

  drop(): void {
    this.finish();
    dropFuture(this.inner);
  }

  private finish(): void {
    this.done = true;
    dropFuture(this.timer);
  }
}

/**
 * Runs `future` with a deadline of `ms` milliseconds from the first poll.
 *
 * @example
 * ```ts
 * try { yield* wait(timeout(Http.get("/5000/slow"), 1000)); }
 * catch (e) { if ((e as TimeoutError).code === "ETIMEDOUT") console.log("gave up"); }
 * ```
 */
export function timeout<T>(future: Future<T>, ms: number): Future<T> {
  checkFuture("timeout(future, ms)", future);
  checkDuration("timeout(future, ms)", ms);
  return new Timeout(future, ms);
}
