/**
 * The signal dump: an opt-in signal (`init({ dumpSignal: "SIGUSR2" })`, or {@link dumpOnSignal})
 * that prints the task dump of every executor of the process to stderr.
 *
 * What constrains it:
 * - A JS signal handler runs from the main thread's event loop only. Under `run` the loop turns
 *   between cycles, so the handler runs; while the main thread sits in `blockOn`'s
 *   `Atomics.wait` it cannot, and the signal is handled when the loop next turns (if ever). There,
 *   `executor.dump()` and the `DeadlockError` message are the way in.
 * - Workers receive no signals, and their executors' objects live on their own threads. So the
 *   handler dumps the executors of its own thread directly and asks every other executor by waking
 *   its reserved inbox slot (`DUMP_SLOT`): a number through shared memory, which unparks it
 *   whether it waits in `Atomics.wait` (`blockOn`), `Atomics.waitAsync` (`run`) or is busy. Each
 *   prints its own dump, from its own thread, when it next looks at its inbox; a task that never
 *   returns from its poll keeps its executor from answering, which is itself what the dump is for.
 * - Dumps from several threads come out whole, one after the other: each is one write under a
 *   process-wide lock word (`writeExclusive`).
 * - A SIGINT or SIGTERM listener would replace Node's default exit, and a program in `blockOn`
 *   could no longer be stopped with Ctrl-C: those are refused.
 *
 * @module
 */
import { constants } from "node:os";
import { isMainThread, threadId } from "node:worker_threads";
import { RuntimeError } from "../errors.js";
import { describeValue } from "./arguments.js";
import { liveExecutors } from "./executor.js";
import { formatReactorMetrics } from "./metrics.js";
import { writeExclusive } from "./output.js";
import { DUMP_SLOT, forEachExecutorIndex, wakeRef, wakerRef } from "./wake-hub.js";
import type { ReactorMetrics } from "./metrics.js";

/** Signals a dump may not take: Node's own exit on them (and the debugger's SIGUSR1) must stay. */
const REFUSED = new Set(["SIGINT", "SIGTERM", "SIGKILL", "SIGSTOP", "SIGUSR1"]);

const installed = new Map<string, () => void>();

/** The reactor's counters, when one is running: set by `init` (which this module cannot import). */
let reactorMetrics: (() => ReactorMetrics) | null = null;

/** @internal Lets the dump include the reactor's counters. */
export function setDumpReactorMetrics(read: () => ReactorMetrics): void {
  reactorMetrics = read;
}

/**
 * Prints the task dump of every executor in the process to stderr each time `signal` arrives
 * (default `SIGUSR2`), and returns a function that stops it. Main thread only (workers receive no
 * signals); `SIGINT`, `SIGTERM` and `SIGUSR1` are refused, as a listener would take Node's own
 * handling of them away. The handler runs when the main thread's event loop turns, that is under
 * `run`, not while the main thread is inside `blockOn`; executors on other threads answer
 * whichever way they wait. `init({ dumpSignal })` calls this.
 *
 * @example
 * <!-- ts-check
 * declare function server(): Future<void>;
 * -->
 * ```ts
 * const stop = dumpOnSignal("SIGUSR2");
 * await init().run(server());     // kill -USR2 <pid> prints every executor's tasks
 * stop();
 * ```
 */
export function dumpOnSignal(signal: NodeJS.Signals = "SIGUSR2"): () => void {
  if (!isMainThread) throw new RuntimeError("dumpOnSignal(): signals reach the main thread only; call it there");
  if (typeof signal !== "string" || !(signal in constants.signals)) {
    throw new RuntimeError(`dumpOnSignal(signal): ${describeValue(signal)} is not a signal name such as "SIGUSR2"`);
  }
  if (REFUSED.has(signal)) {
    throw new RuntimeError(
      `dumpOnSignal(signal): ${signal} is refused: a listener would take Node's own handling of it away ` +
        `(a program in blockOn could not be stopped with Ctrl-C); use SIGUSR2, say`,
    );
  }
  const known = installed.get(signal);
  if (known !== undefined) return known;
  const handler = (): void => printProcessDump(signal);
  process.on(signal, handler);
  const stop = (): void => {
    if (installed.get(signal) !== stop) return;
    installed.delete(signal);
    process.off(signal, handler);
  };
  installed.set(signal, stop);
  return stop;
}

/** Prints this thread's executors now and asks every other executor of the process to print its own. */
function printProcessDump(signal: string): void {
  const here = [...liveExecutors()];
  const others: number[] = [];
  forEachExecutorIndex((index, owner) => {
    if (owner !== threadId) others.push(index);
  });
  const reactor = reactorMetrics === null ? "" : `; reactor: ${formatReactorMetrics(reactorMetrics())}`;
  // A listener that throws would end the process: a part that cannot be written (stderr gone) is
  // dropped, and the others still go.
  attempt(() =>
    writeExclusive(
      2,
      `reactor-executor: ${signal}: task dump of pid ${process.pid}: ${here.length} executor(s) on thread ${threadId}, ` +
        `${others.length} on other threads (each prints its own when it next looks at its inbox)${reactor}`,
    ),
  );
  for (const ex of here) attempt(() => ex.printDump());
  for (const index of others) wakeRef(wakerRef(index, DUMP_SLOT));
}

function attempt(write: () => void): void {
  try {
    write();
  } catch {
    // nowhere left to say so
  }
}
