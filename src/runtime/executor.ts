/**
 * The book's `Executor`: it owns tasks, a ready queue and timers, polls whatever is ready, and parks
 * its thread when nothing is.
 *
 * Contract:
 * - `blockOn(f)` / `run(f)` spawn `f` as the main task and return its output once *every* task of
 *   this executor has finished (the book's rule: loop until the task count is zero). If the main
 *   task throws, the remaining tasks are dropped and the error is thrown.
 * - A task is polled only after a wake; woken many times before it runs, it is polled once.
 * - Fairness: after `BUDGET` polls the executor looks at its inbox, its timers and (inline mode) the
 *   reactor before polling more, so a task that keeps waking itself cannot starve I/O or timers.
 * - When every task is pending and nothing can wake one (no timer, no exported waker — the reactor
 *   and other threads hold only exported ones — and, under `run`, nothing left in Node's event loop),
 *   it throws `DeadlockError` instead of sleeping forever.
 * - A failed task whose outcome nobody took from its `JoinHandle` is reported on stderr once, when
 *   the executor finishes.
 *
 * Implementation notes:
 * - Same-thread wakes are a plain ring-buffer push (`schedule`). Other threads wake through the
 *   wake hub: a waker is *exported* to a slot (`exportWaker`), other threads set the slot's bit, and
 *   the executor maps drained slots back to waker objects (`ExportTable`, one per run). Exported refs are counted, which
 *   is how "something else can still wake us" is known.
 * - Under `run`, a wake that arrives from a Node callback while the executor is parked in
 *   `Atomics.waitAsync` must unpark it, so `schedule` unparks when `parkedAsync` is set. A pending
 *   `waitAsync` does not keep Node alive: a ref'd interval is held while parked on a timer or an
 *   exported waker; with neither, Node's `beforeExit` means no callback is left to wake us — deadlock.
 *
 * @module
 */
import { DeadlockError, RuntimeError } from "../errors.js";
import { PENDING, type Future } from "../future/future.js";
import { TimerHeap } from "./timer-heap.js";
import "./one-copy.js";
import { getDefaultDriver, type IoDriver } from "./driver.js";
import { writeLine } from "./output.js";
import { park, parkAsync } from "./parker.js";
import { ABORTING, DONE, FAILED, MAX_LIVE_TASKS, OBSERVED, QUEUED, Task, type JoinHandle } from "./task.js";
import { claimExecutorIndex, drainInbox, inboxNonEmpty, releaseExecutorIndex, unparkIndex } from "./wake-hub.js";
import { ExportTable } from "./export-table.js";
import type { Waker } from "../future/waker.js";
import { executorPark, taskSpawn } from "./trace.js";
import { isMainThread, threadId } from "node:worker_threads";

/** Polls between two looks at the inbox, timers and reactor. */
const BUDGET = 128;
/** Under `run`, the longest stretch (ms) of busy polling before Node's event loop gets a turn. */
const EVENT_LOOP_SLICE_MS = 8;

/**
 * Under `run` with the inline reactor while a `fromPromise` is pending, the longest async park (ms)
 * before epoll is looked at again.
 */
const INLINE_RUN_POLL_MS = 1;

/** Lets Node's event loop run its pending callbacks once (under `run`). */
function eventLoopTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

const IDLE = 0;
const BLOCKING = 1;
const RUNNING = 2;

/** Options of {@link Executor}. */
export interface ExecutorOptions {
  /** Shown in verbose lines and errors. Default: "main" on the main thread, else "worker-{threadId}". */
  name?: string;
  /** Print the book's lines (`main: 3 pending tasks. Sleep until notified.`). Default false. */
  verbose?: boolean;
}

/** Options of `spawn`. */
export interface SpawnOptions {
  /** The task's name in errors and traces; default: the future's class or function name. */
  name?: string;
}

/**
 * Which executor is polling on this thread right now (the book's thread-local `CURRENT_EXEC`). Set
 * only while an executor runs tasks synchronously, so code in a Node callback (outside any poll)
 * sees none. Each thread has its own module instance, hence its own `current`.
 */
let current: Executor | null = null;

/** The executor polling on this thread, or null. */
export function currentExecutor(): Executor | null {
  return current;
}

/** The executor polling on this thread; throws a clear error naming `what` when there is none. */
export function requireExecutor(what: string): Executor {
  if (current === null) {
    throw new RuntimeError(`${what} needs a running executor: call it from inside a task driven by executor.blockOn() or executor.run()`);
  }
  return current;
}

/** Swaps the current executor; returns the previous one. */
function setCurrentExecutor(e: Executor | null): Executor | null {
  const prev = current;
  current = e;
  return prev;
}

/**
 * Drives futures to completion on this thread.
 *
 * @example
 * ```ts
 * const ex = new Executor({ name: "exec-1", verbose: true });
 * const out = ex.blockOn(coroutine(function* () {
 *   const a = spawn(sleep(20));
 *   yield* wait(a);
 *   return "done";
 * })); // "done"
 * ```
 */
// Not `implements TaskOwner`: the members that make it one are internal (stripped from the published
// declarations), which would then claim an interface they do not show. `new Task(this, ...)` checks it.
export class Executor {
  readonly name: string;
  readonly verbose: boolean;
  /** @internal The executor's timers (used by `sleep`). */
  readonly timers = new TimerHeap();
  /** @internal Promises in flight from `fromPromise`. */
  pendingPromises = 0;
  /** How many times this executor has parked its thread (a metric: tests check that parking happens). */
  parks = 0;
  /** @internal Set by the inline reactor. */
  driver: IoDriver | null = null;

  private queue: (Task<unknown> | undefined)[] = new Array<Task<unknown> | undefined>(1024);
  private head = 0;
  private tail = 0;
  private mask = 1023;
  private readonly tasks: Task<unknown>[] = [];
  private nextTaskId = 1;
  private polling: Task<unknown> | null = null;
  private failures: Task<unknown>[] = [];

  private index = -1;
  private mode = IDLE;
  private parkedAsync = false;
  /** @internal Names of tasks that were given one (or failed): see `Task.name`. */
  readonly taskNames = new WeakMap<Task<unknown>, string>();
  /** @internal The wakers exported during the current run. */
  exports: ExportTable | null = null;
  private readonly wakeSlot = (slot: number): void => {
    const w = this.exports!.waker(slot);
    if (w !== undefined) this.wakeSafely(w);
  };

  constructor(options: ExecutorOptions = {}) {
    this.name = options.name ?? (isMainThread ? "main" : `worker-${threadId}`);
    this.verbose = options.verbose ?? false;
  }

  /** Number of tasks not yet finished. */
  get taskCount(): number {
    return this.tasks.length;
  }

  /**
   * Runs `future` as the main task, parking the thread with `Atomics.wait` whenever nothing is
   * ready, and returns its output once every task has finished. Node's event loop does not run
   * meanwhile: Promises cannot settle (use {@link run} for that).
   */
  blockOn<T>(future: Future<T>): T {
    const main = this.enter(BLOCKING, future);
    try {
      for (;;) {
        const wait = this.cycle(main);
        if (wait < 0) break;
        if (wait === 0) continue;
        if (wait === Infinity && this.exportCount() === 0) throw this.deadlock();
        this.sayPending(wait);
        this.parkFor(wait);
      }
      return this.finishMain(main);
    } finally {
      this.exit();
    }
  }

  /**
   * As {@link blockOn}, but parks with `Atomics.waitAsync` so Node's event loop keeps running:
   * Promises (through `fromPromise`) and Node's timers and sockets work alongside the tasks.
   */
  async run<T>(future: Future<T>): Promise<T> {
    const main = this.enter(RUNNING, future);
    setCurrentExecutor(null);
    const keepAlive = setInterval(() => {}, 0x7fffffff);
    keepAlive.unref();
    // The reject of the park in progress: Node's `beforeExit` while parked means no callback is
    // left that could wake us. One per park, not one promise raced for the whole run: a race
    // against a promise that never settles leaves a reaction on it per park (a leak in servers).
    let deadlocked: ((e: Error) => void) | null = null;
    const onBeforeExit = (): void => {
      if (this.parkedAsync && deadlocked !== null) deadlocked(this.deadlock());
    };
    process.on("beforeExit", onBeforeExit);
    try {
      let sliceStart = performance.now();
      let slicing = false;
      for (;;) {
        setCurrentExecutor(this);
        let wait: number;
        try {
          wait = this.cycle(main);
        } finally {
          setCurrentExecutor(null);
        }
        if (wait < 0) break;
        if (wait === 0) {
          slicing = false;
          const now = performance.now();
          if (now - sliceStart > EVENT_LOOP_SLICE_MS) {
            await eventLoopTurn();
            sliceStart = performance.now();
          }
          continue;
        }
        const io = this.driver !== null && this.exportCount() > 0;
        if (io && this.pendingPromises === 0) {
          // The inline reactor with nothing expected from Node's loop (no fromPromise pending): wait
          // in epoll_wait itself, as blockOn does, in slices of at most EVENT_LOOP_SLICE_MS with a
          // loop turn between them. I/O is then seen at once (a server), and Node's callbacks
          // (signals, its timers) wait at most a slice; a signal also cuts epoll_wait short.
          // One park (one verbose line, one count) per idle stretch, however many slices it takes.
          const left = EVENT_LOOP_SLICE_MS - (performance.now() - sliceStart);
          if (left > 0) {
            if (!slicing) {
              this.parks++;
              this.sayPending(wait);
            }
            this.collect(Math.min(wait, left));
          } else {
            await eventLoopTurn();
            sliceStart = performance.now();
          }
          slicing = this.head === this.tail;
          continue;
        }
        // Promises pending: Node's loop must run while we wait, so the inline reactor looks at
        // epoll between short async parks instead: INLINE_RUN_POLL_MS bounds the I/O latency.
        slicing = false;
        const parked = parkAsync(this.index, io ? Math.min(wait, INLINE_RUN_POLL_MS) : wait);
        if (parked === undefined) continue;
        this.parks++;
        this.sayPending(wait);
        const known = this.timers.size > 0 || this.exportCount() > 0;
        if (known) keepAlive.ref();
        this.parkedAsync = true;
        try {
          await new Promise<void>((resolve, reject) => {
            deadlocked = reject;
            parked.then(resolve, reject);
          });
        } finally {
          deadlocked = null;
          this.parkedAsync = false;
          keepAlive.unref();
        }
        sliceStart = performance.now();
      }
      setCurrentExecutor(this);
      return this.finishMain(main);
    } finally {
      process.off("beforeExit", onBeforeExit);
      clearInterval(keepAlive);
      setCurrentExecutor(this);
      this.exit();
    }
  }

  /**
   * Spawns `future` as a new task of this executor and returns its {@link JoinHandle}. The task
   * runs when the executor next polls; it may be called before `blockOn`/`run`.
   */
  spawn<T>(future: Future<T>, options?: SpawnOptions): JoinHandle<T> {
    if (this.tasks.length >= MAX_LIVE_TASKS) throw new RuntimeError(`executor ${this.name}: more than ${MAX_LIVE_TASKS} live tasks`);
    const task = new Task<T>(this, this.nextTaskId++, future, options?.name);
    task.index = this.tasks.length;
    this.tasks.push(task);
    task.wake();
    if (taskSpawn.hasSubscribers) taskSpawn.publish({ executor: this.name, id: task.id, name: task.name });
    return task;
  }

  /**
   * Gives `waker` a number other threads can wake it by (see `wakeRef`), counting one reference;
   * pair every call with {@link releaseWaker}. While references are held the executor does not
   * report a deadlock, since another thread may still wake it.
   */
  exportWaker(waker: Waker): number {
    if (this.exports === null) throw new RuntimeError("exportWaker needs a running executor (inside blockOn or run)");
    return this.exports.export(waker);
  }

  /** Drops one reference taken by {@link exportWaker}. */
  releaseWaker(ref: number): void {
    this.exports?.release(ref);
  }

  /** @internal Queues a woken task (called by `Task.wake`). */
  schedule(task: Task<unknown>): void {
    const tail = this.tail;
    this.queue[tail] = task;
    this.tail = (tail + 1) & this.mask;
    if (this.tail === this.head) this.grow();
    if (this.parkedAsync) unparkIndex(this.index);
  }

  /** @internal True under `blockOn` (no Promise can settle while this executor parks). */
  isBlocking(): boolean {
    return this.mode === BLOCKING;
  }

  /** @internal True while `task` is being polled. */
  isPolling(task: Task<unknown>): boolean {
    return this.polling === task;
  }

  /** @internal Removes a finished task from the live set. */
  taskFinished(task: Task<unknown>): void {
    const i = task.index;
    if (i < 0) return;
    task.index = -1;
    const last = this.tasks.pop()!;
    if (last !== task) {
      this.tasks[i] = last;
      last.index = i;
    }
  }

  /** @internal Reports an error thrown by a waker or a `drop()` the executor called; it goes on. */
  reportWakerError(e: unknown): void {
    writeLine(2, `reactor-executor: ${this.name}: a waker or drop() threw: ${describe(e)}`);
  }

  private enter<T>(mode: number, future: Future<T>): Task<T> {
    if (this.mode !== IDLE) throw new RuntimeError(`executor ${this.name} is already running`);
    if (currentExecutor() !== null) {
      throw new RuntimeError("blockOn/run called from inside a running task: spawn the future instead, or await it with wait()");
    }
    this.index = claimExecutorIndex();
    this.exports = new ExportTable(this.index, this.name);
    this.driver ??= getDefaultDriver();
    this.mode = mode;
    setCurrentExecutor(this);
    const main = this.spawn(future, { name: "main" }) as Task<T>;
    return main;
  }

  private exit(): void {
    // Whatever is still alive here is abandoned (the main task failed, or a deadlock): drop it so
    // its sources are deregistered and its fds closed.
    while (this.tasks.length > 0) this.tasks[this.tasks.length - 1]!.cancel();
    this.head = this.tail = 0;
    this.queue.fill(undefined);
    this.reportFailures();
    this.exports!.dispose();
    this.exports = null;
    releaseExecutorIndex(this.index);
    this.index = -1;
    this.mode = IDLE;
    setCurrentExecutor(null);
  }

  private finishMain<T>(main: Task<T>): T {
    if (this.verbose) writeLine(1, `${this.name}: All tasks are finished`);
    return main.poll(main) as T;
  }

  /**
   * One round: poll up to BUDGET ready tasks, then collect wakes from the inbox, timers and the
   * inline reactor. Returns -1 when every task has finished, 0 when something is ready, else how
   * long (ms) the executor may park.
   */
  private cycle(main: Task<unknown>): number {
    this.runReady();
    if ((main.state & FAILED) !== 0) {
      main.state |= OBSERVED;
      throw main.inner;
    }
    if (this.tasks.length === 0) return -1;
    this.collect(0);
    if (this.head !== this.tail) return 0;
    const deadline = this.timers.nextDeadline();
    if (deadline === Infinity) return Infinity;
    return Math.max(deadline - performance.now(), 0.001);
  }

  private runReady(): void {
    for (let n = 0; n < BUDGET && this.head !== this.tail; n++) {
      // Re-read the ring each time: a poll that spawns or wakes may have grown it.
      const queue = this.queue;
      const head = this.head;
      const task = queue[head]!;
      queue[head] = undefined;
      this.head = (head + 1) & this.mask;
      const s = task.state;
      if ((s & DONE) !== 0) continue;
      task.state = s & ~QUEUED;
      this.polling = task;
      let r: unknown;
      try {
        r = (task.inner as Future<unknown>).poll(task);
      } catch (e) {
        this.polling = null;
        task.finish(FAILED, e);
        this.failures.push(task);
        continue;
      }
      this.polling = null;
      if (r !== PENDING) task.finish(0, r);
      else if ((task.state & ABORTING) !== 0) task.cancel();
    }
  }

  /** Lets the inline reactor look (or wait), takes wakes from other threads, fires due timers. */
  private collect(timeoutMs: number): void {
    // The inline reactor first: its events land in the inbox, which is drained right after.
    if (this.driver !== null && this.exportCount() > 0) this.driver.turn(timeoutMs);
    if (inboxNonEmpty(this.index)) drainInbox(this.index, this.wakeSlot);
    if (this.timers.size > 0) {
      const now = performance.now();
      if (this.timers.nextDeadline() <= now) this.timers.fire(now, (e) => this.reportWakerError(e));
    }
  }

  private parkFor(ms: number): void {
    this.parks++;
    // The inline reactor waits in epoll_wait itself; with no source registered there is nothing
    // for epoll to report, and the park word is the cheaper sleep.
    if (this.driver !== null && this.exportCount() > 0) this.collect(ms);
    else park(this.index, ms);
  }

  private wakeSafely(w: Waker): void {
    try {
      w.wake();
    } catch (e) {
      this.reportWakerError(e);
    }
  }

  private exportCount(): number {
    return this.exports === null ? 0 : this.exports.count;
  }

  private grow(): void {
    // The ring is full (tail caught up with head): unroll it into an array twice the size.
    const old = this.queue;
    const n = old.length;
    const next = new Array<Task<unknown> | undefined>(n * 2);
    for (let i = 0; i < n; i++) next[i] = old[(this.head + i) & this.mask];
    this.queue = next;
    this.head = 0;
    this.tail = n;
    this.mask = n * 2 - 1;
  }

  private sayPending(timeoutMs: number): void {
    if (executorPark.hasSubscribers) executorPark.publish({ executor: this.name, pending: this.tasks.length, timeoutMs });
    if (this.verbose) writeLine(1, `${this.name}: ${this.tasks.length} pending tasks. Sleep until notified.`);
  }

  private deadlock(): DeadlockError {
    const shown = this.tasks.slice(0, 10).map((t) => `#${t.id} ${t.name}`);
    const more = this.tasks.length > 10 ? `, and ${this.tasks.length - 10} more` : "";
    return new DeadlockError(
      `executor ${this.name}: every task is pending and nothing can wake one (no timer, no I/O source, ` +
        `no waker held by another thread${this.mode === RUNNING ? ", nothing left in Node's event loop" : ""}). ` +
        `Pending: ${shown.join(", ")}${more}`,
    );
  }

  private reportFailures(): void {
    const failures = this.failures;
    this.failures = [];
    for (const t of failures) {
      if ((t.state & OBSERVED) === 0) {
        writeLine(
          2,
          `reactor-executor: ${this.name}: task #${t.id} (${t.name}) failed and nobody awaited its JoinHandle: ${describe(t.inner)}`,
        );
      }
    }
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  return String(e);
}

/**
 * Spawns `future` on the executor that is polling right now; throws outside a running executor.
 *
 * @example
 * ```ts
 * new Executor().blockOn(coroutine(function* () {
 *   const handles = [1, 2, 3].map((i) => spawn(sleep(i * 10), { name: `sleeper-${i}` }));
 *   yield* wait(joinAll(handles));
 * }));
 * ```
 */
export function spawn<T>(future: Future<T>, options?: SpawnOptions): JoinHandle<T> {
  return requireExecutor("spawn").spawn(future, options);
}

/**
 * Exports `waker` through the executor polling right now, giving a number any thread can wake it by
 * with {@link wakeRef}. Pair with {@link releaseWaker}; while exported, the executor counts the
 * waker as something that may still wake it (no deadlock is reported).
 *
 * @example
 * <!-- ts-check
 * declare const shared: Int32Array;
 * declare const waker: Waker;
 * -->
 * ```ts
 * // in a future's poll: hand the waker to a worker thread through shared memory
 * shared[0] = exportWaker(waker);
 * // in the worker: wakeRef(shared[0]);
 * ```
 */
export function exportWaker(waker: Waker): number {
  return requireExecutor("exportWaker()").exportWaker(waker);
}

/** Releases a ref from {@link exportWaker}; call it on the executor's thread, inside a poll or drop. */
export function releaseWaker(ref: number): void {
  requireExecutor("releaseWaker()").releaseWaker(ref);
}
