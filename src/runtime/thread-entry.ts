/**
 * The entry of every thread `spawnThread` starts (the book's `thread::Builder::spawn(move || {
 * Executor::new().block_on(...) })`): it attaches to the process's wake hub and reactor, imports
 * the user's module, calls the named export with the arguments, and `blockOn`s the future it
 * returns on a new executor named after the thread. How it ended goes to shared memory in a
 * `finally`, and the joiner, if any, is woken.
 *
 * `console` in these threads writes synchronously: a worker's console output normally travels
 * through the main thread's event loop, which does not run while the main thread is parked in
 * `Atomics.wait`, so lines would appear late and out of order.
 *
 * @module
 */
import { Console } from "node:console";
import { Writable } from "node:stream";
import { workerData } from "node:worker_threads";
import { attachWakeHub, wakeRef } from "./wake-hub.js";
import { attachReactor } from "./init.js";
import { Executor } from "./executor.js";
import { writeAllSync } from "./output.js";
import { ThreadOutcome } from "./thread-outcome.js";
import type { Future } from "../future/future.js";

interface ThreadData {
  hub: SharedArrayBuffer;
  reactor: SharedArrayBuffer;
  outcome: SharedArrayBuffer;
  name: string;
  verbose: boolean;
  moduleUrl: string;
  exportName: string;
  args: unknown[];
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

const data = workerData as ThreadData;
globalThis.console = new Console({ stdout: syncStream(1), stderr: syncStream(2) });
attachWakeHub(data.hub);
attachReactor(data.reactor, data.verbose);
const outcome = new ThreadOutcome(data.outcome);

let failure: unknown = undefined;
try {
  const mod = (await import(data.moduleUrl)) as Record<string, unknown>;
  const fn = mod[data.exportName];
  if (typeof fn !== "function") throw new TypeError(`${data.moduleUrl} has no exported function ${data.exportName}`);
  const future = (fn as (...args: unknown[]) => Future<unknown>)(...data.args);
  if (future === null || typeof future !== "object" || typeof future.poll !== "function") {
    throw new TypeError(`${data.exportName}(...) in ${data.moduleUrl} did not return a Future`);
  }
  new Executor({ name: data.name, verbose: data.verbose }).blockOn(future);
} catch (e) {
  failure = e ?? new Error(String(e));
} finally {
  const joiner = outcome.finish(failure);
  if (joiner >= 0) wakeRef(joiner);
}
