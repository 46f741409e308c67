/**
 * A task: a top-level future the executor drives, the book's `Task`. To keep a task small (a
 * million of them must fit in ~150 bytes each) one object plays three parts:
 *
 * - the task record the executor keeps (future, state bits, outcome);
 * - its own `Waker` (`wake()` pushes it on the ready queue unless already queued: a task woken many
 *   times before it runs is polled once);
 * - its `JoinHandle` (a `Future<T>` that completes with the task's output, plus `abort()`).
 *
 * Invariants: a finished task is never polled again (its future is released at once); a wake of a
 * finished task is ignored; the handle is a one-shot future like any other.
 *
 * @module
 */
import { CancelledError } from "../errors.js";
import { PENDING, dropFuture, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { Waker } from "../future/waker.js";
import { taskFinish } from "./trace.js";

// State bits.
export const QUEUED = 1;
export const DONE = 2;
export const FAILED = 4;
export const CANCELLED = 8;
/** The outcome reached someone through the handle (a failure is not "unobserved"). */
export const OBSERVED = 16;
/** The handle returned its output: polling it again is a bug. */
export const JOINED = 32;
/** `abort()` was called while the task was being polled: finish it once the poll returns. */
export const ABORTING = 64;

/**
 * The handle `spawn` returns: a `Future<T>` that completes with the task's output (or throws its
 * error; `CancelledError` after `abort()`). Dropping the handle detaches the task; it keeps running.
 *
 * @example
 * ```ts
 * const h = spawn(sleep(10));
 * h.abort();
 * try { yield* wait(h); } catch (e) { e instanceof CancelledError; } // true
 * ```
 */
export interface JoinHandle<T> extends Future<T> {
  /** Stops the task: its future is dropped (its `drop()` runs) and joiners get `CancelledError`. */
  abort(): void;
  /** The task's id, unique within its executor. */
  readonly id: number;
  /** The task's name: given to `spawn`, or derived from the future's class or function name. */
  readonly name: string;
  /** True once the task has finished (with a value, an error, or cancelled). */
  readonly finished: boolean;
}

/**
 * What a task needs of the executor that owns it (the `Executor` implements it; the task module
 * names this instead of the executor, which imports the task).
 */
export interface TaskOwner {
  readonly name: string;
  /** Names of tasks that were given one (or failed): see `Task.name`. */
  readonly taskNames: WeakMap<Task<unknown>, string>;
  /** Queues a woken task. */
  schedule(task: Task<unknown>): void;
  /** True while `task` is being polled. */
  isPolling(task: Task<unknown>): boolean;
  /** Removes a finished task from the live set. */
  taskFinished(task: Task<unknown>): void;
  /** Reports an error thrown by a waker or a `drop()`; the executor goes on. */
  reportWakerError(e: unknown): void;
}

const STATE_MASK = 0x7f;
const INDEX_SHIFT = 7;
/**
 * The most tasks one executor holds alive at once: the live-task index shares a small integer
 * with the state bits (16,777,215; at ~150 bytes each, far more than a default heap holds).
 */
export const MAX_LIVE_TASKS = (1 << (31 - INDEX_SHIFT)) - 1;

export class Task<T> extends Waker implements JoinHandle<T> {
  /**
   * The state bits (low 7) and, above them, 1 + the task's position in the executor's live-task
   * array (0 once finished). One small integer instead of two fields: 8 bytes less per task.
   */
  private word = 0;
  /** The waker of whoever awaits the handle. */
  joiner: Waker | null = null;

  /**
   * The future while the task runs; once DONE, its output (or error). One field for both keeps the
   * task small; the executor reads it as the future only while DONE is clear.
   */
  inner: unknown;

  constructor(
    readonly executor: TaskOwner,
    readonly id: number,
    future: Future<T>,
    name: string | undefined,
  ) {
    super();
    this.inner = future;
    if (name !== undefined) executor.taskNames.set(this, name);
  }

  /** The state bits (QUEUED, DONE, ...). */
  get state(): number {
    return this.word & STATE_MASK;
  }

  set state(bits: number) {
    this.word = (this.word & ~STATE_MASK) | bits;
  }

  /** Position in the executor's live-task array (swap-remove), -1 when not in it. */
  get index(): number {
    return (this.word >> INDEX_SHIFT) - 1;
  }

  set index(i: number) {
    this.word = ((i + 1) << INDEX_SHIFT) | (this.word & STATE_MASK);
  }

  /** The task's future, or null once finished. */
  get future(): Future<T> | null {
    return (this.state & DONE) === 0 ? (this.inner as Future<T>) : null;
  }

  get name(): string {
    // Names live in a side table: most tasks are never named nor asked for a name, and a field
    // would cost every one of them 8 bytes.
    const names = this.executor.taskNames;
    let n = names.get(this);
    if (n === undefined) {
      n = deriveName(this.future);
      // A finished task has dropped its future: remember the name it had.
      if ((this.state & DONE) === 0) return n;
      names.set(this, n);
    }
    return n;
  }

  get finished(): boolean {
    return (this.state & DONE) !== 0;
  }

  override wake(): void {
    const s = this.state;
    if ((s & (QUEUED | DONE)) !== 0) return;
    this.state = s | QUEUED;
    this.executor.schedule(this);
  }

  poll(waker: Waker): Poll<T> {
    const s = this.state;
    if ((s & DONE) === 0) {
      this.joiner = waker;
      return PENDING;
    }
    if ((s & JOINED) !== 0) pollAfterReady(`JoinHandle of task #${this.id} (${this.name})`);
    this.state = s | JOINED | OBSERVED;
    this.joiner = null;
    if ((s & (FAILED | CANCELLED)) !== 0) throw this.inner;
    return this.inner as T;
  }

  /** Dropping the handle detaches: the task runs on, nobody is told when it ends. */
  drop(): void {
    this.joiner = null;
  }

  abort(): void {
    const s = this.state;
    if ((s & DONE) !== 0) return;
    if (this.executor.isPolling(this)) {
      this.state = s | ABORTING;
      return;
    }
    this.cancel();
  }

  /** Drops the future and completes the task as cancelled. */
  cancel(): void {
    const f = this.future;
    const error = new CancelledError(`task #${this.id} (${this.name}) was cancelled`);
    this.finish(CANCELLED, error);
    if (f !== null) {
      try {
        dropFuture(f);
      } catch (e) {
        this.executor.reportWakerError(e);
      }
    }
  }

  /** Marks the task done with `bits` (0, FAILED or CANCELLED) and `value`, and wakes its joiner. */
  finish(bits: number, value: unknown): void {
    // The failure report comes after the future is gone: keep its name.
    if (bits === FAILED && !this.executor.taskNames.has(this)) this.executor.taskNames.set(this, deriveName(this.future));
    this.state = (this.state | DONE | bits) & ~(QUEUED | ABORTING);
    this.inner = value;
    this.executor.taskFinished(this);
    if (taskFinish.hasSubscribers) {
      const outcome = bits === 0 ? "ok" : bits === FAILED ? "error" : "cancelled";
      taskFinish.publish(
        bits === 0
          ? { executor: this.executor.name, id: this.id, name: this.name, outcome }
          : { executor: this.executor.name, id: this.id, name: this.name, outcome, error: value },
      );
    }
    const j = this.joiner;
    if (j !== null) {
      this.joiner = null;
      j.wake();
    }
  }
}

function deriveName(future: Future<unknown> | null): string {
  if (future === null) return "task";
  const n = (future as { name?: unknown }).name;
  if (typeof n === "string" && n.length > 0) return n;
  const c = future.constructor?.name;
  return c !== undefined && c !== "Object" && c.length > 0 ? c : "task";
}
