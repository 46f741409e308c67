/**
 * `JoinSet<T>`: many tasks spawned together, joined in the order they finish; tokio's `JoinSet`.
 *
 * Contract:
 * - `spawn` spawns on the executor polling now (like `spawn`) and returns an {@link AbortHandle};
 *   the set owns the task's outcome.
 * - `joinNext()` completes with the output of the next task to finish, in completion order; it
 *   throws that task's error (`CancelledError` for an aborted one), and that task is then out of
 *   the set, so the next `joinNext` goes on with the rest. It completes with `undefined` when the
 *   set is empty.
 * - Cancellation-safe: a dropped `joinNext` takes nothing (a task it was promised goes to the next
 *   `joinNext`).
 * - `abortAll()`, and disposing the set (`using set = new JoinSet()`), abort every task still
 *   running. A task that failed and was never joined is reported by its executor, as any task
 *   whose failure nobody awaited.
 *
 * @module
 */
import type { Future } from "../future/future.js";
import { spawn, type SpawnOptions } from "../runtime/executor.js";
import { JoinWatcher, type JoinHandle } from "../runtime/task.js";
import { ItemQueue, Take } from "./item-queue.js";

/**
 * A handle to stop a task whose outcome belongs to someone else (a `JoinSet`): tokio's `AbortHandle`.
 *
 * @example
 * <!-- ts-check
 * declare const set: JoinSet<void>;
 * -->
 * ```ts
 * const h = set.spawn(sleep(10_000));
 * h.abort(); // set.joinNext() will throw CancelledError for it
 * ```
 */
export interface AbortHandle {
  /** Stops the task (its future is dropped). */
  abort(): void;
  /** The task's id, unique within its executor. */
  readonly id: number;
  /** The task's name. */
  readonly name: string;
  /** True once the task has finished (with a value, an error, or cancelled). */
  readonly finished: boolean;
}

/**
 * One task of a set: its joiner, as a watcher (the task wakes it when it finishes, and a failure
 * nobody takes with `joinNext` is still reported by the executor).
 */
class Entry<T> extends JoinWatcher implements AbortHandle {
  private queued = false;
  /** The outcome, once taken from the handle (a `joinNext` was waiting when the task finished). */
  private outcome: { ok: boolean; value: unknown } | null = null;

  constructor(
    readonly handle: JoinHandle<T>,
    private readonly set: JoinSet<T>,
  ) {
    super();
  }

  get id(): number {
    return this.handle.id;
  }

  get name(): string {
    return this.handle.name;
  }

  get finished(): boolean {
    return this.handle.finished;
  }

  abort(): void {
    this.handle.abort();
  }

  /** Takes the outcome from the handle now: a `joinNext` is waiting for it, so it is observed. */
  observeNow(): void {
    try {
      this.outcome = { ok: true, value: this.handle.poll(this) };
    } catch (e) {
      this.outcome = { ok: false, value: e };
    }
  }

  /** The task's output, or throws its error: from the outcome taken already, or from the handle. */
  take(): T {
    const o = this.outcome;
    if (o === null) return this.handle.poll(this) as T;
    if (!o.ok) throw o.value;
    return o.value as T;
  }

  /** The task woke its joiner: it has finished (a wake before that is spurious). */
  override wake(): void {
    if (this.queued || !this.handle.finished) return;
    this.queued = true;
    this.set.entryFinished(this);
  }
}

class JoinNext<T> extends Take<Entry<T>, T | undefined> {
  protected what(): string {
    return "JoinSet.joinNext()";
  }
  // The outcome is taken from the handle only when someone joins it: a failure never joined
  // stays unobserved, and its executor reports it.
  protected taken(e: Entry<T>): T {
    return e.take();
  }
  protected ended(): undefined {
    return undefined;
  }
}

/**
 * A set of tasks joined in completion order. See the module doc for the contract.
 *
 * @example
 * ```ts
 * using set = new JoinSet<string>();        // aborts what is left when the block ends
 * for (const i of [3, 1, 2]) set.spawn(map(sleep(i * 10), () => `task ${i}`));
 * while (set.size > 0) console.log(yield* wait(set.joinNext())); // task 1, task 2, task 3
 * ```
 */
export class JoinSet<T> implements Disposable {
  private readonly running = new Set<Entry<T>>();
  private readonly finishedTasks = new ItemQueue<Entry<T>>();

  constructor() {
    this.finishedTasks.end();
  }

  /** Tasks in the set: running, or finished and not joined yet. */
  get size(): number {
    return this.running.size + this.finishedTasks.items.length;
  }

  /**
   * Spawns `future` as a task of the executor polling now, owned by this set.
   *
   * @example
   * <!-- ts-check
   * declare const set: JoinSet<string>;
   * -->
   * ```ts
   * const h = set.spawn(Http.get("/100/a"), { name: "get a" });
   * ```
   */
  spawn(future: Future<T>, options?: SpawnOptions): AbortHandle {
    const e = new Entry(spawn(future, options), this);
    this.running.add(e);
    this.finishedTasks.reopen();
    // Polling the handle makes the entry its joiner: the task wakes it when it finishes.
    e.handle.poll(e);
    return e;
  }

  /**
   * The output of the next task to finish; throws its error. `undefined` when the set is empty.
   *
   * @example
   * <!-- ts-check
   * declare const set: JoinSet<string>;
   * declare const done: (string | undefined)[];
   * declare const failed: unknown[];
   * -->
   * ```ts
   * try { done.push(yield* wait(set.joinNext())); } catch (e) { failed.push(e); }
   * ```
   */
  joinNext(): Future<T | undefined> {
    return new JoinNext<T>(this.finishedTasks);
  }

  /**
   * Aborts every task still running; `joinNext` gives `CancelledError` for each.
   *
   * @example
   * <!-- ts-check
   * declare const set: JoinSet<string>;
   * -->
   * ```ts
   * const first = yield* wait(set.joinNext()); // the fastest answer is enough
   * set.abortAll();
   * ```
   */
  abortAll(): void {
    for (const e of Array.from(this.running)) e.abort();
  }

  /** `using` calls this: {@link abortAll}. */
  [Symbol.dispose](): void {
    this.abortAll();
  }

  /** @internal */
  entryFinished(e: Entry<T>): void {
    // A joinNext waiting now will take this outcome: observe it in this cycle, so the executor does
    // not report a failure that is about to be joined.
    if (this.finishedTasks.waiting.first !== null) e.observeNow();
    this.running.delete(e);
    this.finishedTasks.push(e);
    if (this.running.size === 0) this.finishedTasks.end();
  }
}
