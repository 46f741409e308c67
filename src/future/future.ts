/**
 * The `Future` contract: the book's `Future` trait and `PollState`.
 *
 * - A future is lazy: nothing happens until its first `poll`.
 * - `poll(waker)` returns the output, or `PENDING` after arranging for `waker.wake()` to be called
 *   when progress is possible. Returning `PENDING` without a stored waker is a lost wake-up.
 * - Only the most recent waker counts: a future polled with a new waker must wake that one.
 * - Spurious polls are allowed: a future polled when nothing changed returns `PENDING` again.
 * - A future is never polled after it returned its output (or threw); doing so is a bug and
 *   throws a `RuntimeError`.
 * - `drop()` releases what the future holds (timers, sources, fds, child futures) when it is
 *   abandoned before it finished; it is never called after the future finished and never twice.
 * - `describe()`, optional, says in a few words what the future waits on right now, for task dumps
 *   (`executor.dump()`): a leaf names its source ("TcpStream.read fd 12", "sleep until +340 ms"),
 *   a combinator delegates to the child it awaits. It must not change the future, and costs
 *   nothing unless a dump asks.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";
import type { Waker } from "./waker.js";

/**
 * The "not yet" answer of {@link Future.poll}: the book's `PollState::NotReady`. A unique symbol,
 * so a poll that is not ready allocates nothing and the check is one comparison.
 */
export const PENDING: unique symbol = Symbol("PENDING");

/** The type of {@link PENDING}. */
export type Pending = typeof PENDING;

/** The result of a poll: the output (`PollState::Ready`) or {@link PENDING}. */
export type Poll<T> = T | Pending;

/**
 * A pausable computation producing a `T`, driven by an executor through `poll`.
 *
 * @example
 * ```ts
 * class Countdown implements Future<string> {
 *   constructor(private n: number) {}
 *   poll(waker: Waker): Poll<string> {
 *     if (this.n-- === 0) return "done";
 *     waker.wake(); // ready to go again at once
 *     return PENDING;
 *   }
 * }
 * ```
 */
export interface Future<T> {
  poll(waker: Waker): Poll<T>;
  drop?(): void;
  /** What the future waits on, in a few words, for task dumps; see {@link describeFuture}. */
  describe?(): string;
}

/** The output type of a future. */
export type Output<F> = F extends Future<infer T> ? T : never;

/** Throws the error every future uses when it is polled again after it finished. */
export function pollAfterReady(what: string): never {
  throw new RuntimeError(`${what} polled after it finished`);
}

/** Drops a future if it has a `drop`; the one place combinators abandon children through. */
export function dropFuture(future: Future<unknown>): void {
  if (future.drop !== undefined) future.drop();
}

/** Longest description {@link describeFuture} returns: a dump line stays a line. */
const MAX_DESCRIPTION = 300;

/**
 * What `future` waits on, for task dumps: its `describe()`, or else its class name ("HttpGetFuture";
 * "future" for a plain object). A `describe()` that throws is reported in the text, not thrown.
 *
 * @example
 * ```ts
 * class Tick implements Future<void> {
 *   poll(waker: Waker): Poll<void> { this.waker = waker; return PENDING; }
 *   describe(): string { return "tick from the metronome"; }
 *   waker: Waker | null = null;
 * }
 * describeFuture(new Tick()); // "tick from the metronome"
 * describeFuture(sleep(100)); // "sleep 100 ms (not started)"
 * ```
 */
export function describeFuture(future: Future<unknown>): string {
  let text: string;
  if (typeof future.describe === "function") {
    try {
      text = String(future.describe());
    } catch (e) {
      text = `${className(future)} (describe() threw: ${e instanceof Error ? e.message : String(e)})`;
    }
  } else {
    text = className(future);
  }
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION - 1)}…` : text;
}

function className(future: object): string {
  const c = (future as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof c === "string" && c.length > 0 && c !== "Object" ? c : "future";
}
