/**
 * Coroutines without a build step: a generator function becomes a `Future`, and `yield* wait(f)`
 * is a pause point, the `.wait` of the book's `coroutine fn` (and what `corofy` rewrites into an
 * explicit state machine).
 *
 * ```ts
 * const main = coroutine(function* () {
 *   const a = yield* wait(Http.get("/600/first"));
 *   const b = yield* wait(Http.get("/400/second"));
 *   return a + b;
 * });
 * ```
 *
 * Contract: the generator starts at the first poll (futures are lazy); each `wait(f)` polls `f`
 * at once and pauses only if it is pending; an error thrown by `f` is thrown into the generator at
 * the `wait`, so `try/catch/finally` around it works; the generator's return value is the output.
 * Dropping the coroutine drops the future it waits on and runs the generator's `finally` blocks.
 *
 * Implementation notes: `wait(f)` yields `f` itself to the driver, so one `yield*` costs a tiny
 * iterator, not a promise; the driver loops while awaited futures are ready, so a chain of ready
 * futures runs in one poll.
 *
 * @module
 */
import { PENDING, dropFuture, pollAfterReady, type Future, type Poll } from "./future.js";
import type { Waker } from "../runtime/waker.js";

/** The generator a coroutine body is: it yields the futures it waits on and returns a `T`. */
export type CoroutineBody<T> = Generator<Future<unknown>, T, unknown>;

class Coroutine<T> implements Future<T> {
  private gen: CoroutineBody<T> | null = null;
  private waiting: Future<unknown> | null = null;
  private done = false;

  constructor(private readonly body: () => CoroutineBody<T>) {}

  get name(): string {
    return this.body.name;
  }

  poll(waker: Waker): Poll<T> {
    if (this.done) pollAfterReady(`coroutine ${this.body.name || "(anonymous)"}`);
    let gen = this.gen;
    let input: unknown = undefined;
    let failed = false;
    if (gen === null) {
      gen = this.gen = this.body();
    } else {
      const f = this.waiting!;
      try {
        input = f.poll(waker);
      } catch (e) {
        input = e;
        failed = true;
      }
      if (input === PENDING) return PENDING;
      this.waiting = null;
    }
    for (;;) {
      let step: IteratorResult<Future<unknown>, T>;
      try {
        step = failed ? gen.throw(input) : gen.next(input);
      } catch (e) {
        this.done = true;
        throw e;
      }
      if (step.done === true) {
        this.done = true;
        return step.value;
      }
      const f = step.value;
      failed = false;
      try {
        input = f.poll(waker);
      } catch (e) {
        input = e;
        failed = true;
        continue;
      }
      if (input === PENDING) {
        this.waiting = f;
        return PENDING;
      }
    }
  }

  drop(): void {
    this.done = true;
    const f = this.waiting;
    this.waiting = null;
    if (f !== null) dropFuture(f);
    // Run the body's `finally` blocks. A `wait` inside one cannot be honoured after a drop: the
    // generator is simply abandoned there.
    this.gen?.return(undefined as T);
  }
}

class WaitOnce<T> implements Iterator<Future<unknown>, T, unknown>, Iterable<Future<unknown>, T, unknown> {
  private yielded = false;
  constructor(private readonly future: Future<T>) {}
  [Symbol.iterator](): this {
    return this;
  }
  next(value?: unknown): IteratorResult<Future<unknown>, T> {
    if (!this.yielded) {
      this.yielded = true;
      return { done: false, value: this.future };
    }
    return { done: true, value: value as T };
  }
  // The driver throws an awaited future's error into the generator; `yield*` forwards it here, and
  // rethrowing makes it surface at the `wait` line, where the user's try/catch sees it.
  throw(error?: unknown): IteratorResult<Future<unknown>, T> {
    throw error;
  }
  return(value?: unknown): IteratorResult<Future<unknown>, T> {
    return { done: true, value: value as T };
  }
}

/**
 * Turns a generator function into a lazy `Future`: the book's `coroutine fn`.
 *
 * @example
 * ```ts
 * const out = new Executor().blockOn(coroutine(function* () {
 *   yield* wait(sleep(10));
 *   return "slept";
 * }));
 * ```
 */
export function coroutine<T>(body: () => CoroutineBody<T>): Future<T> {
  return new Coroutine(body);
}

/**
 * A pause point inside a {@link coroutine}: `const x = yield* wait(future)` — the book's `.wait`.
 * Evaluates to the future's output, or throws its error at this line.
 */
export function wait<T>(future: Future<T>): Iterable<Future<unknown>, T, unknown> {
  return new WaitOnce(future);
}
