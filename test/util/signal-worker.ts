/**
 * Worker entry for the EINTR test: while the main thread is blocked in `epoll_wait`, signals the
 * process (a process-directed signal interrupts the main thread's syscall), then, later, writes
 * the eventfd so the main thread's wait has something to return.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { eventfdWrite } from "../../src/sys/index.js";

const { efd, signalAfterMs, writeAfterMs } = workerData as { efd: number; signalAfterMs: number; writeAfterMs: number };
parentPort!.postMessage("ready");
setTimeout(() => process.kill(process.pid, "SIGUSR2"), signalAfterMs);
if (writeAfterMs >= 0) setTimeout(() => eventfdWrite(efd), writeAfterMs);
