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
import { EpollEvents, epollWait } from "../sys/index.js";
import { attachWakeHub } from "./wake-hub.js";
import { TokenTable } from "./token-table.js";

interface ReactorThreadData {
  hub: SharedArrayBuffer;
  table: SharedArrayBuffer;
}

const data = workerData as ReactorThreadData;
attachWakeHub(data.hub);
const table = new TokenTable(data.table);
const events = new EpollEvents(1024);

// A slightly lower priority for this thread only (Linux: setpriority on the thread id). When it
// shares a core with a busy executor, the executor then finishes its batch before the next wakes
// are delivered, and each epoll_wait returns more events: measured on the delay server under wrk,
// 1.5x -> 1.9x node:http's requests/s. When the executor is parked nothing competes, so wake-up
// latency is unchanged. Best effort: a system that refuses it runs at the default priority.
try {
  setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), 5);
} catch {
  // no /proc/thread-self or no permission: keep the default priority
}

table.markStarted();
try {
  while (!table.dispatchEvents(events, epollWait(table.epfd, events, -1))) {
    // each turn: wait on epoll, wake whoever the events belong to, until the shutdown eventfd
  }
} finally {
  table.markStopped();
}
