/**
 * `select(futures)`: the first future to finish wins; the others are dropped (their `drop()` runs).
 *
 * @module
 */
import { PENDING, pollAfterReady, type Future, type Output, type Poll } from "./future.js";
import { FanIn } from "./fan-in.js";
import type { Waker } from "./waker.js";

/**
 * The output of {@link select}: which future won (`index`) and its output (`value`). For a tuple of
 * futures `select` gives a union with one member per position, so testing `index` narrows `value`.
 */
export interface Selected<T, I extends number = number> {
  index: I;
  value: T;
}

/**
 * What `select(futures)` completes with: for a tuple, the union of `Selected<output, position>`;
 * for an array of unknown length, `Selected<union of the outputs>`.
 */
export type SelectedOf<F extends readonly Future<unknown>[]> = number extends F["length"]
  ? Selected<Output<F[number]>>
  : { [K in keyof F]: Selected<Output<F[K]>, K extends `${infer I extends number}` ? I : never> }[number];

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
 * Futures of different types need no type arguments: the result is a union on `index`.
 *
 * @example
 * ```ts
 * const first = yield* wait(select([Http.get("/100/a"), sleep(50)]));
 * if (first.index === 0) console.log(first.value.length); // value: string here, void for index 1
 * ```
 */
export function select<const F extends readonly Future<unknown>[]>(futures: F): Future<SelectedOf<F>>;
/** Any other iterable of futures of one type. */
export function select<T>(futures: Iterable<Future<T>>): Future<Selected<T>>;
export function select<T>(futures: Iterable<Future<T>>): Future<Selected<T>> {
  return new Select(futures);
}

/** Alias of {@link select}. */
export const race = select;
