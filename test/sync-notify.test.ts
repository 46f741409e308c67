import { test } from "node:test";
import assert from "node:assert/strict";
import { DeadlockError, Executor, Notify, PENDING, coroutine, sleep, spawn, wait } from "reactor-executor";
import { CountingWaker } from "./util/wakers.js";

test("notifyOne with nobody waiting stores one permit, consumed by the next notified()", () => {
  const n = new Notify();
  n.notifyOne();
  n.notifyOne(); // still one permit
  assert.equal(n.notified().poll(new CountingWaker()), undefined);
  assert.equal(n.notified().poll(new CountingWaker()), PENDING);
});

test("notifyOne wakes the longest waiter only, in FIFO order", () => {
  const n = new Notify();
  const ws = [new CountingWaker(), new CountingWaker(), new CountingWaker()];
  const fs = ws.map((w) => {
    const f = n.notified();
    assert.equal(f.poll(w), PENDING);
    return f;
  });
  n.notifyOne();
  assert.deepEqual(
    ws.map((w) => w.wakes),
    [1, 0, 0],
  );
  assert.equal(fs[0]!.poll(ws[0]!), undefined);
  n.notifyOne();
  assert.deepEqual(
    ws.map((w) => w.wakes),
    [1, 1, 0],
  );
});

test("notifyAll wakes every waiter, also futures made before it but not polled yet; it stores no permit", () => {
  const n = new Notify();
  const waiting = n.notified();
  const w = new CountingWaker();
  assert.equal(waiting.poll(w), PENDING);
  const made = n.notified(); // not polled yet
  n.notifyAll();
  assert.equal(w.wakes, 1);
  assert.equal(waiting.poll(w), undefined);
  assert.equal(made.poll(new CountingWaker()), undefined, "made before notifyAll: completes");
  assert.equal(n.notified().poll(new CountingWaker()), PENDING, "made after: waits (no permit stored)");
});

test("cancellation: a notified() dropped after notifyOne picked it passes the notification on", () => {
  const n = new Notify();
  const a = n.notified();
  const b = n.notified();
  const wa = new CountingWaker();
  const wb = new CountingWaker();
  a.poll(wa);
  b.poll(wb);
  n.notifyOne();
  assert.equal(wa.wakes, 1);
  a.drop!();
  assert.equal(wb.wakes, 1, "b got the notification a dropped");
  assert.equal(b.poll(wb), undefined);
});

test("cancellation: with nobody else waiting, the dropped notification becomes the stored permit", () => {
  const n = new Notify();
  const a = n.notified();
  a.poll(new CountingWaker());
  n.notifyOne();
  a.drop!();
  assert.equal(n.notified().poll(new CountingWaker()), undefined);
});

test("cancellation: a dropped waiting notified() leaves the queue", () => {
  const n = new Notify();
  const a = n.notified();
  const b = n.notified();
  const wb = new CountingWaker();
  a.poll(new CountingWaker());
  b.poll(wb);
  a.drop!();
  n.notifyOne();
  assert.equal(wb.wakes, 1);
});

test("on an executor: a producer/consumer handshake, and a wait nobody can notify is a deadlock", () => {
  const n = new Notify();
  const got: number[] = [];
  const queue: number[] = [];
  new Executor().blockOn(
    coroutine(function* () {
      const consumer = spawn(
        coroutine(function* () {
          while (got.length < 5) {
            if (queue.length === 0) yield* wait(n.notified());
            else got.push(queue.shift()!);
          }
        }),
      );
      for (let i = 0; i < 5; i++) {
        queue.push(i);
        n.notifyOne();
        yield* wait(sleep(1));
      }
      yield* wait(consumer);
    }),
  );
  assert.deepEqual(got, [0, 1, 2, 3, 4]);
  assert.throws(() => new Executor().blockOn(new Notify().notified()), DeadlockError);
});
