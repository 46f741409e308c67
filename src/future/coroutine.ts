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
 * A body can also be given as a generator object, `coroutine(timer(i))` with `function* timer(i)`
 * declared once: the generator does not run until its first `next()`, so this is just as lazy, and
 * it is what Rust's `timer(i)` (calling an `async fn`) is. It is also much cheaper when futures are
 * made by the thousand: V8 gives every generator *function* object its own prototype object (and
 * hidden class) on its first call, so a `function* () {}` written inside a loop costs ~500 bytes
 * more per coroutine than calling one declared outside it.
 *
 * Implementation notes: `wait(f)` yields `f` itself to the driver, so one `yield*` costs one tiny
 * object, not a promise; the driver loops while awaited futures are ready, so a chain of ready
 * futures runs in one poll.
 *
 * @module
 */
import { PENDING, describeFuture, dropFuture, pollAfterReady, type Future, type Poll } from "./future.js";
import type { Waker } from "./waker.js";

/** The generator a coroutine body is: it yields the futures it waits on and returns a `T`. */
export type CoroutineBody<T> = Generator<Future<unknown>, T, unknown>;

/** What a coroutine holds as its generator once it has finished (returned, thrown or been dropped). */
const FINISHED = (function* () {})() as CoroutineBody<unknown>;

class Coroutine<T> implements Future<T> {
  /** null before the first poll, then the running generator, then {@link FINISHED}. */
  private gen: CoroutineBody<T> | null = null;
  private waiting: Future<unknown> | null = null;

  /** `source` is the generator function (called at the first poll) or the unstarted generator. */
  constructor(private readonly source: (() => CoroutineBody<T>) | CoroutineBody<T>) {}

  get name(): string {
    return typeof this.source === "function" ? this.source.name : "";
  }

  poll(waker: Waker): Poll<T> {
    let gen = this.gen;
    if (gen === FINISHED) pollAfterReady(`coroutine ${this.name || "(anonymous)"}`);
    let input: unknown = undefined;
    let failed = false;
    if (gen === null) {
      const source = this.source;
      gen = this.gen = typeof source === "function" ? source() : source;
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
        this.gen = FINISHED as CoroutineBody<T>;
        throw e;
      }
      if (step.done === true) {
        this.gen = FINISHED as CoroutineBody<T>;
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

  /** The future the body waits on at its current `wait`. */
  describe(): string {
    if (this.waiting !== null) return describeFuture(this.waiting);
    return this.gen === null ? "not started" : this.gen === FINISHED ? "finished" : "running";
  }

  drop(): void {
    const gen = this.gen;
    this.gen = FINISHED as CoroutineBody<T>;
    const f = this.waiting;
    this.waiting = null;
    if (f !== null) dropFuture(f);
    // Run the body's `finally` blocks. A `wait` inside one cannot be honoured after a drop: the
    // generator is simply abandoned there.
    if (gen !== null && gen !== FINISHED) gen.return(undefined as T);
  }
}

/**
 * What {@link wait} returns: an iterable for `yield*` to drive, whose `yield*` evaluates to the
 * future's output (a plain `{ [Symbol.iterator]() }` shape, so TypeScript before 5.6, whose
 * `Iterable` takes one type argument, reads the output type too). It is not a future: `yield
 * wait(f)`, without the star, is a compile error whose message carries the fix, and, should it
 * run, a runtime error saying the same.
 */
export interface Wait<T> {
  [Symbol.iterator](): Iterator<Future<unknown>, T, unknown>;
  /** Not a future's `poll`: typed so that `yield wait(f)` (no star) fails to compile with this hint. */
  poll(hint: "write `yield* wait(f)`: `yield wait(f)` yields the wait itself, not its future"): never;
}

/** The message of the runtime error for `yield wait(f)` (the type's hint, in a sentence). */
const MISSING_STAR = "a coroutine yielded `wait(f)` itself: write `yield* wait(f)` (with the star), not `yield wait(f)`";

/**
 * The iterator `yield*` drives for one `wait(f)`. It is also its own iterator result (`done`,
 * `value`): `yield*` hands the inner result object through to the driver unchanged, and the driver
 * reads it at once, so one object per wait does instead of three.
 */
class WaitOnce<T> implements Iterator<Future<unknown>, T, unknown> {
  done = false;
  value: unknown;
  private yielded = false;
  constructor(future: Future<T>) {
    this.value = future;
  }
  [Symbol.iterator](): this {
    return this;
  }
  next(value?: unknown): IteratorResult<Future<unknown>, T> {
    if (this.yielded) {
      this.done = true;
      this.value = value;
    } else this.yielded = true;
    return this as IteratorResult<Future<unknown>, T>;
  }
  // The driver throws an awaited future's error into the generator; `yield*` forwards it here, and
  // rethrowing makes it surface at the `wait` line, where the user's try/catch sees it. The error
  // was made where the future failed (a socket, a timer, a child task), with none of the user's
  // frames on the stack; here the generator's frame is, so its `wait` line is added to the error's
  // stack. Only errors pay for this: a wait that succeeds captures nothing.
  throw(error?: unknown): IteratorResult<Future<unknown>, T> {
    addWaitSite(error);
    throw error;
  }
  return(value?: unknown): IteratorResult<Future<unknown>, T> {
    this.done = true;
    this.value = value;
    return this as IteratorResult<Future<unknown>, T>;
  }
  /** Reached only when a coroutine yields the wait itself (`yield wait(f)`): see {@link Wait}. */
  poll(): never {
    throw new TypeError(MISSING_STAR);
  }
}

/** Holds a captured stack; a plain object, so capturing it builds no `Error`. */
const site: { stack?: string | undefined } = {};

/**
 * Appends the frame that called `WaitOnce.throw` (the generator, at its `yield* wait(...)`) to
 * `error.stack` as `    at wait in <frame>`. Errors that are not `Error`s, or whose stack cannot
 * be written, are left as they are.
 */
function addWaitSite(error: unknown): void {
  if (!(error instanceof Error)) return;
  // Only compared by identity, to cut the captured stack above it: never called, so `this` is moot.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  Error.captureStackTrace(site, WaitOnce.prototype.throw);
  const captured = site.stack;
  site.stack = undefined;
  const frame = captured === undefined ? undefined : /\n\s+at (.*)/.exec(captured)?.[1];
  if (frame === undefined) return;
  try {
    error.stack = `${error.stack ?? String(error)}\n    at wait in ${frame}`;
  } catch {
    // A frozen error or a read-only stack: the error goes on unchanged.
  }
}

/**
 * Turns a generator function, or a generator not started yet, into a lazy `Future`: the book's
 * `coroutine fn`. The body runs from the first poll.
 *
 * @example
 * ```ts
 * const out = new Executor().blockOn(coroutine(function* () {
 *   yield* wait(sleep(10));
 *   return "slept";
 * }));
 *
 * // Many of the same: declare the generator function once and pass what calling it returns.
 * function* tick(i: number): CoroutineBody<number> {
 *   yield* wait(sleep(i));
 *   return i;
 * }
 * const handles = [1, 2, 3].map((i) => spawn(coroutine(tick(i))));
 * ```
 */
export function coroutine<T>(body: (() => CoroutineBody<T>) | CoroutineBody<T>): Future<T> {
  if (typeof body === "function") return new Coroutine(body);
  if (body === null || typeof body !== "object" || typeof (body as Partial<CoroutineBody<T>>).next !== "function") {
    throw new TypeError(`coroutine(body): body must be a generator function or a generator, got ${body === null ? "null" : typeof body}`);
  }
  return new Coroutine(body);
}

/**
 * A pause point inside a {@link coroutine}: `const x = yield* wait(future)` — the book's `.wait`.
 * Evaluates to the future's output, or throws its error at this line (whose frame is added to the
 * error's stack as `at wait in ...`).
 *
 * @example
 * ```ts
 * const main = coroutine(function* () {
 *   const text = yield* wait(Http.get("/100/hello"));
 *   return text.length;
 * });
 * ```
 */
export function wait<T>(future: Future<T>): Wait<T> {
  return new WaitOnce(future);
}
