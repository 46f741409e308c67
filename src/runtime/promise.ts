/**
 * Bridges to JavaScript Promises, both ways.
 *
 * - `fromPromise(p)` is a future that completes when `p` settles. Promise callbacks run only from
 *   Node's event loop, so this works under `executor.run` (which parks with `Atomics.waitAsync`),
 *   and throws a clear error under `blockOn` (which parks the thread: nothing could ever settle).
 * - `toPromise(f)` runs a future and gives a Promise of its output: spawned on the executor that is
 *   polling now, or on a new executor through `run` when called outside any.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { Executor, currentExecutor, requireExecutor } from "./executor.js";
import type { JoinHandle } from "./task.js";
import { Waker } from "../future/waker.js";

const WAITING = 0;
const FULFILLED = 1;
const REJECTED = 2;
const TAKEN = 3;

class PromiseFuture<T> implements Future<T> {
  private state = WAITING;
  private value: unknown = undefined;
  private waker: Waker | null = null;
  private started = false;
  private executor: Executor | null = null;

  constructor(private readonly source: PromiseLike<T> | (() => PromiseLike<T>)) {}

  poll(waker: Waker): Poll<T> {
    const s = this.state;
    if (s === TAKEN) pollAfterReady("fromPromise()");
    if (s === WAITING) {
      if (!this.started) this.start();
      this.waker = waker;
      return PENDING;
    }
    this.state = TAKEN;
    if (s === REJECTED) throw this.value;
    return this.value as T;
  }

  drop(): void {
    this.waker = null;
    this.settled();
  }

  private start(): void {
    const ex = requireExecutor("fromPromise()");
    if (ex.isBlocking()) {
      throw new RuntimeError(
        "fromPromise() cannot complete under executor.blockOn(): the thread is parked in Atomics.wait, so Node's event loop " +
          "never runs and no Promise can settle. Drive this future with executor.run() instead.",
      );
    }
    this.started = true;
    this.executor = ex;
    ex.pendingPromises++;
    const p = typeof this.source === "function" ? this.source() : this.source;
    p.then(
      (v) => this.settle(FULFILLED, v),
      (e: unknown) => this.settle(REJECTED, e),
    );
  }

  private settle(state: number, value: unknown): void {
    if (this.state !== WAITING) return;
    this.state = state;
    this.value = value;
    this.settled();
    const w = this.waker;
    this.waker = null;
    w?.wake();
  }

  private settled(): void {
    if (this.executor !== null) {
      this.executor.pendingPromises--;
      this.executor = null;
    }
  }
}

/**
 * A future of a Promise's outcome. Pass a thunk (`() => fetch(url)`) to start the work lazily, at
 * the first poll, as futures do. Needs `executor.run`.
 *
 * @example
 * ```ts
 * await new Executor().run(coroutine(function* () {
 *   const res = yield* wait(fromPromise(() => fetch("http://127.0.0.1:8080/0/hi")));
 *   return res.status;
 * }));
 * ```
 */
export function fromPromise<T>(promise: PromiseLike<T> | (() => PromiseLike<T>)): Future<T> {
  return new PromiseFuture(promise);
}

class ResolveOnWake<T> extends Waker {
  constructor(
    private readonly handle: JoinHandle<T>,
    private readonly resolve: (v: T) => void,
    private readonly reject: (e: unknown) => void,
  ) {
    super();
  }
  override wake(): void {
    try {
      const r = this.handle.poll(this);
      if (r !== PENDING) this.resolve(r);
    } catch (e) {
      this.reject(e);
    }
  }
}

/**
 * Runs `future` and returns a Promise of its output: spawned on the executor polling right now, or
 * on a new `Executor` through `run` when called outside any.
 *
 * @example
 * ```ts
 * const text = await toPromise(sleep(10)); // from plain async code
 * ```
 */
export function toPromise<T>(future: Future<T>): Promise<T> {
  const ex = currentExecutor();
  if (ex === null) return new Executor().run(future);
  const handle = requireExecutor("toPromise()").spawn(future);
  return new Promise<T>((resolve, reject) => {
    new ResolveOnWake(handle, resolve, reject).wake();
  });
}
