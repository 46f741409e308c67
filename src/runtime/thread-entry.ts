/**
 * The entry of every thread `spawnThread` starts (the book's `thread::Builder::spawn(move || {
 * Executor::new().block_on(...) })`): it attaches to the process's wake hub and reactor, rebuilds
 * the objects moved in through `transfer` (`thread-transfer.ts`), imports the user's module, calls
 * the named export with the arguments, and `blockOn`s the future it returns on a new executor
 * named after the thread.
 *
 * How the thread ended is recorded by its `process.on("exit")` handler, which Node runs at the
 * natural end of the thread's event loop and inside `process.exit`, also when an uncaught error
 * ends the thread: it gives back what the thread still holds (the objects moved in, such as
 * thread channel ends, through their exit hooks; executor indices; registered sources), writes
 * the outcome to shared memory and wakes the joiner. The export's result is
 * posted on the thread's MessagePort before that, so the joiner finds it there once the outcome
 * says RETURNED. Ends that run no handler (`terminate()`, out of memory) are seen by the parent
 * through the pidfd this thread opens on itself first thing (see `thread-outcome`).
 *
 * `console` in these threads writes synchronously: a worker's console output normally travels
 * through the main thread's event loop, which does not run while the main thread is parked in
 * `Atomics.wait`, so lines would appear late and out of order.
 *
 * @module
 */
import { Console } from "node:console";
import { Writable } from "node:stream";
import { workerData, type MessagePort } from "node:worker_threads";
import { close, gettid, pidfdOpen } from "../sys/index.js";
import { attachWakeHub, wakeRef } from "./wake-hub.js";
import { attachReactor } from "./init.js";
import { Executor } from "./executor.js";
import { writeAllSync } from "./output.js";
import { EXITED, RETURNED, RUNNING, THREW, ThreadOutcome, UNCAUGHT } from "./thread-outcome.js";
import { attachOwnership, notePidfd, takePidfd } from "./thread-owned.js";
import { reclaimSelf } from "./threads.js";
import { traceThreadExit, traceThreadName } from "./trace-recorder.js";
import { reviveTransfers, type TransferRecord } from "./thread-transfer.js";
import type { Future } from "../future/future.js";

interface ThreadData {
  hub: SharedArrayBuffer;
  reactor: SharedArrayBuffer;
  owned: SharedArrayBuffer;
  outcome: SharedArrayBuffer;
  slot: number;
  port: MessagePort;
  name: string;
  verbose: boolean;
  moduleUrl: string;
  exportName: string;
  args: unknown[];
  transfers: TransferRecord[];
}

function syncStream(fd: number): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      try {
        writeAllSync(fd, chunk);
      } catch (e) {
        return callback(e as Error);
      }
      callback();
    },
  });
}

/** This thread's pidfd, or null where the kernel has no thread pidfds (before 6.9) or refuses one. */
function ownPidfd(): number | null {
  try {
    return pidfdOpen(gettid());
  } catch {
    return null;
  }
}

function wake(ref: number): void {
  if (ref >= 0) wakeRef(ref);
}

const data = workerData as ThreadData;
traceThreadName(data.name, true);
globalThis.console = new Console({ stdout: syncStream(1), stderr: syncStream(2) });
attachWakeHub(data.hub);
attachReactor(data.reactor, data.verbose);
attachOwnership(data.owned);
const outcome = new ThreadOutcome(data.outcome);

/**
 * Publishes this thread's pidfd, through which its joiner sees it end; false if the parent's
 * `terminate()` came first (it then gave back what was moved in, and this thread is stopping).
 */
function announce(): boolean {
  const pidfd = ownPidfd();
  if (pidfd !== null) notePidfd(data.slot, pidfd);
  const joiner = outcome.publishPidfd(pidfd);
  if (joiner !== null) {
    wake(joiner);
    return true;
  }
  const fd = takePidfd(data.slot);
  if (fd >= 0) close(fd);
  return false;
}

let exported = RUNNING;
let exportError: unknown = undefined;
let uncaught: { error: unknown } | null = null;
// A monitor observes without changing what Node does with the error (end the thread, code 1).
process.on("uncaughtExceptionMonitor", (error) => {
  uncaught ??= { error };
});
process.on("exit", (code) => {
  reclaimSelf();
  let joiner: number;
  if (code !== 0 && uncaught !== null) joiner = outcome.finish(UNCAUGHT, uncaught.error, code);
  else if (code === 0 && exported !== RUNNING) joiner = outcome.finish(exported, exportError, 0);
  else joiner = outcome.finish(EXITED, undefined, code);
  wake(joiner);
  traceThreadExit();
});

try {
  // Before the user's module: the objects moved in are held by this thread from its start, so its
  // exit handler gives them back however early it ends. A thread channel's end names this thread
  // as it is taken, so that the channel's other threads can watch it end; the pidfd comes after
  // (see announce).
  const args = await reviveTransfers(data.args, data.transfers);
  if (!announce()) await new Promise<never>(() => {}); // terminate() ends the thread here
  const mod = (await import(data.moduleUrl)) as Record<string, unknown>;
  const fn = mod[data.exportName];
  if (typeof fn !== "function") throw new TypeError(`${data.moduleUrl} has no exported function ${data.exportName}`);
  const future = (fn as (...args: unknown[]) => Future<unknown>)(...args);
  if (future === null || typeof future !== "object" || typeof future.poll !== "function") {
    throw new TypeError(`${data.exportName}(...) in ${data.moduleUrl} did not return a Future`);
  }
  const value = new Executor({ name: data.name, verbose: data.verbose }).blockOn(future);
  try {
    data.port.postMessage(value);
  } catch (e) {
    const error = new Error(
      `${data.exportName}(...) in ${data.moduleUrl}: its result cannot be sent to the joining thread: ${(e as Error).message}`,
    );
    error.name = "DataCloneError";
    throw error;
  }
  exported = RETURNED;
} catch (e) {
  exported = THREW;
  exportError = e ?? new Error(String(e));
} finally {
  data.port.close();
}
