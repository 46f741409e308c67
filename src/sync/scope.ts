/**
 * `scope(function* (s) { ... })`: structured concurrency. Tasks spawned with `s.spawn` belong to
 * the scope, and the scope's future completes only when its body and every one of those tasks have
 * ended, so no task outlives the code that started it (Trio's nursery, `std::thread::scope`).
 *
 * Contract:
 * - The scope completes with the body's return value, once the body has returned and every task
 *   spawned in it has finished.
 * - The first failure (the body throws, or a task fails) aborts the rest (the body is dropped,
 *   running its `finally` blocks; the tasks are aborted) and the scope throws that error. A task
 *   aborted on purpose (through its handle) is not a failure.
 * - Dropping the scope's future (it lost a `select`, its own task was aborted) aborts its tasks
 *   and drops the body.
 * - `s.spawn` returns a `JoinHandle` the body (or another task) can await for that task's output;
 *   the scope sees every task's outcome itself, so a failure is never lost for want of a joiner.
 *   Spawning into a scope that has ended is a `RuntimeError`.
 *
 * @module
 */
import { CancelledError, RuntimeError } from "../errors.js";
import { coroutine, type CoroutineBody } from "../future/coroutine.js";
import { PENDING, dropFuture, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { Waker } from "../future/waker.js";
import { spawn, type SpawnOptions } from "../runtime/executor.js";
import type { JoinHandle } from "../runtime/task.js";

const RUNNING = 0;
const SUCCEEDED = 1;
const FAILED = 2;
const JOINED = 3;

/** A task of a scope: its joiner (the scope learns its outcome at once) and the handle `s.spawn` gives. */
class ScopedTask<T> extends Waker implements JoinHandle<T> {
  private state = RUNNING;
  private outcome: unknown = undefined;
  private joiner: Waker | null = null;
  /** Aborted through this handle or by the scope: its `CancelledError` is not a failure. */
  aborted = false;

  constructor(
    private readonly task: JoinHandle<T>,
    private readonly owner: ScopeFuture<unknown>,
  ) {
    super();
  }

  get id(): number {
    return this.task.id;
  }

  get name(): string {
    return this.task.name;
  }

  get finished(): boolean {
    return this.task.finished;
  }

  /** The task woke its joiner: take its outcome (a wake before it finished is spurious). */
  override wake(): void {
    if (this.state !== RUNNING || !this.task.finished) return;
    let failed = false;
    try {
      this.outcome = this.task.poll(this);
    } catch (e) {
      this.outcome = e;
      failed = true;
    }
    this.state = failed ? FAILED : SUCCEEDED;
    const j = this.joiner;
    this.joiner = null;
    j?.wake();
    this.owner.taskEnded(this, failed && !(this.aborted && this.outcome instanceof CancelledError), this.outcome);
  }

  poll(waker: Waker): Poll<T> {
    switch (this.state) {
      case RUNNING:
        this.joiner = waker;
        return PENDING;
      case SUCCEEDED:
        this.state = JOINED;
        return this.outcome as T;
      case FAILED:
        this.state = JOINED;
        throw this.outcome;
      default:
        return pollAfterReady(`JoinHandle of scoped task #${this.id} (${this.name})`);
    }
  }

  drop(): void {
    this.joiner = null;
  }

  /** Detaches, as dropping does: the scope still ends the task with itself. */
  [Symbol.dispose](): void {
    this.drop();
  }

  abort(): void {
    this.aborted = true;
    this.task.abort();
  }

  /** @internal Starts watching the task (polling the handle makes this its joiner). */
  start(): void {
    this.task.poll(this);
  }
}

/**
 * What a scope's body gets: `spawn` tasks that belong to the scope.
 *
 * @example
 * ```ts
 * yield* wait(scope(function* (s) {
 *   const a = s.spawn(Http.get("/100/a"));
 *   s.spawn(Http.get("/200/b")); // its failure would abort `a` and fail the scope
 *   return yield* wait(a);
 * }));
 * ```
 */
export class Scope {
  constructor(private readonly owner: ScopeFuture<unknown>) {}

  /**
   * Spawns `future` as a task of the executor polling now, owned by this scope. Returns its
   * handle; the scope waits for the task whether or not anyone awaits the handle.
   */
  spawn<T>(future: Future<T>, options?: SpawnOptions): JoinHandle<T> {
    return this.owner.spawnTask(future, options);
  }
}

const NO_ERROR: unique symbol = Symbol("no error");

class ScopeFuture<T> implements Future<T> {
  private body: Future<T> | null;
  private bodyEnded = false;
  private result: T | undefined = undefined;
  private error: unknown = NO_ERROR;
  private done = false;
  private waker: Waker | null = null;
  private readonly tasks = new Set<ScopedTask<unknown>>();

  constructor(body: (s: Scope) => CoroutineBody<T>) {
    const s = new Scope(this);
    this.body = coroutine(() => body(s));
  }

  poll(waker: Waker): Poll<T> {
    if (this.done) pollAfterReady("scope()");
    this.waker = waker;
    const body = this.body;
    if (body !== null) {
      let r: Poll<T>;
      try {
        r = body.poll(waker);
      } catch (e) {
        this.body = null;
        this.bodyEnded = true;
        this.fail(e);
        r = PENDING;
      }
      if (r !== PENDING) {
        this.body = null;
        this.bodyEnded = true;
        this.result = r;
      }
    }
    // Aborted tasks finish at once, unless one is being polled right now: then it finishes when
    // its poll returns, and wakes us.
    if (this.tasks.size > 0 || !this.bodyEnded) return PENDING;
    this.done = true;
    this.waker = null;
    if (this.error !== NO_ERROR) throw this.error;
    return this.result as T;
  }

  drop(): void {
    this.done = true;
    this.waker = null;
    this.cancelAll();
  }

  /** @internal */
  spawnTask<U>(future: Future<U>, options: SpawnOptions | undefined): JoinHandle<U> {
    if (this.done || this.error !== NO_ERROR) throw new RuntimeError("spawn into a scope that has ended");
    const t = new ScopedTask(spawn(future, options), this);
    this.tasks.add(t);
    t.start();
    return t;
  }

  /** @internal A task of this scope finished; `failed` when its error fails the scope. */
  taskEnded(t: ScopedTask<unknown>, failed: boolean, error: unknown): void {
    this.tasks.delete(t);
    if (failed) this.fail(error);
    this.waker?.wake();
  }

  private fail(e: unknown): void {
    if (this.error !== NO_ERROR) return;
    this.error = e;
    this.cancelAll();
    this.waker?.wake();
  }

  private cancelAll(): void {
    const body = this.body;
    if (body !== null) {
      this.body = null;
      this.bodyEnded = true;
      dropFuture(body);
    }
    for (const t of Array.from(this.tasks)) t.abort();
  }
}

/**
 * Runs `body` with a {@link Scope} to spawn tasks in; completes once the body and all those tasks
 * have ended. The first failure aborts the rest and is thrown. See the module doc for the contract.
 *
 * @example
 * <!-- ts-check
 * declare const urls: string[];
 * -->
 * ```ts
 * const pages = yield* wait(scope(function* (s) {
 *   const handles = urls.map((u) => s.spawn(Http.get(u)));
 *   return yield* wait(joinAll(handles)); // one failure aborts the other requests
 * }));
 * ```
 */
export function scope<T>(body: (s: Scope) => CoroutineBody<T>): Future<T> {
  if (typeof body !== "function") throw new TypeError("scope(body): body must be a generator function");
  return new ScopeFuture(body);
}
