/**
 * A task: a top-level future the executor drives, the book's `Task`. To keep a task small (a
 * million of them must fit in ~150 bytes each) one object plays three parts:
 *
 * - the task record the executor keeps (future, state bits, outcome);
 * - its own `Waker` (`wake()` queues it unless already queued: a task woken many times before it
 *   runs is polled once), which also carries the task's cooperative budget;
 * - its `JoinHandle` (a `Future<T>` that completes with the task's output, plus `abort()`).
 *
 * The task's state machine lives here and only here (as async-task's `state.rs`): the executor asks
 * the task to transition (`run`, `cancel`, `observe`) and never sets a bit itself. Each bit's
 * meaning, and which transitions set and clear it, is written at its constant in `task-bits.ts`.
 *
 * Life of a task: spawned QUEUED -> `run` (RUNNING; QUEUED cleared) -> pending (waits for a wake,
 * which sets QUEUED and queues it), yielded (woken during the poll: QUEUED, queued by the
 * executor), or DONE (with FAILED or CANCELLED for those outcomes). `abort()` cancels at once, or,
 * during the task's own poll, sets ABORTING and cancels when the poll returns.
 *
 * Invariants:
 * - `DONE` is final: a finished task is never polled again (its future is released at once) and a
 *   wake of it is ignored. `FAILED` and `CANCELLED` appear only with `DONE`, never together.
 * - A live task is in the ready queue at most once: `wake` queues it only on the transition to
 *   `QUEUED`, and a task woken while `RUNNING` (it woke itself: it *yielded*) is queued by the
 *   executor when `run` returns {@link YIELDED}, behind a look at timers and I/O. (A task that
 *   finished while queued may leave a stale entry behind; `run` skips it.)
 * - `RUNNING` is set for the length of one poll only; the cooperative budget is spent only then.
 *
 * @module
 */
import { CancelledError } from "../errors.js";
import { PENDING, dropFuture, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { Waker } from "../future/waker.js";
import {
  ABORTING,
  CANCELLED,
  DONE,
  FAILED,
  FINISHED,
  INDEX_SHIFT,
  JOINED,
  MAX_POLL_COUNT,
  OBSERVED,
  QUEUED,
  RUNNING,
  SKIPPED,
  STATE_MASK,
  TASK_BUDGET,
  THREW,
  WAITING,
  YIELDED,
} from "./task-bits.js";
import { taskFinish } from "./trace.js";

/**
 * A joiner that only watches a task (a `JoinSet`'s entry): it is woken when the task finishes, but
 * being attached then does not count as observing a failure, which is still reported unless the
 * outcome is taken from the handle (polled) in the same executor cycle.
 */
export abstract class JoinWatcher extends Waker {}

/**
 * Budget left to the task being polled on this thread. One variable serves every executor of the
 * thread: polls never nest (blockOn/run inside a task is refused), so one task polls at a time.
 */
let budget = 0;

/**
 * The handle `spawn` returns: a `Future<T>` that completes with the task's output (or throws its
 * error; `CancelledError` after `abort()`). Dropping the handle detaches the task; it keeps running.
 * So does disposing of it (`using h = spawn(...)`): to abort tasks when a block ends, spawn them
 * in a `JoinSet` or a `scope`.
 *
 * @example
 * ```ts
 * const h = spawn(sleep(10));
 * h.abort();
 * try { yield* wait(h); } catch (e) { e instanceof CancelledError; } // true
 * ```
 */
export interface JoinHandle<T> extends Future<T>, Disposable {
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
  /** Queues a woken task that is not running. */
  schedule(task: Task<unknown>): void;
  /** Removes a finished task from the live set. */
  taskFinished(task: Task<unknown>): void;
  /** Counts a poll that used up its task's cooperative budget. */
  budgetExhausted(): void;
  /** Reports an error thrown by a waker or a `drop()`; the executor goes on. */
  reportWakerError(e: unknown): void;
}

/**
 * The most tasks one executor holds alive at once: the live-task index shares a small integer
 * with the state bits (8,388,607; at ~150 bytes each, more than a default heap holds).
 */
export const MAX_LIVE_TASKS = (1 << (31 - INDEX_SHIFT)) - 1;

export class Task<T> extends Waker implements JoinHandle<T> {
  /**
   * The state bits (low 8) and, above them, 1 + the task's position in the executor's live-task
   * array (0 once finished). One small integer instead of two fields: 8 bytes less per task.
   */
  private word = 0;
  /** The waker of whoever awaits the handle. */
  private joiner: Waker | null = null;
  /**
   * Polls so far, for task dumps; saturates at 2^31 - 1. With {@link polledAt}, kept in the task,
   * whose object the poll already has at hand: kept in a table beside the executor's live-task
   * array, the two took a second memory stream, ~1 ns a poll in W3, where here they take 16 bytes
   * a task.
   */
  polls = 0;
  /** The executor's cycle tag (see `dump.ts`) at the task's last poll, or at its spawn. */
  polledAt: number;

  /**
   * The future while the task runs; once DONE, its output (or error). One field for both keeps the
   * task small; it is read as the future only while DONE is clear.
   */
  private inner: unknown;

  constructor(
    readonly executor: TaskOwner,
    readonly id: number,
    future: Future<T>,
    name: string | undefined,
    spawnedAt: number,
  ) {
    super();
    this.inner = future;
    this.polledAt = spawnedAt;
    if (name !== undefined) executor.taskNames.set(this, name);
  }

  private get state(): number {
    return this.word & STATE_MASK;
  }

  private set state(bits: number) {
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

  /** True once the future threw. */
  get failed(): boolean {
    return (this.state & FAILED) !== 0;
  }

  /** True when the task failed and its error has reached nobody (see `OBSERVED`). */
  get failureUnobserved(): boolean {
    return (this.state & (FAILED | OBSERVED)) === FAILED;
  }

  /** The error the future threw, once it has failed (undefined before). */
  get error(): unknown {
    return (this.state & FAILED) !== 0 ? this.inner : undefined;
  }

  /** The error a failed task threw (or the output of one that succeeded); marks it observed. */
  observe(): unknown {
    this.state |= OBSERVED;
    return this.inner;
  }

  override wake(): void {
    // The state bits are the word's low bits: set and test them in place (the hottest path).
    const w = this.word;
    if ((w & (QUEUED | DONE)) !== 0) return;
    this.word = w | QUEUED;
    // A task woken during its own poll is put back by the executor when `run` returns.
    if ((w & RUNNING) === 0) this.executor.schedule(this);
  }

  override consumeBudget(): boolean {
    // Only the task being polled spends: a waker kept and asked later stands for no poll.
    if ((this.word & RUNNING) === 0) return true;
    if (budget > 0) {
      budget--;
      return true;
    }
    if (budget === 0) {
      budget = -1;
      this.executor.budgetExhausted();
    }
    return false;
  }

  /** For task dumps: woken and queued, being polled, or waiting for a wake. */
  get dumpState(): "ready" | "pending" | "running" {
    const s = this.state;
    return (s & RUNNING) !== 0 ? "running" : (s & QUEUED) !== 0 ? "ready" : "pending";
  }

  /**
   * Polls the future once, for an executor that took the task off its ready queue, with a fresh
   * budget, and counts the poll at the executor's cycle tag `tag`. Returns {@link SKIPPED} (it had
   * finished while queued), {@link WAITING}, {@link YIELDED}, {@link FINISHED} or {@link THREW}.
   */
  run(tag: number): number {
    const w = this.word;
    if ((w & DONE) !== 0) return SKIPPED;
    this.word = (w & ~QUEUED) | RUNNING;
    const p = this.polls;
    if (p !== MAX_POLL_COUNT) this.polls = p + 1;
    this.polledAt = tag;
    budget = TASK_BUDGET;
    let r: unknown;
    try {
      r = (this.inner as Future<unknown>).poll(this);
    } catch (e) {
      this.finish(FAILED, e);
      return THREW;
    }
    if (r !== PENDING) {
      this.finish(0, r);
      return FINISHED;
    }
    const after = this.word;
    if ((after & ABORTING) !== 0) {
      this.cancel();
      return FINISHED;
    }
    this.word = after & ~RUNNING;
    return (after & QUEUED) !== 0 ? YIELDED : WAITING;
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

  /** What awaiting this handle waits on, for task dumps: "JoinHandle #7 (worker)". */
  describe(): string {
    return `JoinHandle #${this.id} (${this.name})${(this.state & DONE) !== 0 ? ", finished" : ""}`;
  }

  /** Dropping the handle detaches: the task runs on, nobody is told when it ends. */
  drop(): void {
    this.joiner = null;
  }

  /** Detaches, as {@link drop} does (`using h = spawn(f)`). */
  [Symbol.dispose](): void {
    this.joiner = null;
  }

  abort(): void {
    const s = this.state;
    if ((s & DONE) !== 0) return;
    if ((s & RUNNING) !== 0) {
      this.state = s | ABORTING;
      return;
    }
    this.cancel();
  }

  /**
   * Drops the future and completes the task as cancelled; joiners get `reason` (by default a
   * `CancelledError`; the executor passes its `DeadlockError` when it gives up on its tasks).
   */
  cancel(reason?: Error): void {
    const f = this.future;
    if (f === null) return;
    this.finish(CANCELLED, reason ?? new CancelledError(`task #${this.id} (${this.name}) was cancelled`));
    try {
      dropFuture(f);
    } catch (e) {
      this.executor.reportWakerError(e);
    }
  }

  /** Marks the task done with `bits` (0, FAILED or CANCELLED) and `value`, and wakes its joiner. */
  private finish(bits: number, value: unknown): void {
    // The failure report comes after the future is gone: keep its name.
    if (bits === FAILED && !this.executor.taskNames.has(this)) this.executor.taskNames.set(this, deriveName(this.future));
    const j = this.joiner;
    const observed = j !== null && !(j instanceof JoinWatcher);
    this.state = (this.state | DONE | bits | (observed ? OBSERVED : 0)) & ~(QUEUED | RUNNING | ABORTING);
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
