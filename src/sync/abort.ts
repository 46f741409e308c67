/**
 * The Promise world's cancellation, as futures: `fromAbortSignal(signal)` completes when an
 * `AbortSignal` aborts; `abortable(future, signal)` runs a future until the signal aborts, then
 * drops it (its `drop()` runs: sockets closed, timers cancelled) and throws `signal.reason`.
 *
 * The signal is watched with one `'abort'` listener per waiting future, removed again when the
 * future completes or is dropped, so a long-lived signal does not collect listeners. An abort
 * that happens on this thread while a task runs (`controller.abort()` in another task) wakes at
 * once, under `blockOn` too; one that comes from Node's event loop (`AbortSignal.timeout`, a
 * Promise callback) needs `executor.run`, as `fromPromise` does. `AbortSignal.timeout`'s timer
 * does not keep Node alive: when nothing else can wake the executor, it reports a deadlock
 * instead, as plain Node would exit.
 *
 * @module
 */
import { PENDING, dropFuture, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";

/** Waits for the signal's `'abort'` event; the listener object is the future itself (no closure). */
class AbortWait implements Future<unknown> {
  private waker: Waker | null = null;
  private listening = false;
  private done = false;

  constructor(private readonly signal: AbortSignal) {}

  poll(waker: Waker): Poll<unknown> {
    if (this.done) pollAfterReady("fromAbortSignal()");
    if (this.signal.aborted) {
      this.finish();
      return this.signal.reason;
    }
    this.waker = waker;
    if (!this.listening) {
      this.listening = true;
      this.signal.addEventListener("abort", this);
    }
    return PENDING;
  }

  drop(): void {
    this.finish();
  }

  /** The `'abort'` event. */
  handleEvent(): void {
    const w = this.waker;
    this.waker = null;
    w?.wake();
  }

  private finish(): void {
    this.done = true;
    this.waker = null;
    if (this.listening) {
      this.listening = false;
      this.signal.removeEventListener("abort", this);
    }
  }
}

class Abortable<T> implements Future<T> {
  private readonly aborted: AbortWait;
  private done = false;

  constructor(
    private readonly inner: Future<T>,
    private readonly signal: AbortSignal,
  ) {
    this.aborted = new AbortWait(signal);
  }

  poll(waker: Waker): Poll<T> {
    if (this.done) pollAfterReady("abortable()");
    // The abort is looked at first: once aborted, the inner future is not polled again, so one
    // that is cancellation-safe (a recv, an acquire) takes nothing it would then lose.
    if (this.aborted.poll(waker) !== PENDING) {
      this.done = true;
      dropFuture(this.inner);
      throw this.signal.reason;
    }
    let r: Poll<T>;
    try {
      r = this.inner.poll(waker);
    } catch (e) {
      this.finish();
      throw e;
    }
    if (r === PENDING) return PENDING;
    this.finish();
    return r;
  }

  drop(): void {
    this.finish();
    dropFuture(this.inner);
  }

  private finish(): void {
    this.done = true;
    this.aborted.drop();
  }
}

/**
 * A future that completes with `signal.reason` once `signal` aborts (at once if it already has).
 * With `select`, it cancels any future from Promise code.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * const r = yield* wait(select([Http.get("/5000/slow"), fromAbortSignal(ac.signal)]));
 * if (r.index === 1) console.log("aborted:", r.value); // the request was dropped
 * ```
 */
export function fromAbortSignal(signal: AbortSignal): Future<unknown> {
  if (!(signal instanceof AbortSignal)) throw new TypeError("fromAbortSignal(signal): signal must be an AbortSignal");
  return new AbortWait(signal);
}

/**
 * Runs `future` until `signal` aborts; then drops it and throws `signal.reason` (an `AbortError`
 * `DOMException` unless the abort gave another reason), as Node's own APIs reject.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * setTimeout(() => ac.abort(), 100);
 * try { await toPromise(abortable(Http.get("/5000/slow"), ac.signal)); }
 * catch (e) { console.log((e as Error).name); } // "AbortError"
 * ```
 */
export function abortable<T>(future: Future<T>, signal: AbortSignal): Future<T> {
  if (!(signal instanceof AbortSignal)) throw new TypeError("abortable(future, signal): signal must be an AbortSignal");
  return new Abortable(future, signal);
}
