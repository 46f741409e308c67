/**
 * `init()` and `reactor()`: starting the process's one reactor and reaching it from any thread.
 *
 * - `init()` (default, the book's design) creates the epoll instance and the token table and
 *   starts the reactor thread; `init({ reactor: "inline" })` lets executors wait in `epoll_wait`
 *   themselves. The first call decides; later calls return a new `Executor` on the same reactor.
 * - The reactor thread never keeps the process alive (it is unref'd), and at exit it is woken
 *   through the shutdown eventfd and waited for, since Node cannot stop a thread blocked in a
 *   native call.
 *
 * @module
 */
import { Worker, isMainThread } from "node:worker_threads";
import { RuntimeError } from "../errors.js";
import { EPOLLIN, epollAdd, epollCreate, eventfd, eventfdWrite } from "../sys/index.js";
import { setDefaultDriver } from "./driver.js";
import { Executor, type ExecutorOptions } from "./executor.js";
import { InlineDriver } from "./inline-driver.js";
import { Reactor } from "./reactor.js";
import { SHUTDOWN_TOKEN, TokenTable } from "./token-table.js";
import { wakeHubBuffer } from "./wake-hub.js";
import { startTrace, tracePath } from "./trace-session.js";
import { tracing } from "./trace-recorder.js";
import { dumpOnSignal, setDumpReactorMetrics } from "./dump-signal.js";

/** Options of {@link init}. */
export interface InitOptions extends ExecutorOptions {
  /** `"thread"` (default): epoll on its own thread. `"inline"`: a lone executor drives epoll itself. */
  reactor?: "thread" | "inline";
  /**
   * Record a trace of the runtime's work into this file (`%p` is replaced by the process id), in
   * Chrome's Trace Event Format: open it in Perfetto (ui.perfetto.dev) or `chrome://tracing`. One
   * track per thread (executors, the reactor, resolver threads), a slice per task poll, park and
   * `epoll_wait`, arrows from each reactor event or cross-thread wake to the poll it caused,
   * counters of ready and live tasks. Give it to the first `init()`, which starts the threads to
   * trace. The environment variable `REACTOR_EXECUTOR_TRACE`, when set, overrides it. See the
   * README's "Seeing it run".
   */
  trace?: string;
  /**
   * A signal (`"SIGUSR2"`, say) that prints the task dump of every executor in the process to
   * stderr, see {@link dumpOnSignal}: under `run`, where the main thread's event loop turns.
   * Default: none. `SIGINT` and `SIGTERM` are refused (Ctrl-C must keep stopping the program).
   */
  dumpSignal?: NodeJS.Signals;
}

interface ReactorState {
  mode: "thread" | "inline";
  table: TokenTable;
  reactor: Reactor;
}

let state: ReactorState | null = null;
/** Whether threads from spawnThread print the book's executor lines: the last `init({ verbose })` says. */
let verboseThreads = false;

const REACTOR_START_TIMEOUT_MS = 10_000;

/**
 * Starts the reactor (once per process) and returns a new {@link Executor} that can do I/O.
 *
 * @example
 * ```ts
 * const executor = init(); // init({ dumpSignal: "SIGUSR2" }): `kill -USR2 <pid>` prints every task (under run)
 * executor.blockOn(coroutine(function* () {
 *   console.log(yield* wait(Http.get("/1000/HelloWorld")));
 * }));
 * ```
 */
export function init(options: InitOptions = {}): Executor {
  const mode = options.reactor ?? "thread";
  if (mode !== "thread" && mode !== "inline") throw new RangeError(`init: reactor must be "thread" or "inline", got ${String(mode)}`);
  if (options.trace !== undefined) {
    if (!isMainThread) {
      // The process's trace, if any, covers this thread already.
      if (!tracing)
        throw new RuntimeError(
          "init({ trace }) in a thread: a trace is started by the main thread's first init() (or REACTOR_EXECUTOR_TRACE)",
        );
    } else {
      if (state !== null && tracePath() === null) {
        throw new RuntimeError("init({ trace }) must be the first init() call: the reactor thread is already running untraced");
      }
      startTrace(options.trace);
    }
  }
  if (state === null) {
    if (!isMainThread)
      throw new RuntimeError(
        "init() starts the process's reactor from the main thread; threads started with spawnThread are attached to it already",
      );
    state = start(mode);
  } else if (state.mode !== mode) {
    throw new RuntimeError(`the reactor is already running in "${state.mode}" mode; it cannot switch to "${mode}"`);
  }
  if (options.verbose !== undefined) verboseThreads = options.verbose;
  if (options.dumpSignal !== undefined) dumpOnSignal(options.dumpSignal);
  const { reactor: _, trace: _trace, dumpSignal: _signal, ...executorOptions } = options;
  return new Executor(executorOptions);
}

/** The process's reactor (the book's `reactor()`); throws if {@link init} has not been called. */
export function reactor(): Reactor {
  if (state === null) throw new RuntimeError("the reactor is not running: call init() first");
  return state.reactor;
}

/** @internal The mode the reactor runs in, or null before `init()`. */
export function reactorMode(): "thread" | "inline" | null {
  return state?.mode ?? null;
}

/** @internal The shared memory a worker needs to use this reactor. */
export function reactorBuffer(): SharedArrayBuffer {
  return reactor().table.buffer;
}

/** @internal Whether threads started by spawnThread are verbose. */
export function threadVerbose(): boolean {
  return verboseThreads;
}

/** @internal Adopts the reactor of the thread that started this one (spawnThread workers). */
export function attachReactor(buffer: SharedArrayBuffer, verbose: boolean): void {
  verboseThreads = verbose;
  const table = new TokenTable(buffer);
  state = { mode: "thread", table, reactor: new Reactor(table) };
}

function start(mode: "thread" | "inline"): ReactorState {
  const epfd = epollCreate();
  const efd = eventfd();
  epollAdd(epfd, efd, EPOLLIN, SHUTDOWN_TOKEN, 0);
  const table = TokenTable.create(epfd, efd);
  setDumpReactorMetrics(() => table.metrics());
  if (mode === "thread") {
    const worker = new Worker(new URL("./reactor-thread.js", import.meta.url), {
      workerData: { hub: wakeHubBuffer(), table: table.buffer },
      name: "reactor",
      // The loop needs none of the process's flags, and some break a worker (a program run with
      // `node --input-type=module -e ...` passes --input-type on, which workers refuse).
      execArgv: [],
    });
    worker.unref();
    // A reactor that failed to start would leave every I/O future waiting forever, and under
    // blockOn its error event could never be delivered: wait for it here and fail loudly instead.
    if (!table.waitStarted(REACTOR_START_TIMEOUT_MS)) {
      void worker.terminate();
      throw new RuntimeError(`the reactor thread did not start within ${REACTOR_START_TIMEOUT_MS} ms`);
    }
    process.once("exit", () => {
      eventfdWrite(efd);
      table.waitStopped(2_000);
    });
  } else {
    setDefaultDriver(new InlineDriver(table));
  }
  return { mode, table, reactor: new Reactor(table) };
}
