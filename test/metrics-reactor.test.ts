/**
 * `reactor().metrics()`: `epoll_wait` calls, events and stale events, counted exactly by the
 * reactor thread for events this test makes itself (this process has no other source), and read
 * from the main thread; and the same counters under the inline reactor, in a child process.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Interest, init, reactor, type ReactorMetrics } from "reactor-executor";
import { EPOLLET, EPOLLIN, EPOLLOUT, close, epollAdd, eventfd, eventfdWrite } from "../src/sys/index.js";
import { runModule } from "./util/run-child.js";

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Waits (up to a generous deadline) until the reactor thread has returned from `calls` epoll_waits. */
function waitForCalls(calls: number): ReactorMetrics {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const m = reactor().metrics();
    if (m.epollWaits >= calls || performance.now() > deadline) return m;
    Atomics.wait(pause, 0, 0, 1);
  }
}

test("the reactor thread counts each epoll_wait, its events, and the stale ones it drops", () => {
  init();
  const r = reactor();
  const start = r.metrics();
  assert.deepEqual(start, { epollWaits: 0, events: 0, staleEvents: 0 }, "nothing registered yet: the reactor waits");

  // An eventfd is writable at once: adding it reports one event (the edge of its writability).
  const efd = eventfd();
  const id = r.nextId();
  r.register({ fd: efd }, Interest.READABLE, id);
  assert.deepEqual(waitForCalls(1), { epollWaits: 1, events: 1, staleEvents: 0 });

  // A write makes it readable: one more wait returns one more event.
  eventfdWrite(efd);
  assert.deepEqual(waitForCalls(2), { epollWaits: 2, events: 2, staleEvents: 0 });

  // Added under a generation its token does not have (as a source deregistered, its token reused,
  // would be): its first event is stale.
  const stale = eventfd();
  const id2 = r.nextId();
  epollAdd(r.table.epfd, stale, EPOLLIN | EPOLLOUT | EPOLLET, id2, r.table.generation(id2) + 1);
  assert.deepEqual(waitForCalls(3), { epollWaits: 3, events: 3, staleEvents: 1 });

  r.deregister({ fd: stale }, id2);
  r.deregister({ fd: efd }, id);
  close(stale);
  close(efd);
  // Nothing else happened: the reactor is back in epoll_wait, and the counts stay.
  Atomics.wait(pause, 0, 0, 50);
  assert.deepEqual(r.metrics(), { epollWaits: 3, events: 3, staleEvents: 1 });
});

test("the inline reactor counts the waits of the executor that drives it, exactly", async () => {
  const sys = new URL("../src/sys/index.js", import.meta.url).href;
  const out = await runModule(`
    import { init, reactor, Interest, coroutine, wait, spawn, joinAll, PENDING } from "reactor-executor";
    import { eventfd, eventfdRead, eventfdWrite, epollAdd, close, EPOLLIN, EPOLLOUT, EPOLLET } from ${JSON.stringify(sys)};
    const ex = init({ reactor: "inline" });
    const r = reactor();
    // A source added under a generation its token does not have: its first event is stale.
    const stale = eventfd();
    const staleId = r.nextId();
    epollAdd(r.table.epfd, stale, EPOLLIN | EPOLLOUT | EPOLLET, staleId, r.table.generation(staleId) + 1);
    const efd = eventfd();
    class Read {
      id = -1;
      poll(waker) {
        if (this.id < 0) {
          this.id = r.nextId();
          r.register({ fd: efd }, Interest.READABLE, this.id);
        }
        r.setWaker(waker, this.id, Interest.READABLE);
        const n = eventfdRead(efd);
        if (n === 0) return PENDING;
        r.deregister({ fd: efd }, this.id);
        return n;
      }
    }
    class Write {
      poll() { eventfdWrite(efd, 5); return 5; }
    }
    const before = r.metrics();
    const got = ex.blockOn(coroutine(function* () {
      return yield* wait(joinAll([spawn(new Read()), spawn(new Write())]));
    }));
    const after = r.metrics();
    r.deregister({ fd: stale }, staleId);
    close(stale); close(efd);
    console.log(JSON.stringify({ before, after, got }));
  `);
  assert.equal(out.code, 0, out.stderr);
  const { before, after, got } = JSON.parse(out.stdout) as { before: ReactorMetrics; after: ReactorMetrics; got: number[] };
  assert.deepEqual(got, [5, 5]);
  assert.deepEqual(before, { epollWaits: 0, events: 0, staleEvents: 0 }, "no executor has waited on epoll yet");
  // Cycle 1: main waits on both; the reader registers and waits (the executor now waits on I/O);
  // the writer writes and ends, waking main, which waits on the reader. The look then calls
  // epoll_wait once: the eventfd's event (writable since it was added, readable since the write)
  // and the stale one. Cycle 2: the reader reads 5, main ends: no more waits.
  assert.deepEqual(after, { epollWaits: 1, events: 2, staleEvents: 1 });
});
