/**
 * `select(futures)`: the first future to finish wins; the others are dropped (their `drop()` runs).
 *
 * @module
 */
import { PENDING, pollAfterReady, type Future, type Poll } from "./future.js";
import { FanIn } from "./fan-in.js";
import type { Waker } from "./waker.js";

/** The output of {@link select}: which future won and its output. */
export interface Selected<T> {
  index: number;
  value: T;
}

class Select<T> extends FanIn<T> implements Future<Selected<T>> {
  private winner: Selected<T> | null = null;

  constructor(futures: Iterable<Future<T>>) {
    super(futures);
    if (this.futures.length === 0) throw new RangeError("select() needs at least one future");
  }

  poll(waker: Waker): Poll<Selected<T>> {
    if (this.done) pollAfterReady("select()");
    if (!this.pollChildren(waker)) return PENDING;
    this.dropPending();
    return this.winner!;
  }

  describe(): string {
    return this.describeAs("select");
  }

  protected childReady(index: number, value: T): boolean {
    this.winner = { index, value };
    return true;
  }
}

/**
 * Polls `futures` concurrently and completes with the first one to finish (`{ index, value }`); the
 * rest are dropped. An error from any of them is thrown (and drops the rest). `race` is an alias.
 *
 * @example
 * ```ts
 * const { index } = yield* wait(select([Http.get("/100/a"), sleep(50)])); // 1: the sleep won
 * ```
 */
export function select<T>(futures: Iterable<Future<T>>): Future<Selected<T>> {
  return new Select(futures);
}

/** Alias of {@link select}. */
export const race = select;
