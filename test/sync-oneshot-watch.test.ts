import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ClosedError,
  DeadlockError,
  Executor,
  PENDING,
  RuntimeError,
  coroutine,
  oneshot,
  select,
  sleep,
  spawn,
  wait,
  watch,
} from "reactor-executor";
import { CountingWaker } from "./util/wakers.js";

test("oneshot: the receiver is the future of the value; send wakes it", () => {
  const [tx, rx] = oneshot<string>();
  const w = new CountingWaker();
  assert.equal(rx.poll(w), PENDING);
  assert.equal(rx.tryRecv(), undefined);
  assert.equal(tx.send("hi"), true);
  assert.equal(w.wakes, 1);
  assert.equal(rx.poll(w), "hi");
  assert.throws(() => rx.poll(w), RuntimeError, "a finished receiver polled again");
  assert.equal(tx.send("again"), false, "one value per oneshot");
});

test("oneshot: a sender closed without sending (or disposed by `using` in an aborted task) fails the receiver with ClosedError", () => {
  const [tx, rx] = oneshot<number>();
  const w = new CountingWaker();
  rx.poll(w);
  tx.close();
  assert.equal(w.wakes, 1);
  assert.throws(
    () => rx.poll(w),
    (e: unknown) => e instanceof ClosedError && e.code === "ECLOSED",
  );

  const err = new Executor().blockOn(
    coroutine(function* () {
      const [tx2, rx2] = oneshot<number>();
      const worker = spawn(
        coroutine(function* () {
          using reply = tx2;
          yield* wait(sleep(10_000));
          reply.send(1);
        }),
      );
      yield* wait(sleep(1));
      worker.abort();
      try {
        yield* wait(rx2);
        return null;
      } catch (e) {
        return e;
      }
    }),
  );
  assert.ok(err instanceof ClosedError);
});

test("oneshot: dropping the receiver (it lost a select) closes it: send returns false, closed() completes", () => {
  const [tx, rx] = oneshot<number>();
  const closed = tx.closed();
  const wc = new CountingWaker();
  assert.equal(closed.poll(wc), PENDING);
  const r = new Executor().blockOn(select<unknown>([rx, sleep(1)]));
  assert.equal(r.index, 1);
  assert.equal(wc.wakes, 1);
  assert.equal(closed.poll(wc), undefined);
  assert.equal(tx.isClosed, true);
  assert.equal(tx.send(5), false);
});

test("oneshot: a receiver whose sender is forgotten is a deadlock, not a hang", () => {
  const [, rx] = oneshot<number>();
  assert.throws(() => new Executor().blockOn(rx), DeadlockError);
});

test("watch: receivers see the latest value; changed() marks it seen; borrow() does not", () => {
  const [tx, rx] = watch(0);
  const rx2 = tx.subscribe();
  assert.equal(rx.hasChanged, false);
  const c = rx.changed();
  const w = new CountingWaker();
  assert.equal(c.poll(w), PENDING);
  tx.send(1);
  tx.send(2);
  assert.equal(w.wakes, 1);
  assert.equal(c.poll(w), undefined);
  assert.equal(rx.borrow(), 2, "only the latest value is kept");
  assert.equal(rx.hasChanged, false);
  assert.equal(rx2.hasChanged, true);
  assert.equal(rx2.borrow(), 2);
  assert.equal(rx2.hasChanged, true, "borrow() does not mark seen");
  assert.equal(rx2.borrowAndUpdate(), 2);
  assert.equal(rx2.hasChanged, false);
  assert.equal(rx2.changed().poll(w), PENDING);
  assert.equal(tx.receiverCount, 2);
});

test("watch: after the sender closes, changed() reports an unseen value once, then throws ClosedError", () => {
  const [tx, rx] = watch("a");
  const waiting = rx.clone();
  const c = waiting.changed();
  const w = new CountingWaker();
  c.poll(w);
  tx.send("b");
  tx.close();
  assert.equal(rx.changed().poll(new CountingWaker()), undefined, "b is unseen");
  assert.throws(() => rx.changed().poll(new CountingWaker()), ClosedError);
  assert.equal(c.poll(w), undefined);
  assert.throws(() => tx.send("c"), RuntimeError);
  assert.equal(rx.isClosed, true);
});

test("watch: a dropped changed() only unlinks itself; closing every receiver completes the sender's closed()", () => {
  const [tx, rx] = watch(1);
  const c = rx.changed();
  c.poll(new CountingWaker());
  c.drop!();
  tx.send(2);
  assert.equal(rx.hasChanged, true, "the drop marked nothing seen");
  const closed = tx.closed();
  const wc = new CountingWaker();
  assert.equal(closed.poll(wc), PENDING);
  const rx2 = rx.clone();
  rx.close();
  assert.equal(wc.wakes, 0);
  rx2.close();
  assert.equal(wc.wakes, 1);
  assert.equal(closed.poll(wc), undefined);
  tx.send(3); // no receivers: still stored
  assert.equal(tx.subscribe().borrow(), 3);
  assert.throws(() => rx.changed(), RuntimeError);
});

test("watch on an executor: a slow watcher skips values but ends with the last one", () => {
  const [tx, rx] = watch(0);
  const seen: number[] = [];
  new Executor().blockOn(
    coroutine(function* () {
      const watcher = spawn(
        coroutine(function* () {
          try {
            for (;;) {
              yield* wait(rx.changed());
              seen.push(rx.borrow());
              yield* wait(sleep(5));
            }
          } catch (e) {
            if (!(e instanceof ClosedError)) throw e;
          }
        }),
      );
      for (let i = 1; i <= 20; i++) {
        tx.send(i);
        yield* wait(sleep(1));
      }
      tx.close();
      yield* wait(watcher);
    }),
  );
  assert.equal(seen.at(-1), 20);
  assert.ok(seen.length < 20, `skipped some: ${seen.join(",")}`);
  assert.deepEqual(
    seen,
    [...seen].sort((a, b) => a - b),
  );
});

test("watch: for await gives the current value, then changes, and ends when the sender closes", async () => {
  const [tx, rx] = watch("start");
  const got: string[] = [];
  const done = (async () => {
    for await (const v of rx) got.push(v);
  })();
  await new Promise((r) => setImmediate(r));
  tx.send("one");
  await new Promise((r) => setImmediate(r));
  tx.send("two");
  tx.close();
  await done;
  assert.deepEqual(got, ["start", "one", "two"]);
});
