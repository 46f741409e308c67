/**
 * `joinAll(futures)` (the book's `join_all`) and `join(a, b, ...)`: run futures concurrently and
 * complete with all their outputs, in input order. The first error drops the rest and is thrown.
 *
 * @module
 */
import { PENDING, pollAfterReady, type Future, type Output, type Poll } from "./future.js";
import { FanIn } from "./fan-in.js";
import type { Waker } from "./waker.js";

class JoinAll<T> extends FanIn<T> implements Future<T[]> {
  private readonly results: T[];
  private remaining: number;

  constructor(futures: Iterable<Future<T>>) {
    super(futures);
    this.results = new Array<T>(this.futures.length);
    this.remaining = this.futures.length;
  }

  poll(waker: Waker): Poll<T[]> {
    if (this.done) pollAfterReady("joinAll()");
    this.pollChildren(waker);
    if (this.remaining > 0) return PENDING;
    this.done = true;
    return this.results;
  }

  describe(): string {
    return this.describeAs("joinAll");
  }

  protected childReady(index: number, value: T): boolean {
    this.results[index] = value;
    this.remaining--;
    return false;
  }
}

/** The outputs of `futures`, position by position: a tuple for a tuple, an array for an array. */
export type Outputs<F extends readonly Future<unknown>[]> = { -readonly [K in keyof F]: Output<F[K]> };

/**
 * Runs `futures` concurrently; completes with their outputs in input order. A wake re-polls only
 * the child it belongs to. An array literal of futures of different types gives a typed tuple.
 *
 * @example
 * ```ts
 * const texts = yield* wait(joinAll([1, 2, 3].map((i) => Http.get(`/${i * 100}/hi${i}`)))); // string[]
 * const [n, s] = yield* wait(joinAll([ready(1), ready("a")])); // [number, string]
 * ```
 */
export function joinAll<const F extends readonly Future<unknown>[]>(futures: F): Future<Outputs<F>>;
/** Any other iterable of futures of one type. */
export function joinAll<T>(futures: Iterable<Future<T>>): Future<T[]>;
export function joinAll<T>(futures: Iterable<Future<T>>): Future<T[]> {
  return new JoinAll(futures);
}

/**
 * Runs a fixed set of futures of different types concurrently; completes with a typed tuple.
 *
 * @example
 * ```ts
 * const [n, s] = yield* wait(join(ready(1), ready("one"))); // [number, string]
 * ```
 */
export function join<const F extends readonly Future<unknown>[]>(...futures: F): Future<Outputs<F>> {
  return new JoinAll(futures) as unknown as Future<Outputs<F>>;
}
