/**
 * The book's `Executor`: it owns tasks, a ready queue and timers, polls whatever is ready, and parks
 * its thread when nothing is.
 *
 * Contract:
 * - `blockOn(f)` / `run(f)` spawn `f` as the main task and return its output once *every* task of
 *   this executor has finished (the book's rule: loop until the task count is zero). If the main
 *   task throws, the remaining tasks are dropped and the error is thrown.
 * - A task is polled only after a wake; woken many times before it runs, it is polled once.
 * - Fairness, at two levels. Each task poll gets a cooperative budget (`TASK_BUDGET` units, spent
 *   by leaf futures through `Waker.consumeBudget()`); a task that runs out, or yields, or wakes
 *   itself, is not polled again before the executor has looked at its inbox, its timers and (inline
 *   mode) the reactor. And after `POLLS_PER_LOOK` polls the executor looks anyway, so tasks that
 *   wake one another cannot starve I/O or timers either.
 * - When every task is pending and nothing can wake one (no timer, no exported waker — the reactor
 *   and other threads hold only exported ones — and, under `run`, nothing left in Node's event loop),
 *   it throws `DeadlockError` instead of sleeping forever; the tasks it gives up on end with that
 *   error too (a `toPromise` waiting on one rejects with it).
 * - A failed task with no joiner attached is reported on stderr at the end of the cycle in which it
 *   failed, once (see `failure-report.ts`).
 * - Timers run on the executor's clock; on a `VirtualClock`, an executor with nothing else that
 *   could wake it moves the clock to its next deadline instead of parking (see `clock.ts`).
 *
 * Implementation notes:
 * - Same-thread wakes are a plain ring-buffer push (`ReadyQueue`). Other threads wake through the
 *   wake hub: a waker is *exported* to a slot (`exportWaker`), other threads set the slot's bit, and
 *   the executor maps drained slots back to waker objects (`ExportTable`, one per run). Exported
 *   refs are counted, which is how "something else can still wake us" is known.
 * - The task's own state machine is in `task.ts`; `run` with Node's loop in `run-loop.ts`; dumps
 *   in `dump.ts`, metrics in `metrics.ts` (counters are fields bumped where things happen, or
 *   once per cycle: nothing is allocated for them); each task counts its own polls and the cycle
 *   of its last poll (`Task.run`).
 * - Another thread asks for a dump (the signal dump, `dump-signal.ts`) by waking the reserved
 *   slot `DUMP_SLOT` of this executor's inbox: the executor prints its dump to stderr when it
 *   drains the slot, from its own thread, under `blockOn` too.
 * - Tracing (`trace-*.ts`): every hook is one branch on the thread's `tracing` flag, per cycle,
 *   park, spawn or cross-thread wake, never per poll; traced, a cycle polls through
 *   `runReadyTraced`, `runReady` recording each poll.
 *
 * @module
 */
import { DeadlockError, RuntimeError } from "../errors.js";
import type { Future } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import { TimerHeap } from "./timer-heap.js";
import "./one-copy.js";
import { REAL_CLOCK, VirtualClock, type Clock } from "./clock.js";
import { getDefaultDriver, type IoDriver } from "./driver.js";
import { writeExclusive, writeLine } from "./output.js";
import { park } from "./parker.js";
import { SKIPPED, THREW, YIELDED } from "./task-bits.js";
import { MAX_LIVE_TASKS, Task, type JoinHandle } from "./task.js";
import { ReadyQueue } from "./ready-queue.js";
import { FailureReports } from "./failure-report.js";
import { runOnEventLoop } from "./run-loop.js";
import {
  DUMP_SLOT,
  MAX_EXECUTORS,
  claimExecutorIndex,
  drainInbox,
  inboxNonEmpty,
  releaseExecutorIndex,
  unparkIndex,
  wakerRef,
} from "./wake-hub.js";
import { ExportTable } from "./export-table.js";
import { checkFuture, describeValue } from "./arguments.js";
import { executorDeadlock, executorPark, taskSpawn } from "./trace.js";
import {
  CYCLE_TAG_LIMIT,
  CYCLE_TAG_SHIFT,
  captureSpawnSite,
  rebasedTag,
  dumpTask,
  formatDump,
  type ExecutorDump,
  type SpawnSite,
} from "./dump.js";
import { formatExecutorMetrics, type ExecutorMetrics } from "./metrics.js";
import { ParkEnd } from "./trace-buffer.js";
import { ExecutorTrace } from "./trace-executor.js";
import {
  forgetTaskFlows,
  takeFlow,
  takeTaskFlow,
  traceNow,
  tracePoll,
  tracePolling,
  traceScheduled,
  traceTimers,
  traceWaking,
  traceWoken,
  tracing,
} from "./trace-recorder.js";
// Starts the trace REACTOR_EXECUTOR_TRACE names, if any, before the first executor runs.
import "./trace-session.js";
import { isMainThread, threadId } from "node:worker_threads";

/** Polls between two looks at the inbox, timers and reactor, whatever the tasks do. */
const POLLS_PER_LOOK = 128;

const IDLE = 0;
const BLOCKING = 1;
const RUNNING = 2;

/** Options of {@link Executor}. */
export interface ExecutorOptions {
  /** Shown in verbose lines and errors. Default: "main" on the main thread, else "worker-{threadId}". */
  name?: string;
  /** Print the book's lines (`main: 3 pending tasks. Sleep until notified.`). Default false. */
  verbose?: boolean;
  /**
   * The clock `sleep` and `timeout` count on. Default: real time. A {@link VirtualClock} moves
   * only when told, or when the executor would otherwise sit idle (it jumps to the next deadline).
   */
  clock?: Clock;
  /**
   * Record where each task was spawned, for dumps (`TaskDump.spawnedAt`). A stack capture costs
   * every spawn a microsecond or more, so it is off by default; the environment variable
   * `REACTOR_EXECUTOR_DIAGNOSTICS=1` turns it on for every executor that does not say (threads from
   * `spawnThread` included).
   */
  diagnostics?: boolean;
}

/** Diagnostics for executors that do not say: read once per thread. */
const DIAGNOSTICS_BY_DEFAULT = process.env["REACTOR_EXECUTOR_DIAGNOSTICS"] === "1";

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

/** The executors inside `blockOn`/`run` on this thread, for the signal dump. */
const live = new Set<Executor>();

/** @internal The executors of this thread that are inside `blockOn` or `run`. */
export function liveExecutors(): ReadonlySet<Executor> {
  return live;
}

/** Makes `e` the thread's current executor (null: none). */
function setCurrent(e: Executor | null): void {
  current = e;
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
// Not `implements TaskOwner, RunHost`: the members that make it one are internal (stripped from the
// published declarations), which would then claim interfaces they do not show. `new Task(this, ...)`
// and `runOnEventLoop(this, ...)` check it.
export class Executor {
  readonly name: string;
  readonly verbose: boolean;
  /** The clock this executor's timers run on. */
  readonly clock: Clock;
  /** @internal The executor's timers (used by `sleep`). */
  readonly timers: TimerHeap;
  /** @internal Promises in flight from `fromPromise`. */
  pendingPromises = 0;
  /** How many times this executor has parked its thread (a metric: tests check that parking happens). */
  parks = 0;
  /** How many task polls ran out of cooperative budget (a metric: a busy leaf future was cut short). */
  budgetExhaustions = 0;
  /** True when spawn sites are kept for dumps (see {@link ExecutorOptions.diagnostics}). */
  readonly diagnostics: boolean;
  /** @internal Set by the inline reactor. */
  driver: IoDriver | null = null;
  /** @internal Set while parked in `Atomics.waitAsync` under `run`. */
  parkedAsync = false;
  /** @internal Names of tasks that were given one (or failed): see `Task.name`. */
  readonly taskNames = new WeakMap<Task<unknown>, string>();
  /** @internal The wakers exported during the current run. */
  exports: ExportTable | null = null;

  private readonly ready = new ReadyQueue();
  private readonly tasks: Task<unknown>[] = [];
  private readonly reports: FailureReports;
  private readonly virtual: VirtualClock | null;
  private nextTaskId = 1;
  private index = -1;
  private mode = IDLE;
  private main: Task<unknown> | null = null;
  /** The deadlock this executor gave up with, if it did: the error its abandoned tasks end with. */
  private ending: DeadlockError | null = null;
  private unwatchClock: (() => void) | null = null;
  // Counters (see metrics()); parks and budgetExhaustions above are public fields already.
  private cycles = 0;
  /** The cycle count as a 32-bit integer, for each task's last-poll cycle (see `dump.ts`). */
  private cycleTag = 0;
  private polls = 0;
  /** Tasks queued by `schedule`: wakes, plus the one queueing of each spawn. */
  private scheduled = 0;
  private yields = 0;
  private inboxWakes = 0;
  private timersFired = 0;
  /** With diagnostics on: spawn sites; a side table, so tasks carry no field for it. */
  private readonly spawnSites: WeakMap<Task<unknown>, SpawnSite> | null;
  private readonly wakeSlot = (slot: number): void => {
    const w = this.exports!.waker(slot);
    if (w !== undefined) {
      this.inboxWakes++;
      this.wakeSafely(w);
    } else if (slot === DUMP_SLOT) this.printDumpSafely();
  };
  private readonly onWakeError = (e: unknown): void => this.reportWakerError(e);
  /** The trace's record of this executor, made on its first traced use (see `trace-executor.ts`). */
  private tracer: ExecutorTrace | null = null;
  private readonly wakeSlotTraced = (slot: number): void => {
    const flow = takeFlow(wakerRef(this.index, slot));
    const w = this.exports!.waker(slot);
    traceWaking(flow);
    if (w !== undefined) this.wakeSafely(w);
    traceWoken();
  };

  constructor(options: ExecutorOptions = {}) {
    this.name = options.name ?? (isMainThread ? "main" : `worker-${threadId}`);
    this.verbose = options.verbose ?? false;
    const clock = options.clock ?? REAL_CLOCK;
    if (typeof (clock as { now?: unknown } | null)?.now !== "function") {
      throw new RuntimeError(`new Executor({ clock }): clock must have a now() method, got ${describeValue(clock)}`);
    }
    this.clock = clock;
    this.virtual = clock instanceof VirtualClock ? clock : null;
    this.timers = new TimerHeap(clock);
    this.reports = new FailureReports(this.name);
    this.diagnostics = options.diagnostics ?? DIAGNOSTICS_BY_DEFAULT;
    this.spawnSites = this.diagnostics ? new WeakMap() : null;
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
    const main = this.enter(BLOCKING, "blockOn", future);
    try {
      for (;;) {
        const wait = this.cycle();
        if (wait < 0) break;
        if (wait === 0) continue;
        if (wait === Infinity && this.exportCount() === 0) throw this.deadlock();
        this.parking(wait);
        // The inline reactor waits in epoll_wait itself; with no source registered there is nothing
        // for epoll to report, and the park word is the cheaper sleep.
        if (this.waitsOnIo) this.collect(wait);
        else park(this.index, wait);
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
    const main = this.enter(RUNNING, "run", future);
    setCurrent(null);
    return runOnEventLoop(this, () => this.finishMain(main));
  }

  /**
   * Spawns `future` as a new task of this executor and returns its {@link JoinHandle}. The task
   * runs when the executor next polls; it may be called before `blockOn`/`run`.
   */
  spawn<T>(future: Future<T>, options?: SpawnOptions): JoinHandle<T> {
    return this.spawnFrom(future, options, EXECUTOR_SPAWN);
  }

  /**
   * @internal {@link spawn}, called through `caller` (`Executor.spawn` or the `spawn` function):
   * a spawn site recorded for dumps starts below it.
   */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- Error.captureStackTrace takes any function
  spawnFrom<T>(future: Future<T>, options: SpawnOptions | undefined, caller: Function): JoinHandle<T> {
    checkFuture("spawn(future)", future);
    if (this.tasks.length >= MAX_LIVE_TASKS) throw new RuntimeError(`executor ${this.name}: more than ${MAX_LIVE_TASKS} live tasks`);
    const task = new Task<T>(this, this.nextTaskId++, future, options?.name, this.cycleTag);
    task.index = this.tasks.length;
    const sites = this.spawnSites;
    if (sites !== null) sites.set(task, captureSpawnSite(caller));
    this.tasks.push(task);
    task.wake();
    if (tracing) this.traced().spawned(task.id, task.name);
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

  /** @internal True while `blockOn` or `run` is driving this executor. */
  get running(): boolean {
    return this.mode !== IDLE;
  }

  /** @internal Queues a woken task (called by `Task.wake`). */
  schedule(task: Task<unknown>): void {
    this.scheduled++;
    this.ready.push(task);
    if (this.parkedAsync) unparkIndex(this.index);
    if (tracing) traceScheduled(task);
  }

  /** @internal True under `blockOn` (no Promise can settle while this executor parks). */
  isBlocking(): boolean {
    return this.mode === BLOCKING;
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

  /** @internal Counts a poll that ran out of cooperative budget. */
  budgetExhausted(): void {
    this.budgetExhaustions++;
  }

  /** @internal Reports an error thrown by a waker or a `drop()` the executor called; it goes on. */
  reportWakerError(e: unknown): void {
    this.reports.wakerThrew(e);
  }

  /** @internal The executor's index in the wake hub. */
  get parkIndex(): number {
    return this.index;
  }

  /** @internal True when a task is queued. */
  get hasReady(): boolean {
    return !this.ready.isEmpty;
  }

  /** @internal True when the inline reactor has a registered source to wait on. */
  get waitsOnIo(): boolean {
    return this.driver !== null && this.exportCount() > 0;
  }

  /** @internal True when a real-time timer or an exported waker will wake this executor. */
  get expectsWake(): boolean {
    return this.exportCount() > 0 || (this.virtual === null && this.timers.size > 0);
  }

  /** @internal One cycle with this executor as the thread's current one (see `run-loop.ts`). */
  cycleAsCurrent(): number {
    setCurrent(this);
    try {
      return this.cycle();
    } finally {
      setCurrent(null);
    }
  }

  /** @internal Lets the inline reactor look (or wait), takes wakes from other threads, fires due timers. */
  collect(timeoutMs: number): void {
    // The inline reactor first: its events land in the inbox, which is drained right after.
    if (this.waitsOnIo) this.driver!.turn(timeoutMs);
    if (inboxNonEmpty(this.index)) drainInbox(this.index, tracing ? this.wakeSlotTraced : this.wakeSlot);
    const timers = this.timers;
    if (timers.size > 0 && timers.nextDeadline() <= this.clock.now()) {
      const fired = timers.fire(this.onWakeError);
      this.timersFired += fired;
      if (tracing) traceTimers(fired, this.traced().id);
    }
  }

  /** @internal Counts a park of up to `timeoutMs` and says so. */
  parking(timeoutMs: number): void {
    this.parks++;
    if (tracing) this.traced().parking(timeoutMs);
    if (executorPark.hasSubscribers) executorPark.publish({ executor: this.name, pending: this.tasks.length, timeoutMs });
    if (this.verbose) writeLine(1, `${this.name}: ${this.tasks.length} pending tasks. Sleep until notified.`);
  }

  /** @internal Under `run`, Node's loop ran dry while parked: moves a virtual clock to the next timer, if any. */
  advanceIdleClock(): boolean {
    if (this.virtual === null || this.timers.size === 0) return false;
    this.virtual.advanceTo(this.timers.nextDeadline());
    return true;
  }

  private enter<T>(mode: number, what: string, future: Future<T>): Task<T> {
    checkFuture(`${what}(future)`, future);
    if (this.mode !== IDLE) throw new RuntimeError(`executor ${this.name} is already running`);
    if (current !== null) {
      throw new RuntimeError("blockOn/run called from inside a running task: spawn the future instead, or await it with wait()");
    }
    try {
      this.index = claimExecutorIndex();
    } catch {
      // Every index is taken (the hub's only failure).
      throw new RuntimeError(
        `executor ${this.name}: more than ${MAX_EXECUTORS} executors running at once in this process; ` +
          `spawn futures on a running executor instead (toPromise does that outside any executor)`,
      );
    }
    this.exports = new ExportTable(this.index, this.name);
    this.driver ??= getDefaultDriver();
    this.mode = mode;
    if (this.virtual !== null) {
      const index = this.index;
      this.unwatchClock = this.virtual.watch(() => unparkIndex(index));
    }
    live.add(this);
    setCurrent(this);
    if (tracing) this.traced().started(mode === RUNNING);
    const main = this.spawnFrom(future, { name: "main" }, mode === BLOCKING ? EXECUTOR_BLOCK_ON : EXECUTOR_RUN) as Task<T>;
    this.main = main;
    return main;
  }

  /** @internal Ends a `run` (see `run-loop.ts`). */
  end(): void {
    this.exit();
  }

  private exit(): void {
    // Whatever is still alive here is abandoned (the main task failed, or a deadlock): drop it so
    // its sources are deregistered and its fds closed. Drops may release exported wakers, which
    // needs the executor current.
    setCurrent(this);
    const reason = this.ending ?? undefined;
    while (this.tasks.length > 0) this.tasks[this.tasks.length - 1]!.cancel(reason);
    this.ready.clear();
    if (tracing) this.tracedExit();
    this.reports.flush();
    this.exports!.dispose();
    this.exports = null;
    this.unwatchClock?.();
    this.unwatchClock = null;
    releaseExecutorIndex(this.index);
    this.index = -1;
    this.mode = IDLE;
    this.main = null;
    this.ending = null;
    live.delete(this);
    setCurrent(null);
  }

  private finishMain<T>(main: Task<T>): T {
    if (this.verbose) writeLine(1, `${this.name}: All tasks are finished`);
    return main.poll(main) as T;
  }

  /**
   * One round: poll ready tasks (up to POLLS_PER_LOOK, and none that yielded since the last look),
   * report the failures, then collect wakes from the inbox, timers and the inline reactor. Returns
   * -1 when every task has finished, 0 when something is ready, else how long (ms) the executor
   * may park.
   */
  private cycle(): number {
    this.cycles++;
    if (++this.cycleTag === CYCLE_TAG_LIMIT) {
      this.cycleTag -= CYCLE_TAG_SHIFT;
      for (const t of this.tasks) t.polledAt = rebasedTag(t.polledAt);
    }
    if (tracing) {
      this.traceLook();
      this.runReadyTraced();
    } else {
      this.runReady();
    }
    const main = this.main!;
    if (main.failed) throw main.observe();
    if (this.reports.pending) this.reports.flush();
    if (this.tasks.length === 0) return -1;
    this.ready.beginLook();
    this.collect(0);
    this.ready.endLook();
    if (!this.ready.isEmpty) return 0;
    return this.idleFor();
  }

  private runReady(): void {
    const ready = this.ready;
    const tag = this.cycleTag;
    let n = 0;
    let yields = 0;
    let skipped = 0;
    for (; n < POLLS_PER_LOOK; n++) {
      const task = ready.pop();
      if (task === undefined) break;
      const r = task.run(tag);
      if (r === YIELDED) {
        ready.pushYielded(task);
        yields++;
      } else if (r === THREW) this.reports.add(task);
      else if (r === SKIPPED) skipped++;
    }
    this.polls += n - skipped;
    this.yields += yields;
  }

  /** {@link runReady}, recording each poll: one clock reading per poll, its end the next one's start. */
  private runReadyTraced(): void {
    const ready = this.ready;
    const tag = this.cycleTag;
    const id = this.traced().id;
    tracePolling(true);
    let start = traceNow();
    let n = 0;
    let yields = 0;
    let skipped = 0;
    for (; n < POLLS_PER_LOOK; n++) {
      const task = ready.pop();
      if (task === undefined) break;
      const r = task.run(tag);
      const end = traceNow();
      if (r !== SKIPPED) tracePoll(start, end, r, task.id, id, takeTaskFlow(task));
      start = end;
      if (r === YIELDED) {
        ready.pushYielded(task);
        yields++;
      } else if (r === THREW) this.reports.add(task);
      else if (r === SKIPPED) skipped++;
    }
    tracePolling(false);
    this.polls += n - skipped;
    this.yields += yields;
  }

  /** The trace's record of this executor. */
  private traced(): ExecutorTrace {
    return (this.tracer ??= new ExecutorTrace(this.name));
  }

  /** At each look: ends a park in progress (saying what ended it) and records the counters. */
  private traceLook(): void {
    const t = this.traced();
    if (t.parked) {
      const timers = this.timers;
      t.unparked(
        inboxNonEmpty(this.index)
          ? ParkEnd.Wake
          : !this.ready.isEmpty
            ? ParkEnd.Ready
            : timers.size > 0 && timers.nextDeadline() <= this.clock.now()
              ? ParkEnd.Timer
              : ParkEnd.Timeout,
      );
    }
    t.counters(this.ready.length, this.tasks.length);
  }

  private tracedExit(): void {
    const t = this.traced();
    t.counters(this.ready.length, this.tasks.length);
    t.ended();
    forgetTaskFlows((t) => (t as Task<unknown>).executor === this);
  }

  /**
   * With nothing ready: how long (ms) the executor may park, `Infinity` with no timer. On a virtual
   * clock with nothing else that could wake the executor, moves the clock to the next deadline and
   * fires it instead (0: something is ready).
   */
  private idleFor(): number {
    const timers = this.timers;
    const deadline = timers.nextDeadline();
    if (deadline === Infinity) return Infinity;
    const virtual = this.virtual;
    if (virtual === null) return Math.max(deadline - this.clock.now(), 0.001);
    // Time stands still while the reactor, another thread or a Promise may still wake us.
    if (this.exportCount() > 0 || this.pendingPromises > 0) return Infinity;
    virtual.advanceTo(deadline);
    this.timersFired += timers.fire(this.onWakeError);
    return 0;
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

  /**
   * Every live task of this executor, by id: its name, state, what it waits on, its polls and the
   * cycles since its last poll, and, with {@link ExecutorOptions.diagnostics} on, where it was
   * spawned. `formatDump` makes it text. Costs nothing until called (a `describe()` per task
   * then).
   *
   * @example
   * ```ts
   * const ex = new Executor({ diagnostics: true });
   * ex.blockOn(coroutine(function* () {
   *   spawn(sleep(340), { name: "sleeper" });
   *   yield* wait(yieldNow());
   *   console.log(formatDump(ex.dump()));
   *   // executor "main" (thread 0), cycle 2: 2 tasks
   *   //   #1 main: running, 2 polls, last 0 cycles ago
   *   //   #2 sleeper: pending, 1 poll, last 1 cycle ago: sleep until +340 ms
   *   //     spawned at:
   *   //       at ...
   * }));
   * ```
   */
  dump(): ExecutorDump {
    const tag = this.cycleTag;
    const sites = this.spawnSites;
    const tasks = this.tasks
      .map((t) => dumpTask(t, { polls: t.polls, cyclesSincePoll: tag - t.polledAt, spawnedAt: sites?.get(t) }))
      .sort((a, b) => a.id - b.id);
    return { executor: this.name, threadId, cycles: this.cycles, tasks };
  }

  /**
   * This executor's counters since it was created: plain numbers, read at any time on its thread.
   *
   * @example
   * ```ts
   * const ex = new Executor({ clock: new VirtualClock() });
   * ex.blockOn(sleep(1000)); // the virtual clock jumps to the deadline: no park
   * ex.metrics(); // { polls: 2, parks: 0, timersFired: 1, tasksSpawned: 1, tasksAlive: 0, ... }
   * ```
   */
  metrics(): ExecutorMetrics {
    const spawned = this.nextTaskId - 1;
    return {
      polls: this.polls,
      cycles: this.cycles,
      parks: this.parks,
      // Each spawn queued its task once through `schedule`: that is not a wake.
      wakes: this.scheduled - spawned + this.yields,
      inboxWakes: this.inboxWakes,
      tasksSpawned: spawned,
      tasksAlive: this.tasks.length,
      budgetExhaustions: this.budgetExhaustions,
      timersFired: this.timersFired,
    };
  }

  /**
   * Prints the dump another thread asked for. It must never take the executor down: a failure is
   * reported, and if stderr itself is gone (`EPIPE`), where the report would go too, dropped.
   */
  private printDumpSafely(): void {
    try {
      this.printDump();
    } catch (e) {
      try {
        this.reportWakerError(e);
      } catch {
        // nowhere left to say so
      }
    }
  }

  /** @internal Writes this executor's dump and counters to stderr, in one piece (the signal dump). */
  printDump(): void {
    writeExclusive(2, `${formatDump(this.dump())}\n  metrics: ${formatExecutorMetrics(this.metrics())}`);
  }

  /** @internal The error of a run that nothing can wake any more; the tasks given up on end with it. */
  deadlock(): DeadlockError {
    const dump = this.dump();
    this.ending = new DeadlockError(
      `executor ${this.name}: every task is pending and nothing can wake one (no timer, no I/O source, ` +
        `no waker held by another thread${this.mode === RUNNING ? ", nothing left in Node's event loop" : ""}).\n` +
        formatDump(dump),
      dump,
    );
    if (executorDeadlock.hasSubscribers) executorDeadlock.publish({ executor: this.name, dump });
    return this.ending;
  }
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
  return requireExecutor("spawn").spawnFrom(future, options, spawn);
}

// The public entry points a recorded spawn site starts below; only compared, by Error.captureStackTrace.
/* eslint-disable @typescript-eslint/unbound-method */
const EXECUTOR_SPAWN = Executor.prototype.spawn;
const EXECUTOR_BLOCK_ON = Executor.prototype.blockOn;
const EXECUTOR_RUN = Executor.prototype.run;
/* eslint-enable @typescript-eslint/unbound-method */

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
