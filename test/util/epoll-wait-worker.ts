/**
 * Worker entry for the eventfd wake test: blocks in `epoll_wait` on the epoll fd it is given
 * (fds are process-wide), then reports what woke it. It tells the parent "waiting" just before
 * blocking, so the parent can check it stays blocked until the eventfd is written.
 *
 * The wait has a finite timeout so that a broken wake fails the test instead of hanging the
 * process (a worker blocked in a native call cannot be terminated).
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { EpollEvents, epollWait } from "../../src/sys/index.js";

const { epfd, timeoutMs } = workerData as { epfd: number; timeoutMs: number };
const events = new EpollEvents(8);
parentPort!.postMessage({ kind: "waiting" });
const started = Date.now();
const n = epollWait(epfd, events, timeoutMs);
const elapsedMs = Date.now() - started;
const got: { events: number; lo: number; hi: number }[] = [];
for (let i = 0; i < n; i++) got.push({ events: events.events(i), lo: events.lo(i), hi: events.hi(i) });
parentPort!.postMessage({ kind: "woke", n, elapsedMs, got });
