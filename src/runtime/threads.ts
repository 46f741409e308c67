/**
 * `spawnThread`: the book's d-multiple-threads, one executor per OS thread, all on one reactor.
 *
 * The thread is a `worker_thread` given everything it needs as numbers and shared memory (the wake
 * hub, the reactor's token table, the ownership table, an outcome record) plus a MessagePort for
 * its result; see `thread-entry`. Its `join()` is a future that completes when the thread has
 * ended, with the export's result, or throws the export's error (name, message, stack and code),
 * or a {@link ThreadError} saying how else the thread ended. Works from the main thread and from
 * inside another thread. Refused with the inline reactor, which only the executor that polls it
 * can drive.
 *
 * Contract: `join()` never stays pending once the thread is gone, also while the joiner is parked
 * in `blockOn`, where no Worker event can arrive; and what a dead thread held (its executor
 * indices, the sources it noted in the ownership table, the objects moved into it through
 * `transfer` such as thread channel ends, the threads it started, which Node stops with it, and
 * theirs) is given back before `join()` completes.
 *
 * Implementation notes — how each end reaches a parked joiner:
 * - returned, threw, `process.exit`, an uncaught error: the thread's own exit handler records it
 *   and wakes the joiner (`thread-entry`).
 * - `terminate()` and out of memory run no handler in the thread. Each thread opens a pidfd on
 *   itself (Linux 6.9+); the joiner registers it with the reactor, which wakes it when the thread
 *   has ended; the joiner then reclaims what the thread held and records the end.
 * - A thread publishes its pidfd only once it holds what was moved into it (a channel end names
 *   the thread as it is taken, so other threads can watch it). `terminate()` before that wins a
 *   compare-and-swap on the pidfd word, records the end and gives those objects back at once.
 * - Without thread pidfds (older kernels) `terminate()` records the end itself, and an
 *   out-of-memory end is seen through the Worker's `exit` event: under `run` only, since `blockOn`
 *   keeps Node's event loop from delivering it.
 * - The Worker's `error` and `exit` events are always listened to: the first keeps an error in the
 *   thread from crashing this one (`Unhandled 'error' event`); the second completes the record
 *   (Node's exit code and error) and reclaims whatever is left, whoever recorded the end.
 *
 * The worker's entry is a one-line `import()` evaluated as a script, not a file: a worker whose
 * `execArgv` is left out inherits the process's flags, and only a script entry is accepted with
 * every flag (a file entry is refused with `--input-type`, which `node -e` programs carry), while an
 * explicit `execArgv` is refused for `--max-old-space-size`, `--expose-gc`, `--stack-size`,
 * `--jitless`, `--title` and the flags Node 22+'s test runner adds.
 *
 * @module
 */
import {
  MessageChannel,
  Worker,
  receiveMessageOnPort,
  threadId as thisThread,
  type MessagePort,
  type ResourceLimits,
  type TransferListItem,
} from "node:worker_threads";
import { RuntimeError } from "../errors.js";
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { close, pidfdExited } from "../sys/index.js";
import { toPromise } from "./promise.js";
import { requireExecutor } from "./executor.js";
import { reactor, reactorBuffer, reactorMode, threadVerbose } from "./init.js";
import { Interest } from "./reactor.js";
import { reclaimDeadSource } from "./registration.js";
import { CRASHED, EXITED, RETURNED, RUNNING, TERMINATED, THREW, ThreadError, ThreadOutcome, UNCAUGHT } from "./thread-outcome.js";
import {
  claimThreadSlot,
  freeThreadSlot,
  hasChildren,
  nameThread,
  ownedHere,
  ownershipBuffer,
  reclaimDescendants,
  reclaimOwned,
  takePidfd,
} from "./thread-owned.js";
import { reclaimExecutorIndices, wakeHubBuffer, wakeRef } from "./wake-hub.js";
import { closeTraceRegions } from "./trace-recorder.js";
import { prepareTransfers, runThreadExitHooks, type ThreadTransferable, type Transfer } from "./thread-transfer.js";
import type { Waker } from "../future/waker.js";

/**
 * A running thread started by {@link spawnThread}; `T` is what its export's future resolves to.
 *
 * @example
 * ```ts
 * const h = spawnThread<number>({ name: "sum", module: new URL("./work.js", import.meta.url), export: "sum", args: [[1, 2, 3]] });
 * const total = yield* wait(h.join()); // or: await h.joinAsync()
 * ```
 */
export interface ThreadHandle<T = unknown> {
  /** The thread's name (and its executor's). */
  readonly name: string;
  /**
   * Completes when the thread has ended, with its export's result (structured-cloned). Throws the
   * export's error, or a {@link ThreadError} when the thread ended otherwise (`process.exit`, an
   * uncaught error, {@link terminate}, out of memory). Join from one place at a time.
   */
  join(): Future<T>;
  /** {@link join} as a Promise. */
  joinAsync(): Promise<T>;
  /**
   * Stops the thread, wherever it is (a runaway loop included); `join()` then throws a
   * {@link ThreadError} with code `"ERR_THREAD_TERMINATED"`. Does nothing once the thread has ended.
   */
  terminate(): void;
}

/** The options form of {@link spawnThread}. */
export interface ThreadOptions {
  /** The thread's name (and its executor's), shown in errors and verbose lines. */
  name: string;
  /** The module to import in the thread: a URL, or a `file:` URL string. */
  module: URL | string;
  /** The name of the export to call; it must return a Future. */
  export: string;
  /** Arguments for the export (structured-cloned). */
  args?: readonly unknown[];
  /**
   * Objects in `args` to move into the thread rather than copy: what `postMessage` transfers
   * (ArrayBuffers, MessagePorts, ...), and a thread channel's ends (`threadChannel`), which only
   * move this way. Arrays and plain objects in `args` are searched for them.
   */
  transfer?: readonly (TransferListItem | ThreadTransferable)[];
  /** The thread's heap limits (Node's `resourceLimits`); exceeding them ends `join()` with a `ThreadError`. */
  resourceLimits?: ResourceLimits;
}

const ENTRY = `import(${JSON.stringify(new URL("./thread-entry.js", import.meta.url).href)})`;

/** Node's exit code for every worker it stops (terminate, out of memory). */
const STOPPED_EXIT_CODE = 1;

/** Threads started from this thread that may still hold a pidfd or an unread result. */
const live = new Set<Thread<unknown>>();

class JoinThread<T> implements Future<T> {
  private ref = -1;
  private waker: Waker | null = null;
  private done = false;

  constructor(private readonly thread: Thread<T>) {}

  poll(waker: Waker): Poll<T> {
    if (this.done) pollAfterReady("ThreadHandle.join()");
    const t = this.thread;
    if (!t.settled()) {
      t.attach(this);
      if (this.waker !== waker) {
        const ex = requireExecutor("ThreadHandle.join()");
        if (this.ref >= 0) ex.releaseWaker(this.ref);
        this.ref = ex.exportWaker(waker);
        this.waker = waker;
      }
      t.outcome.setJoiner(this.ref);
      if (!t.watch(waker)) return PENDING;
    }
    this.release();
    this.done = true;
    return t.value();
  }

  describe(): string {
    return `thread ${this.thread.name} join`;
  }

  drop(): void {
    this.release();
  }

  private release(): void {
    if (this.ref >= 0) {
      this.thread.outcome.takeJoiner();
      requireExecutor("ThreadHandle.join()").releaseWaker(this.ref);
      this.ref = -1;
      this.waker = null;
    }
    this.thread.detach(this);
  }
}

class Thread<T> implements ThreadHandle<T> {
  readonly outcome = new ThreadOutcome();
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private readonly threadId: number;
  /** The thread's slot in the ownership table, which also holds its pidfd for closing. */
  private readonly slot: number;
  private slotFreed = false;
  private terminating = false;
  /** Set once the thread is known to have ended and what it held is given back. */
  private gone = false;
  /** Node's exit code and error for the thread, once its `exit` event came. */
  private exitCode: number | null = null;
  private workerError: unknown = undefined;
  /** The reactor token of the pidfd while a joiner watches it, else -1. */
  private token = -1;
  private joining: JoinThread<T> | null = null;
  private result: { value: T } | null = null;

  constructor(
    readonly name: string,
    private readonly exportName: string,
    private readonly limits: ResourceLimits | undefined,
    /** The objects moved into the thread: given back when it ends without doing so itself. */
    private readonly transfers: readonly Transfer[],
    start: (outcome: ThreadOutcome, port: MessagePort, slot: number) => Worker,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    try {
      this.slot = claimThreadSlot();
    } catch (e) {
      port1.close();
      port2.close();
      throw e;
    }
    try {
      this.worker = start(this.outcome, port2, this.slot);
    } catch (e) {
      freeThreadSlot(this.slot);
      port1.close();
      port2.close();
      throw e;
    }
    this.threadId = this.worker.threadId;
    for (const t of transfers) t.moved(this.threadId);
    nameThread(this.slot, this.threadId);
    this.worker.on("error", (e) => {
      this.workerError = e;
    });
    this.worker.on("exit", (code) => this.onExit(code));
  }

  join(): Future<T> {
    return new JoinThread(this);
  }

  joinAsync(): Promise<T> {
    return toPromise(this.join());
  }

  terminate(): void {
    if (this.outcome.state !== RUNNING || this.terminating) return;
    this.terminating = true;
    void this.worker.terminate();
    if (this.outcome.stopBeforeStart()) {
      // Stopped before it published its pidfd, which it does only once it holds what was moved
      // into it: nobody could watch it end, so what it may hold (a channel end a task here waits
      // on) is given back now; it is stopped before it could use any of it.
      for (const t of this.transfers) t.reclaim([this.threadId]);
      this.settle(TERMINATED);
    } else if (this.outcome.pidfd < 0) {
      // No pidfd (an older kernel): nothing else would tell a parked joiner, so the end is
      // recorded now and reclaimed at the exit event. With one, the joiner sees the thread end.
      this.settle(TERMINATED);
    }
  }

  /**
   * True once `join()` can complete: the end is recorded and, if the thread started threads of its
   * own (which Node stops with it), it is gone, so that theirs can be reclaimed too. Finds a silent
   * end (terminate, out of memory) through the pidfd.
   */
  settled(): boolean {
    if (this.gone) return true;
    const fd = this.pidfd();
    if (this.outcome.state !== RUNNING && (fd < 0 || !hasChildren(this.threadId))) return true;
    if (fd >= 0 && pidfdExited(fd)) {
      this.onGone();
      return true;
    }
    return false;
  }

  /** Has the reactor wake `waker` when the thread ends; returns {@link settled} read after that. */
  watch(waker: Waker): boolean {
    const fd = this.pidfd();
    if (fd >= 0) {
      const r = reactor();
      if (this.token < 0) {
        this.token = r.nextId();
        r.register({ fd }, Interest.READABLE, this.token);
      }
      r.setWaker(waker, this.token, Interest.READABLE);
    }
    return this.settled();
  }

  attach(joiner: JoinThread<T>): void {
    if (this.joining !== null && this.joining !== joiner) {
      throw new RuntimeError(`thread ${this.name} is already being joined: join a thread from one place at a time`);
    }
    this.joining = joiner;
  }

  detach(joiner: JoinThread<T>): void {
    if (this.joining !== joiner) return;
    this.joining = null;
    if (this.token >= 0) {
      reactor().deregister({ fd: this.outcome.pidfd }, this.token);
      this.token = -1;
    }
    if (this.outcome.state !== RUNNING) this.tidy();
  }

  /** The export's result, or the error that says how the thread ended. Call once settled. */
  value(): T {
    this.tidy();
    switch (this.outcome.state) {
      case RETURNED:
        return this.receive().value;
      case THREW:
        throw this.outcome.error();
      case UNCAUGHT: {
        const e = this.outcome.error();
        const code = this.outcome.exitCode;
        throw new ThreadError(
          "ERR_THREAD_UNCAUGHT",
          this.name,
          code,
          `thread ${this.name} ended with exit code ${code}: an error nobody caught in its event loop: ${e.name}: ${e.message}`,
          e,
        );
      }
      case EXITED: {
        const code = this.outcome.exitCode;
        throw new ThreadError(
          "ERR_THREAD_EXITED",
          this.name,
          code,
          `thread ${this.name} exited with code ${code} (process.exit) instead of returning from ${this.exportName}(...)`,
        );
      }
      case TERMINATED:
        throw new ThreadError(
          "ERR_THREAD_TERMINATED",
          this.name,
          this.exitCode ?? STOPPED_EXIT_CODE,
          `thread ${this.name} was terminated (ThreadHandle.terminate())`,
        );
      default:
        throw this.crashError();
    }
  }

  private crashError(): ThreadError {
    const code = this.exitCode ?? STOPPED_EXIT_CODE;
    const why =
      this.workerError instanceof Error
        ? `${this.workerError.message}${"code" in this.workerError ? ` (${String(this.workerError.code)})` : ""}`
        : `it ran out of memory${this.limits === undefined ? "" : ` (resourceLimits ${JSON.stringify(this.limits)})`}, or Node stopped it`;
    return new ThreadError(
      "ERR_THREAD_CRASHED",
      this.name,
      code,
      `thread ${this.name} ended with exit code ${code} without reporting how: ${why}`,
      this.workerError,
    );
  }

  /** Sweeps a thread nobody is joining: records a silent end, frees the pidfd and the port once ended. */
  sweep(): void {
    if (this.joining === null && this.settled()) this.tidy();
  }

  /** The thread's pidfd while this record still holds it; -1 before it is published, -2 for none. */
  private pidfd(): number {
    return this.slotFreed ? -2 : this.outcome.pidfd;
  }

  private settle(kind: number): void {
    const joiner = this.outcome.settle(kind);
    if (joiner >= 0) wakeRef(joiner);
  }

  /** The thread has ended: give back what it and the threads it started held; record a silent end. */
  private onGone(): void {
    this.gone = true;
    const ids = reclaimGone(this.threadId);
    for (const t of this.transfers) t.reclaim(ids);
    if (this.outcome.state === RUNNING) this.settle(this.terminating ? TERMINATED : CRASHED);
  }

  /** The result the thread posted before recording RETURNED, taken off the port once. */
  private receive(): { value: T } {
    if (this.result === null) {
      const m = receiveMessageOnPort(this.port);
      this.port.close();
      this.result = { value: m?.message as T };
    }
    return this.result;
  }

  /**
   * Gives back what the record of an ended thread holds: its port, and its slot and pidfd once
   * they can tell nothing more (the thread is gone; or it has published its pidfd, so it will not
   * write to the slot again, and started no thread whose end must be waited for).
   */
  private tidy(): void {
    if (this.joining !== null) return;
    if (this.outcome.state === RETURNED) this.receive();
    else this.port.close();
    if (this.slotFreed || !(this.gone || (this.outcome.pidfd !== -1 && !hasChildren(this.threadId)))) return;
    const fd = takePidfd(this.slot);
    if (fd >= 0) close(fd);
    freeThreadSlot(this.slot);
    this.slotFreed = true;
    live.delete(this);
  }

  private onExit(code: number): void {
    this.exitCode = code;
    if (!this.gone) this.onGone();
    this.tidy();
  }
}

/**
 * Starts a thread with its own executor on the process's reactor: it imports `module`, calls its
 * export `export` with `args` (structured-cloned; `transfer` moves objects instead) and runs the
 * returned future with `blockOn`. Its handle's `join()` gives the future's result. Needs `init()`
 * (thread mode). The thread inherits the process's Node flags.
 *
 * @example
 * ```ts
 * const executor = init();
 * const h = spawnThread<string>({ name: "exec-1", module: import.meta.url, export: "fetchOne", args: ["/100/hi"] });
 * executor.blockOn(coroutine(function* () {
 *   console.log(yield* wait(h.join())); // "hi"
 * }));
 * ```
 */
export function spawnThread<T = unknown>(options: ThreadOptions): ThreadHandle<T>;
/**
 * Starts a thread named `name`: the variadic form of {@link spawnThread}, as in the book.
 *
 * @example
 * <!-- ts-check
 * declare function asyncMain(): Future<void>;
 * -->
 * ```ts
 * const executor = init({ verbose: true });
 * const handles = Array.from({ length: 11 }, (_, i) => spawnThread(`exec-${i + 1}`, import.meta.url, "asyncMain"));
 * executor.blockOn(coroutine(function* () {
 *   yield* wait(asyncMain());
 *   for (const h of handles) yield* wait(h.join());
 * }));
 * ```
 */
export function spawnThread<T = unknown>(name: string, moduleUrl: URL | string, exportName: string, ...args: unknown[]): ThreadHandle<T>;
export function spawnThread<T = unknown>(
  first: ThreadOptions | string,
  moduleUrl?: URL | string,
  exportName?: string,
  ...args: unknown[]
): ThreadHandle<T> {
  const o: ThreadOptions =
    typeof first === "string" ? { name: first, module: moduleUrl as URL | string, export: exportName as string, args } : first;
  checkOptions(o);
  const mode = reactorMode();
  if (mode === null) throw new RuntimeError("spawnThread needs the reactor: call init() first");
  if (mode === "inline")
    throw new RuntimeError(
      'spawnThread is not available with init({ reactor: "inline" }): only the executor polling epoll can drive the inline reactor; use init()',
    );
  for (const t of live) t.sweep();
  const url = o.module instanceof URL ? o.module.href : o.module;
  const moving = prepareTransfers(o.args ?? [], o.transfer ?? []);
  let thread: Thread<T>;
  try {
    thread = new Thread<T>(o.name, o.export, o.resourceLimits, moving.transfers, (outcome, port, slot) =>
      startWorker(o, url, moving, outcome, port, slot),
    );
  } catch (e) {
    for (const t of moving.transfers) t.failed();
    throw e;
  }
  live.add(thread);
  return thread;
}

function startWorker(
  o: ThreadOptions,
  url: string,
  moving: ReturnType<typeof prepareTransfers>,
  outcome: ThreadOutcome,
  port: MessagePort,
  slot: number,
): Worker {
  return new Worker(ENTRY, {
    eval: true,
    name: o.name,
    workerData: {
      hub: wakeHubBuffer(),
      reactor: reactorBuffer(),
      owned: ownershipBuffer(),
      outcome: outcome.buffer,
      slot,
      port,
      name: o.name,
      verbose: threadVerbose(),
      moduleUrl: url,
      exportName: o.export,
      args: moving.args,
      transfers: moving.records,
    },
    transferList: [port, ...(moving.native as TransferListItem[])],
    ...(o.resourceLimits === undefined ? {} : { resourceLimits: o.resourceLimits }),
  });
}

function checkOptions(o: ThreadOptions): void {
  if (o === null || typeof o !== "object")
    throw new TypeError("spawnThread: expected (name, module, export, ...args) or an options object");
  if (typeof o.name !== "string" || o.name === "") throw new TypeError("spawnThread: name must be a non-empty string");
  if (!(o.module instanceof URL) && typeof o.module !== "string") {
    throw new TypeError(`spawnThread(${o.name}): module must be a URL or a URL string, got ${typeof o.module}`);
  }
  if (typeof o.export !== "string" || o.export === "") throw new TypeError(`spawnThread(${o.name}): export must be a non-empty string`);
  if (o.args !== undefined && !Array.isArray(o.args)) throw new TypeError(`spawnThread(${o.name}): args must be an array`);
  if (o.transfer !== undefined && !Array.isArray(o.transfer)) throw new TypeError(`spawnThread(${o.name}): transfer must be an array`);
}

/**
 * @internal Gives back what the calling thread still holds, in its exit handler: its executor
 * indices and the sources it noted as owned. Not the threads it started: those are still running
 * until Node stops them, after this handler; its parent reclaims them once this thread is gone.
 */
export function reclaimSelf(): void {
  runThreadExitHooks();
  reclaimExecutorIndices(thisThread);
  if (ownedHere() > 0) reclaimOwned([thisThread], reclaimDeadSource);
}

/**
 * Gives back what thread `thread` (a Node `threadId`, ended) and the threads it started held;
 * returns their ids.
 */
function reclaimGone(thread: number): number[] {
  const ids = [thread];
  reclaimDescendants(thread, (id, pidfd) => {
    if (id >= 0) ids.push(id);
    if (pidfd >= 0) close(pidfd);
  });
  for (const id of ids) reclaimExecutorIndices(id);
  closeTraceRegions(ids);
  reclaimOwned(ids, reclaimDeadSource);
  return ids;
}
