/**
 * The reactor's event loop: the entry of the worker thread that `init()` starts (the book's
 * `event_loop`, on its own OS thread). It blocks in `epoll_wait` and, for each event, wakes the
 * waker stored for its token and direction, through the wake hub. It takes no messages: everything
 * it needs is numbers and shared memory, handed over once in `workerData`.
 *
 * It stops when the shutdown eventfd (token 0) becomes readable, and reports that it stopped in a
 * `finally`, so the main thread's exit handler, which waits for that, is never left hanging (Node
 * cannot terminate a thread blocked inside a native call).
 *
 * @module
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { workerData } from "node:worker_threads";
import { EpollEvents, epollWait, setBatchScheduling } from "../sys/index.js";
import { attachWakeHub } from "./wake-hub.js";
import { TokenTable } from "./token-table.js";
import { traceEpollDispatched, traceEpollReturned, traceEpollWait, traceThreadName, tracing } from "./trace-recorder.js";

interface ReactorThreadData {
  hub: SharedArrayBuffer;
  table: SharedArrayBuffer;
}

const data = workerData as ReactorThreadData;
attachWakeHub(data.hub);
const table = new TokenTable(data.table);
const events = new EpollEvents(1024);

// How this thread shares a core with a busy executor (best effort each: a system that refuses
// keeps the default). Both make the executor finish its batch before the next wakes are delivered,
// so each epoll_wait returns more events:
// - SCHED_BATCH: waking up (an event arrived) never preempts the thread running on this core; the
//   loop runs when that thread blocks or its time slice ends, as the inline reactor would. On an
//   idle core it runs at once, as before. Measured with the delay server and the W2 client each
//   pinned to one core: keep-alive 150-168k -> 188-199k requests/s, W2 client CPU 469-489 ->
//   421-460 ms, `Connection: close` unchanged.
// - nice 5 (setpriority on the thread id): a smaller share of the core while both are runnable;
//   under wrk, 1.5x -> 1.9x node:http's requests/s before SCHED_BATCH.
try {
  setBatchScheduling();
} catch {
  // not permitted or not supported: keep SCHED_OTHER
}
try {
  setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), 5);
} catch {
  // no /proc/thread-self or no permission: keep the default priority
}

// Read once: the word is written by init() before this thread starts, and never again.
const epfd = table.epfd;

traceThreadName("reactor");
table.markStarted();
try {
  // each turn: wait on epoll, wake whoever the events belong to, until the shutdown eventfd
  for (;;) {
    if (tracing) traceEpollWait();
    const n = epollWait(epfd, events, -1);
    if (tracing) traceEpollReturned(n, -1);
    const shutdown = table.dispatchEvents(events, n);
    if (tracing) traceEpollDispatched();
    if (shutdown) break;
  }
} finally {
  table.markStopped();
}
