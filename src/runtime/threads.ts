/**
 * `spawnThread`: the book's d-multiple-threads, one executor per OS thread, all on one reactor.
 *
 * The thread is a `worker_thread` given everything it needs as numbers and shared memory (the wake
 * hub, the reactor's token table, an outcome record); see `thread-entry`. Its `join()` is a future
 * that completes when the thread's executor has finished, and rethrows the thread's error with
 * its name, message, stack and code. Works from the main thread and from inside another thread.
 * Refused with the inline reactor, which only the executor that polls it can drive.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { RuntimeError } from "../errors.js";
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { toPromise } from "./promise.js";
import { requireExecutor } from "./executor.js";
import { reactorBuffer, reactorMode, threadVerbose } from "./init.js";
import { ThreadOutcome, DONE, FAILED } from "./thread-outcome.js";
import { wakeHubBuffer } from "./wake-hub.js";
import type { Waker } from "../future/waker.js";

/**
 * A running thread started by {@link spawnThread}.
 *
 * @example
 * ```ts
 * const h = spawnThread("exec-1", new URL("./work.js", import.meta.url), "asyncMain", 5);
 * yield* wait(h.join()); // or: await h.joinAsync()
 * ```
 */
export interface ThreadHandle {
  /** The thread's name (and its executor's). */
  readonly name: string;
  /** Completes when the thread's executor has finished; throws the thread's error if it failed. */
  join(): Future<void>;
  /** {@link join} as a Promise. */
  joinAsync(): Promise<void>;
}

class JoinThread implements Future<void> {
  private ref = -1;
  private done = false;

  constructor(private readonly handle: Thread) {}

  poll(waker: Waker): Poll<void> {
    if (this.done) pollAfterReady("ThreadHandle.join()");
    const outcome = this.handle.outcome;
    let state = outcome.state;
    if (state !== DONE && state !== FAILED) {
      const ex = requireExecutor("ThreadHandle.join()");
      if (this.ref < 0) this.ref = ex.exportWaker(waker);
      state = outcome.setJoiner(this.ref);
      if (state !== DONE && state !== FAILED) return PENDING;
    }
    this.release();
    this.done = true;
    if (state === FAILED) throw outcome.error();
    return undefined;
  }

  drop(): void {
    this.release();
  }

  private release(): void {
    if (this.ref < 0) return;
    this.handle.outcome.takeJoiner();
    requireExecutor("ThreadHandle.join()").releaseWaker(this.ref);
    this.ref = -1;
  }
}

class Thread implements ThreadHandle {
  constructor(
    readonly name: string,
    readonly outcome: ThreadOutcome,
  ) {}

  join(): Future<void> {
    return new JoinThread(this);
  }

  joinAsync(): Promise<void> {
    return toPromise(this.join());
  }
}

/**
 * Starts a thread named `name` with its own executor on the process's reactor: it imports
 * `moduleUrl`, calls its export `exportName` with `args` (structured-cloneable) and runs the
 * returned future with `blockOn`. Needs `init()` (thread mode).
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
export function spawnThread(name: string, moduleUrl: URL | string, exportName: string, ...args: unknown[]): ThreadHandle {
  const mode = reactorMode();
  if (mode === null) throw new RuntimeError("spawnThread needs the reactor: call init() first");
  if (mode === "inline")
    throw new RuntimeError(
      'spawnThread is not available with init({ reactor: "inline" }): only the executor polling epoll can drive the inline reactor; use init()',
    );
  const url = moduleUrl instanceof URL ? moduleUrl.href : moduleUrl;
  const outcome = new ThreadOutcome();
  const worker = new Worker(new URL("./thread-entry.js", import.meta.url), {
    name,
    workerData: {
      hub: wakeHubBuffer(),
      reactor: reactorBuffer(),
      outcome: outcome.buffer,
      name,
      verbose: threadVerbose(),
      moduleUrl: url,
      exportName,
      args,
    },
    execArgv: workerExecArgv(),
  });
  // The thread keeps the process alive until it ends, as a thread would; its end is reported
  // through shared memory, so nothing here listens for worker events.
  void worker;
  return new Thread(name, outcome);
}

/**
 * The process's flags, less those a worker refuses or must not repeat: `--input-type` (only for
 * `-e` input) and the `-e`/`-p` program text itself.
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-e" || a === "--eval" || a === "-p" || a === "--print") i++;
    else if (!a.startsWith("--input-type") && !a.startsWith("--eval=") && !a.startsWith("--print=")) out.push(a);
  }
  return out;
}
