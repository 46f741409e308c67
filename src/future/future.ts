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
