import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import {
  close,
  EPOLLET,
  EPOLLIN,
  epollAdd,
  epollCreate,
  epollDelete,
  EpollEvents,
  epollWait,
  eventfd,
  eventfdRead,
  eventfdWrite,
} from "../src/sys/index.js";
import { fdFlags, O_CLOEXEC, O_NONBLOCK, openFdCount } from "./util/fds.js";

interface Woke {
  kind: "woke";
  n: number;
  elapsedMs: number;
  got: { events: number; lo: number; hi: number }[];
}

test("eventfd counter: writes add up, a read drains it, an empty read gives 0", () => {
  const fd = eventfd();
  try {
    const flags = fdFlags(fd);
    assert.ok(flags & O_CLOEXEC && flags & O_NONBLOCK, `flags ${flags.toString(8)}`);
    assert.equal(eventfdRead(fd), 0, "nothing written yet");
    assert.equal(eventfdWrite(fd), true);
    assert.equal(eventfdWrite(fd, 2), true);
    assert.equal(eventfdWrite(fd, 0xffffffff), true);
    assert.equal(eventfdRead(fd), 3 + 0xffffffff, "the sum, past 32 bits");
    assert.equal(eventfdRead(fd), 0, "drained");
  } finally {
    close(fd);
  }
});

test("an eventfd write wakes an epoll_wait blocked in a worker thread", async () => {
  const before = openFdCount();
  const ep = epollCreate();
  const efd = eventfd();
  epollAdd(ep, efd, EPOLLIN | EPOLLET, 42, 0xabcdef01);
  const worker = new Worker(new URL("./util/epoll-wait-worker.js", import.meta.url), {
    workerData: { epfd: ep, timeoutMs: 10_000 },
  });
  const messages: unknown[] = [];
  let woke: (m: Woke) => void = () => {};
  const wokePromise = new Promise<Woke>((resolve) => (woke = resolve));
  worker.on("message", (m: { kind: string }) => {
    messages.push(m);
    if (m.kind === "woke") woke(m as Woke);
  });
  const exited = once(worker, "exit");
  try {
    while (!messages.some((m) => (m as { kind: string }).kind === "waiting")) {
      await new Promise((r) => setTimeout(r, 5));
    }
    // It must still be blocked: nothing has been written.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(messages.length, 1, `the worker returned before the wake: ${JSON.stringify(messages)}`);
    assert.equal(eventfdWrite(efd), true);
    const result = await Promise.race([
      wokePromise,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("worker not woken within 5 s")), 5000)),
    ]);
    assert.equal(result.n, 1);
    assert.deepEqual(result.got, [{ events: EPOLLIN, lo: 42, hi: 0xabcdef01 }]);
    assert.ok(result.elapsedMs >= 150 && result.elapsedMs < 5000, `blocked for ${result.elapsedMs} ms`);
  } finally {
    // Whatever happened, make sure the worker is not left inside epoll_wait (it cannot be terminated there).
    eventfdWrite(efd);
    await exited;
  }
  assert.equal(eventfdRead(efd), 2, "both writes counted");
  // Edge-triggered and drained: nothing more to report.
  assert.equal(epollWait(ep, new EpollEvents(4), 0), 0);
  epollDelete(ep, efd);
  close(efd);
  close(ep);
  assert.equal(openFdCount(), before);
});
