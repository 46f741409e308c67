/**
 * Bridges to JavaScript Promises, both ways.
 *
 * - `fromPromise(p)` is a future that completes when `p` settles. Promise callbacks run only from
 *   Node's event loop, so this works under `executor.run` (which parks with `Atomics.waitAsync`),
 *   and throws a clear error under `blockOn` (which parks the thread: nothing could ever settle).
 * - `toPromise(f)` runs a future and gives a Promise of its output: spawned on the executor that is
 *   polling now, or, called outside any, on the thread's default executor (`default-executor.ts`).
 *   With `{ signal }`, an abort drops the future (inside a poll of its task, so that its `drop()`
 *   runs on its executor, as `abort()` from a task would) and rejects with the signal's reason.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";
import { PENDING, dropFuture, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { currentExecutor, requireExecutor, type Executor } from "./executor.js";
import { checkFuture, describeValue } from "./arguments.js";
import { defaultExecutor, driveDefaultExecutor } from "./default-executor.js";
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

  describe(): string {
    return this.state === WAITING ? (this.started ? "promise (pending)" : "promise (not started)") : "promise (settled)";
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
    let p: PromiseLike<T>;
    try {
      p = typeof this.source === "function" ? this.source() : this.source;
      if (typeof (p as Partial<PromiseLike<T>> | null)?.then !== "function") {
        throw new RuntimeError(`fromPromise(thunk): the thunk returned ${describeValue(p)}, not a Promise`);
      }
    } catch (e) {
      // Nothing is in flight: the count stays as it was, and the future is over.
      this.state = TAKEN;
      throw e;
    }
    this.executor = ex;
    ex.pendingPromises++;
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
  if (typeof promise !== "function" && typeof (promise as Partial<PromiseLike<T>> | null)?.then !== "function") {
    throw new RuntimeError(`fromPromise(promise): expected a Promise or a function returning one, got ${describeValue(promise)}`);
  }
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
 * A future that runs `inner` until `signal` aborts; then, at its next poll (the abort wakes it),
 * drops `inner` and throws the signal's reason.
 */
class UntilAborted<T> implements Future<T> {
  /** The task's name: the inner future's (see `Task.name`). */
  readonly name: string;
  private inner: Future<T> | null;
  private waker: Waker | null = null;
  private readonly onAbort = (): void => {
    const w = this.waker;
    this.waker = null;
    w?.wake();
  };

  constructor(
    inner: Future<T>,
    private readonly signal: AbortSignal,
  ) {
    this.inner = inner;
    const n = (inner as { name?: unknown }).name;
    this.name = typeof n === "string" && n.length > 0 ? n : inner.constructor?.name || "task";
    signal.addEventListener("abort", this.onAbort, { once: true });
  }

  poll(waker: Waker): Poll<T> {
    const inner = this.inner;
    if (inner === null) pollAfterReady("toPromise(future, { signal })");
    if (this.signal.aborted) {
      this.drop();
      throw this.signal.reason;
    }
    this.waker = waker;
    let r: Poll<T>;
    try {
      r = inner.poll(waker);
    } catch (e) {
      this.finish();
      throw e;
    }
    if (r !== PENDING) this.finish();
    return r;
  }

  drop(): void {
    const inner = this.inner;
    this.finish();
    if (inner !== null) dropFuture(inner);
  }

  private finish(): void {
    this.inner = null;
    this.waker = null;
    this.signal.removeEventListener("abort", this.onAbort);
  }
}

/** Options of {@link toPromise}. */
export interface ToPromiseOptions {
  /**
   * Aborting it drops the future and rejects the promise with `signal.reason` (a `DOMException`
   * named `"AbortError"` unless `abort(reason)` gave one). An already aborted signal rejects at
   * once, without polling the future.
   */
  signal?: AbortSignal;
}

function checkSignal(signal: unknown): asserts signal is AbortSignal {
  const s = signal as Partial<AbortSignal> | null;
  if (typeof s !== "object" || s === null || typeof s.aborted !== "boolean" || typeof s.addEventListener !== "function") {
    throw new RuntimeError(`toPromise(future, { signal }): expected an AbortSignal, got ${describeValue(signal)}`);
  }
}

/**
 * Runs `future` and returns a Promise of its output: spawned on the executor polling right now, or,
 * called outside any, on the thread's default executor (one per thread, driven with `run`). The
 * promise settles when this future ends, whatever else runs on that executor; if the executor
 * finds a deadlock, the promises still pending reject with `DeadlockError`. With `signal`, an abort
 * drops the future and rejects with `signal.reason`.
 *
 * @example
 * <!-- ts-check
 * declare const stream: TcpStream;
 * declare const buf: Uint8Array;
 * -->
 * ```ts
 * const text = await toPromise(sleep(10)); // from plain async code
 * const n = await toPromise(stream.read(buf), { signal: AbortSignal.timeout(1000) }); // rejects with a TimeoutError DOMException
 * ```
 */
export function toPromise<T>(future: Future<T>, options?: ToPromiseOptions): Promise<T> {
  checkFuture("toPromise(future)", future);
  const signal = options?.signal;
  if (signal !== undefined) {
    checkSignal(signal);
    if (signal.aborted) return Promise.reject(signal.reason as Error);
  }
  const current = currentExecutor();
  const ex: Executor = current ?? defaultExecutor();
  const handle = ex.spawn(signal === undefined ? future : new UntilAborted(future, signal));
  // The joiner is attached before the default executor first polls the task, so a failure goes
  // to the promise and is never reported as unobserved.
  const promise = new Promise<T>((resolve, reject) => {
    new ResolveOnWake(handle, resolve, reject).wake();
  });
  if (current === null) driveDefaultExecutor();
  return promise;
}
