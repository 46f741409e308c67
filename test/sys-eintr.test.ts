import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { close, EPOLLIN, epollAdd, epollCreate, EpollEvents, epollWait, eventfd, eventfdWrite } from "../src/sys/index.js";

// A process-directed signal is delivered to the main thread when it does not block it, and a
// thread asleep in epoll_wait is interrupted with EINTR whatever SA_RESTART says. So signalling
// the process while this thread waits exercises the wrappers' EINTR handling for real.

let signals = 0;
const onSignal = (): void => {
  signals++;
};

async function withSignalDuringWait(
  writeAfterMs: number,
  wait: (ep: number, events: EpollEvents) => number,
): Promise<{ n: number; elapsedMs: number; events: EpollEvents }> {
  const ep = epollCreate();
  const efd = eventfd();
  epollAdd(ep, efd, EPOLLIN, 3, 4);
  process.on("SIGUSR2", onSignal);
  const before = signals;
  const worker = new Worker(new URL("./util/signal-worker.js", import.meta.url), {
    workerData: { efd, signalAfterMs: 200, writeAfterMs },
  });
  const exited = once(worker, "exit");
  try {
    await once(worker, "message");
    const events = new EpollEvents(4);
    const started = Date.now();
    const n = wait(ep, events);
    const elapsedMs = Date.now() - started;
    await new Promise((r) => setTimeout(r, 50)); // let the signal's JS handler run
    assert.equal(signals, before + 1, "the signal was delivered");
    return { n, elapsedMs, events };
  } finally {
    eventfdWrite(efd); // never leave the worker's timers (or anyone) waiting
    await exited;
    process.off("SIGUSR2", onSignal);
    close(efd);
    close(ep);
  }
}

test("epollWait(-1) retries after EINTR and returns the event that came later", async () => {
  const { n, elapsedMs, events } = await withSignalDuringWait(600, (ep, events) => epollWait(ep, events, -1));
  assert.equal(n, 1);
  assert.deepEqual([events.events(0), events.lo(0), events.hi(0)], [EPOLLIN, 3, 4]);
  assert.ok(elapsedMs >= 500, `returned after ${elapsedMs} ms: before the eventfd write at 600 ms`);
});

test("epollWait with a finite timeout returns 0 on EINTR instead of waiting the whole timeout again", async () => {
  const { n, elapsedMs } = await withSignalDuringWait(-1, (ep, events) => epollWait(ep, events, 5000));
  assert.equal(n, 0);
  assert.ok(elapsedMs >= 150 && elapsedMs < 2500, `returned after ${elapsedMs} ms (signal at 200 ms, timeout 5000 ms)`);
});
