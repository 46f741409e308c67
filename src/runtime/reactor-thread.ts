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
import { workerData } from "node:worker_threads";
import { EpollEvents, epollWait } from "../sys/index.js";
import { attachWakeHub } from "./wake-hub.js";
import { SHUTDOWN_TOKEN, TokenTable } from "./token-table.js";

interface ReactorThreadData {
  hub: SharedArrayBuffer;
  table: SharedArrayBuffer;
}

const data = workerData as ReactorThreadData;
attachWakeHub(data.hub);
const table = new TokenTable(data.table);
const events = new EpollEvents(1024);

table.markStarted();
try {
  loop: for (;;) {
    const n = epollWait(table.epfd, events, -1);
    for (let i = 0; i < n; i++) {
      const token = events.lo(i);
      if (token === SHUTDOWN_TOKEN) break loop;
      table.dispatch(events.events(i), token, events.hi(i));
    }
  }
} finally {
  table.markStopped();
}
