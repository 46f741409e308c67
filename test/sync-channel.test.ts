import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ClosedError,
  DeadlockError,
  Executor,
  PENDING,
  RuntimeError,
  channel,
  coroutine,
  select,
  sleep,
  spawn,
  wait,
  yieldNow,
  type Receiver,
} from "reactor-executor";
import { CountingWaker, SpentBudgetWaker } from "./util/wakers.js";

test("values come out in the order they went in; trySend/tryRecv work without waiting", () => {
  const [tx, rx] = channel<number>(3);
  assert.equal(tx.trySend(1), true);
  assert.equal(tx.send(2).poll(new CountingWaker()), undefined);
  assert.equal(tx.trySend(3), true);
  assert.equal(tx.trySend(4), false, "full");
  assert.equal(rx.length, 3);
  assert.equal(rx.recv().poll(new CountingWaker()), 1);
  assert.equal(rx.tryRecv(), 2);
  assert.equal(rx.tryRecv(), 3);
  assert.equal(rx.tryRecv(), undefined);
  assert.equal(tx.capacity, 3);
});

test("back-pressure: send waits while the channel is full; waiting senders get room in FIFO order", () => {
  const [tx, rx] = channel<string>(1);
  tx.trySend("a");
  const b = tx.send("b");
  const c = tx.send("c");
  const wb = new CountingWaker();
  const wc = new CountingWaker();
  assert.equal(b.poll(wb), PENDING);
  assert.equal(c.poll(wc), PENDING);
  assert.equal(tx.trySend("x"), false, "trySend does not jump the queue of waiting senders");
  assert.equal(rx.tryRecv(), "a");
  assert.deepEqual([wb.wakes, wc.wakes], [1, 0]);
  assert.equal(b.poll(wb), undefined);
  assert.equal(rx.tryRecv(), "b");
  assert.deepEqual([wb.wakes, wc.wakes], [1, 1]);
  assert.equal(c.poll(wc), undefined);
  assert.equal(rx.tryRecv(), "c");
});

test("a waiting receiver is handed the next value and woken; receivers are served in FIFO order", () => {
  const [tx, rx] = channel<number>(4);
  const rx2 = rx.clone();
  const r1 = rx.recv();
  const r2 = rx2.recv();
  const w1 = new CountingWaker();
  const w2 = new CountingWaker();
  assert.equal(r1.poll(w1), PENDING);
  assert.equal(r2.poll(w2), PENDING);
  tx.trySend(10);
  assert.deepEqual([w1.wakes, w2.wakes], [1, 0]);
  assert.equal(rx2.tryRecv(), undefined, "a later receiver cannot take the value promised to r1");
  assert.equal(rx.recv().poll(new CountingWaker()), PENDING, "nor can a new recv()");
  tx.trySend(11);
  assert.deepEqual([w1.wakes, w2.wakes], [1, 1]);
  assert.equal(r1.poll(w1), 10);
  assert.equal(r2.poll(w2), 11);
});

test("cancellation: a recv dropped after it was handed a value passes it on; nothing is lost", () => {
  const [tx, rx] = channel<number>(4);
  const r1 = rx.recv();
  const r2 = rx.recv();
  const w1 = new CountingWaker();
  const w2 = new CountingWaker();
  r1.poll(w1);
  r2.poll(w2);
  tx.trySend(1);
  assert.equal(w1.wakes, 1);
  r1.drop!();
  assert.equal(w2.wakes, 1, "r2's wake was not lost");
  assert.equal(r2.poll(w2), 1);
  // With nobody else waiting, the value stays in the channel.
  const r3 = rx.recv();
  r3.poll(new CountingWaker());
  tx.trySend(2);
  r3.drop!();
  assert.equal(rx.tryRecv(), 2);
});

test("cancellation: a dropped waiting recv leaves the queue; the next value goes to the next receiver", () => {
  const [tx, rx] = channel<number>(4);
  const r1 = rx.recv();
  const r2 = rx.recv();
  const w2 = new CountingWaker();
  r1.poll(new CountingWaker());
  r2.poll(w2);
  r1.drop!();
  tx.trySend(7);
  assert.equal(w2.wakes, 1);
  assert.equal(r2.poll(w2), 7);
});

test("cancellation: a dropped send has not sent; room it was handed passes to the next sender", () => {
  const [tx, rx] = channel<string>(1);
  tx.trySend("a");
  const b = tx.send("b");
  const c = tx.send("c");
  const wb = new CountingWaker();
  const wc = new CountingWaker();
  b.poll(wb);
  c.poll(wc);
  assert.equal(rx.tryRecv(), "a");
  assert.equal(wb.wakes, 1, "b was handed the room");
  b.drop!(); // ...and lost a select before it ran
  assert.equal(wc.wakes, 1, "c got the room instead");
  assert.equal(c.poll(wc), undefined);
  assert.equal(rx.tryRecv(), "c");
  assert.equal(rx.tryRecv(), undefined, "b's value was never sent");
});

test("cancel-safety under an executor: recv raced against a timer in a loop loses no value", () => {
  const [tx, rx] = channel<number>(2);
  const got: number[] = [];
  let timeouts = 0;
  new Executor().blockOn(
    coroutine(function* () {
      spawn(
        coroutine(function* () {
          using out = tx;
          for (let i = 0; i < 200; i++) {
            yield* wait(out.send(i));
            if (i % 3 === 0) yield* wait(sleep(1));
          }
        }),
      );
      for (;;) {
        const r = yield* wait(select<number | void>([rx.recv(), yieldNow()]));
        if (r.index === 1) {
          // A recv that never ends would spin here forever (yieldNow is always ready): fail instead.
          if (++timeouts > 1_000_000) throw new Error("the receiver never saw the channel end");
          continue;
        }
        if (r.value === undefined) break;
        got.push(r.value);
      }
    }),
  );
  assert.deepEqual(
    got,
    Array.from({ length: 200 }, (_, i) => i),
  );
  assert.ok(timeouts > 0, "some recv futures were dropped");
});

test("cancel-safety under an executor: a send that lost a race was not sent", () => {
  const [tx, rx] = channel<number>(1);
  const sent: number[] = [];
  const got: number[] = [];
  new Executor().blockOn(
    coroutine(function* () {
      spawn(
        coroutine(function* () {
          using out = tx;
          for (let i = 0; i < 100; i++) {
            const r = yield* wait(select([out.send(i), yieldNow()]));
            if (r.index === 0) sent.push(i);
          }
        }),
      );
      let v;
      while ((v = yield* wait(rx.recv())) !== undefined) {
        got.push(v);
        if (v % 2 === 0) yield* wait(sleep(1));
      }
    }),
  );
  assert.deepEqual(got, sent);
  assert.ok(sent.length < 100, "some sends lost their race");
});

test("closing every sender: recv drains the buffer, then gives undefined; waiting receivers are woken", () => {
  const [tx, rx] = channel<number>(4);
  const tx2 = tx.clone();
  tx.trySend(1);
  tx.close();
  assert.equal(rx.isClosed, false, "tx2 is still open");
  const r = rx.recv();
  assert.equal(r.poll(new CountingWaker()), 1);
  const waiting = rx.recv();
  const w = new CountingWaker();
  assert.equal(waiting.poll(w), PENDING);
  tx2.close();
  tx2.close(); // harmless
  assert.equal(w.wakes, 1);
  assert.equal(waiting.poll(w), undefined);
  assert.equal(rx.isClosed, true);
  assert.equal(rx.recv().poll(new CountingWaker()), undefined);
});

test("closing every receiver: waiting and later sends throw ClosedError, buffered values are dropped, closed() completes", () => {
  const [tx, rx] = channel<object>(1);
  const rx2 = rx.clone();
  const value = { big: new Uint8Array(16) };
  tx.trySend(value);
  const blocked = tx.send({});
  const w = new CountingWaker();
  assert.equal(blocked.poll(w), PENDING);
  const closed = tx.closed();
  const wc = new CountingWaker();
  assert.equal(closed.poll(wc), PENDING);
  rx.close();
  assert.equal(tx.isClosed, false);
  rx2.close();
  assert.equal(w.wakes, 1);
  assert.equal(wc.wakes, 1);
  assert.equal(closed.poll(wc), undefined);
  assert.throws(
    () => blocked.poll(w),
    (e: unknown) => e instanceof ClosedError && e.code === "ECLOSED",
  );
  assert.throws(() => tx.trySend({}), ClosedError);
  assert.throws(() => tx.send({}).poll(new CountingWaker()), ClosedError);
  assert.equal(tx.isClosed, true);
  assert.equal(rx.length, 0, "the buffered value was dropped");
});

test("a task holding `using tx` that is aborted closes its sender: the receiver ends instead of hanging", () => {
  const [tx, rx] = channel<number>(1);
  const got = new Executor().blockOn(
    coroutine(function* () {
      const producer = spawn(
        coroutine(function* () {
          using out = tx;
          for (let i = 0; ; i++) yield* wait(out.send(i));
        }),
      );
      const first = yield* wait(rx.recv());
      producer.abort();
      const rest: (number | undefined)[] = [];
      for (;;) {
        const v = yield* wait(rx.recv());
        rest.push(v);
        if (v === undefined) break;
      }
      return [first, rest];
    }),
  );
  assert.equal(got[0], 0);
  assert.equal((got[1] as unknown[]).at(-1), undefined);
});

test("a recv on a channel whose senders are forgotten (never closed) is reported as a deadlock", () => {
  const [, rx] = channel<number>(1);
  assert.throws(
    () => new Executor().blockOn(rx.recv()),
    (e: unknown) => e instanceof DeadlockError && /main/.test(e.message),
  );
});

test("a work queue: several receivers share the values, each value once", () => {
  const [tx, rx] = channel<number>(8);
  const seen = new Map<number, number>();
  const per: number[] = [0, 0, 0];
  new Executor().blockOn(
    coroutine(function* () {
      const workers = [rx, rx.clone(), rx.clone()].map((r: Receiver<number>, k) =>
        spawn(
          coroutine(function* () {
            using me = r;
            let v;
            while ((v = yield* wait(me.recv())) !== undefined) {
              seen.set(v, (seen.get(v) ?? 0) + 1);
              per[k]!++;
              yield* wait(sleep(v % 2));
            }
          }),
        ),
      );
      for (let i = 0; i < 300; i++) yield* wait(tx.send(i));
      tx.close();
      for (const w of workers) yield* wait(w);
    }),
  );
  assert.equal(seen.size, 300);
  assert.ok([...seen.values()].every((n) => n === 1));
  assert.ok(
    per.every((n) => n > 0),
    `every worker got some: ${per.join(",")}`,
  );
});

test("for await over a receiver from Promise code, fed by tasks under executor.run", async () => {
  const [tx, rx] = channel<number>(2);
  const ex = new Executor();
  const producing = ex.run(
    coroutine(function* () {
      using out = tx;
      for (let i = 0; i < 50; i++) yield* wait(out.send(i));
    }),
  );
  const got: number[] = [];
  for await (const v of rx) got.push(v);
  await producing;
  assert.deepEqual(
    got,
    Array.from({ length: 50 }, (_, i) => i),
  );
});

test("the cooperative budget: recv and send yield instead of completing once the turn is used up", () => {
  const [tx, rx] = channel<number>(1);
  const spent = new SpentBudgetWaker();
  const s = tx.send(1);
  assert.equal(s.poll(spent), PENDING);
  assert.equal(rx.length, 0);
  assert.equal(s.poll(new CountingWaker()), undefined);
  const r = rx.recv();
  assert.equal(r.poll(spent), PENDING);
  assert.equal(rx.length, 1);
  assert.equal(spent.wakes, 2);
  assert.equal(r.poll(new CountingWaker()), 1);
});

test("bad input: capacity, undefined values, closed handles", () => {
  for (const c of [0, -1, 1.5, NaN, 2 ** 31]) assert.throws(() => channel(c), RangeError);
  const [tx, rx] = channel<number | null>(1);
  assert.throws(() => tx.trySend(undefined as unknown as number), TypeError);
  assert.throws(() => tx.send(undefined as unknown as number), TypeError);
  assert.equal(tx.trySend(null), true, "null is a value");
  tx.close();
  assert.throws(() => tx.trySend(1), RuntimeError);
  assert.throws(() => tx.clone(), RuntimeError);
  rx.close();
  assert.equal(rx.tryRecv(), undefined);
  assert.equal(rx.recv().poll(new CountingWaker()), undefined);
  assert.throws(() => rx.clone(), RuntimeError);
});
