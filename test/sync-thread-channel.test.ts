// threadChannel within one thread: the contract it shares with channel(), cancellation, limits,
// and moving ends through spawnThread's transfer. The cross-thread behaviour is in
// sync-thread-channel-threads, the thread faults in sync-thread-channel-faults.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ClosedError,
  Executor,
  Notify,
  RuntimeError,
  coroutine,
  init,
  select,
  spawn,
  spawnThread,
  threadChannel,
  toPromise,
  wait,
  yieldNow,
  type Future,
} from "../src/index.js";
import { currentExecutor } from "../src/runtime/executor.js";

/** The number of wakers the executor polling now has exported (a waiting thread-channel op holds one). */
function exported(): number {
  return currentExecutor()!.exports!.count;
}

function run<T>(f: Future<T>): T {
  return new Executor().blockOn(f);
}

function settle(): Future<void> {
  return coroutine(function* () {
    for (let i = 0; i < 5; i++) yield* wait(yieldNow());
  });
}

test("values come out in the order they went in; capacity bounds what one thread buffers", () => {
  const [tx, rx] = threadChannel<number>(3);
  assert.equal(tx.capacity, 3);
  assert.equal(tx.trySend(1), true);
  assert.equal(tx.trySend(2), true);
  assert.equal(tx.trySend(3), true);
  assert.equal(tx.trySend(4), false, "full");
  assert.equal(rx.length, 3);
  assert.equal(rx.tryRecv(), 1);
  assert.equal(tx.trySend(4), true, "room again");
  assert.deepEqual([rx.tryRecv(), rx.tryRecv(), rx.tryRecv(), rx.tryRecv()], [2, 3, 4, undefined]);
  tx.close();
  rx.close();
});

test("values are copied (structured clone), not shared", () => {
  const [tx, rx] = threadChannel<Record<string, unknown>>(4);
  const when = new Date(1_700_000_000_000);
  const inner = { n: 1 };
  const sent = { when, tags: new Set(["a"]), bytes: new Uint8Array([1, 2, 3]), pair: [inner, inner], big: 2n ** 70n, neg: -0 };
  assert.equal(tx.trySend(sent), true);
  inner.n = 99;
  const got = rx.tryRecv()!;
  assert.notEqual(got, sent);
  assert.deepEqual(got, {
    when,
    tags: new Set(["a"]),
    bytes: new Uint8Array([1, 2, 3]),
    pair: [{ n: 1 }, { n: 1 }],
    big: 2n ** 70n,
    neg: -0,
  });
  assert.ok(got.when instanceof Date);
  const pair = got.pair as object[];
  assert.equal(pair[0], pair[1], "one object reached twice is one object in the copy");
  assert.ok(Object.is(got.neg, -0));
});

test("undefined, a function and a value larger than a ring are refused, and nothing is sent", () => {
  const [tx, rx] = threadChannel<NonNullable<unknown> | null>(2, { bytes: 256 });
  assert.throws(() => tx.trySend(undefined as never), TypeError);
  assert.throws(() => tx.trySend({ f: () => 1 }), { name: "DataCloneError" });
  assert.throws(() => tx.trySend(new SharedArrayBuffer(8)), { name: "DataCloneError" });
  assert.throws(
    () => tx.trySend("x".repeat(300)),
    (e: Error) => e instanceof RangeError && /more than the 256 bytes/.test(e.message),
  );
  assert.throws(() => run(tx.send("y".repeat(300))), RangeError);
  assert.equal(rx.length, 0);
  assert.equal(tx.trySend("x".repeat(200)), true, "a value that fits goes");
});

test("options are checked: capacity, bytes and threads", () => {
  for (const c of [0, 1.5, -1, 65_537, Number.NaN]) assert.throws(() => threadChannel(c), RangeError, String(c));
  assert.throws(() => threadChannel(1, { threads: 0 }), RangeError);
  assert.throws(() => threadChannel(1, { threads: 129 }), RangeError);
  assert.throws(() => threadChannel(1, { bytes: 0 }), RangeError);
  assert.throws(() => threadChannel(65_536, { bytes: 2 ** 30, threads: 128 }), /shared memory/);
});

test("closing: receivers drain what was sent, then get undefined; senders then get ClosedError", () => {
  const [tx, rx] = threadChannel<string>(4);
  const tx2 = tx.clone();
  tx.trySend("a");
  tx2.trySend("b");
  tx.close();
  assert.equal(rx.isClosed, false, "one sender is left");
  tx2.close();
  assert.equal(rx.isClosed, true);
  assert.deepEqual(
    run(
      coroutine(function* () {
        const out = [];
        let v;
        while ((v = yield* wait(rx.recv())) !== undefined) out.push(v);
        return out;
      }),
    ),
    ["a", "b"],
  );
  const [tx3, rx3] = threadChannel<string>(1);
  const closed = tx3.closed();
  rx3.close();
  assert.equal(tx3.isClosed, true);
  assert.throws(() => tx3.trySend("x"), ClosedError);
  assert.throws(
    () => run(tx3.send("x")),
    (e: ClosedError) => e.code === "ECLOSED",
  );
  run(closed);
});

test("a closed or moved end refuses use with a clear error; recv on a closed receiver gives undefined", () => {
  const [tx, rx] = threadChannel<number>(1);
  tx.close();
  tx.close();
  assert.throws(() => tx.send(1), /Sender\.send\(\): this Sender is closed/);
  assert.throws(() => tx.clone(), /this Sender is closed/);
  rx.close();
  assert.equal(run(rx.recv()), undefined);
  assert.equal(rx.tryRecv(), undefined);
  {
    const [tx2, rx2] = threadChannel<number>(1);
    using a = tx2;
    using b = rx2;
    assert.equal(a.isClosed, false);
    assert.equal(b.isClosed, false);
  }
});

test("back-pressure: a send waits while this thread's ring is full, and completes when a value is taken", () => {
  const [tx, rx] = threadChannel<number>(2);
  const order = run(
    coroutine(function* () {
      const log: string[] = [];
      spawn(
        coroutine(function* () {
          using out = tx;
          for (let i = 0; i < 5; i++) {
            yield* wait(out.send(i));
            log.push(`sent ${i}`);
          }
        }),
      );
      yield* wait(settle());
      log.push(`buffered ${rx.length}`);
      let v;
      while ((v = yield* wait(rx.recv())) !== undefined) log.push(`got ${v}`);
      return log;
    }),
  );
  assert.deepEqual(order.slice(0, 3), ["sent 0", "sent 1", "buffered 2"]);
  assert.deepEqual(
    order.filter((l) => l.startsWith("got")),
    ["got 0", "got 1", "got 2", "got 3", "got 4"],
  );
});

test("receivers of one thread are served in the order they began to wait", () => {
  const [tx, rx] = threadChannel<number>(8);
  const got = run(
    coroutine(function* () {
      const out: string[] = [];
      const tasks = ["a", "b", "c"].map((name) =>
        spawn(
          coroutine(function* () {
            out.push(`${name}:${String(yield* wait(rx.recv()))}`);
          }),
        ),
      );
      yield* wait(settle());
      assert.equal(exported(), 1, "only the first waiter of the thread holds an exported waker");
      for (let i = 1; i <= 3; i++) tx.trySend(i);
      for (const t of tasks) yield* wait(t);
      assert.equal(exported(), 0);
      return out;
    }),
  );
  assert.deepEqual(got, ["a:1", "b:2", "c:3"]);
});

test("cancellation: a dropped waiting recv takes nothing; one dropped after a send woke it hands the value on", () => {
  const [tx, rx] = threadChannel<number>(8);
  run(
    coroutine(function* () {
      const first = spawn(rx.recv());
      const second = spawn(rx.recv());
      yield* wait(settle());
      first.abort();
      yield* wait(settle());
      assert.equal(exported(), 1, "the second receiver waits in the first's place");
      tx.trySend(1);
      assert.equal(yield* wait(second), 1);
      // Woken, then dropped before it could look: the value must reach the next receiver.
      const woken = spawn(rx.recv());
      const next = spawn(rx.recv());
      yield* wait(settle());
      tx.trySend(2);
      woken.abort();
      assert.equal(yield* wait(next), 2);
      assert.equal(rx.length, 0);
      assert.equal(exported(), 0, "no waker left exported");
      // Dropped while waiting, nothing sent: a later value is still there for tryRecv.
      const lone = spawn(rx.recv());
      yield* wait(settle());
      lone.abort();
      tx.trySend(3);
      assert.equal(rx.tryRecv(), 3);
    }),
  );
});

test("cancellation: a dropped waiting send sends nothing; the room it was woken for goes to the next send", () => {
  const [tx, rx] = threadChannel<string>(1);
  const got = run(
    coroutine(function* () {
      tx.trySend("full");
      const first = spawn(tx.send("dropped"));
      const second = spawn(tx.send("second"));
      yield* wait(settle());
      assert.equal(exported(), 1);
      assert.equal(rx.tryRecv(), "full"); // wakes the first send
      first.abort();
      yield* wait(second);
      const out = [rx.tryRecv(), rx.tryRecv()];
      assert.equal(exported(), 0);
      // A closed() dropped while waiting leaves nothing behind either.
      const closed = spawn(tx.closed());
      yield* wait(settle());
      closed.abort();
      yield* wait(settle());
      assert.equal(exported(), 0);
      return out;
    }),
  );
  assert.deepEqual(got, ["second", undefined]);
});

test("a select between a recv and another future: the loser is dropped, its value not lost", () => {
  const [tx, rx] = threadChannel<number>(4);
  const gate = new Notify();
  run(
    coroutine(function* () {
      spawn(
        coroutine(function* () {
          yield* wait(settle());
          gate.notifyOne();
        }),
      );
      const r = yield* wait(select<unknown>([rx.recv(), gate.notified()]));
      assert.equal(r.index, 1);
      tx.trySend(7);
      assert.equal(yield* wait(rx.recv()), 7);
    }),
  );
});

test("Promise code: for await over a receiver, on the thread's default executor", async () => {
  const [tx, rx] = threadChannel<number>(2);
  const producer = toPromise(
    coroutine(function* () {
      using out = tx;
      for (let i = 0; i < 10; i++) yield* wait(out.send(i));
    }),
  );
  const got: number[] = [];
  for await (const v of rx) got.push(v);
  await producer;
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("waiting needs an executor: a recv polled by hand says so", () => {
  const [, rx] = threadChannel<number>(1);
  const recv = rx.recv();
  assert.throws(
    () => recv.poll({ wake() {}, consumeBudget: () => true }),
    (e: Error) => e instanceof RuntimeError && /inside an executor/.test(e.message),
  );
});

test("transfer: an end must be listed in transfer, is closed here once moved, and stays here if the thread cannot start", () => {
  init();
  const [tx, rx] = threadChannel<number>(1);
  const module = new URL("./util/thread-channel-programs.js", import.meta.url);
  assert.throws(() => spawnThread({ name: "t", module, export: "recvOne", args: [rx] }), /list it in `transfer`/);
  // A thread that cannot be started (an item Node cannot transfer): the end is left usable.
  assert.throws(() => spawnThread({ name: "t", module, export: "recvOne", args: [rx], transfer: [rx, {} as ArrayBuffer] }));
  assert.equal(rx.isClosed, false);
  const h = spawnThread<number>({ name: "t", module, export: "recvOneNested", args: [{ nested: [rx] }], transfer: [rx] });
  assert.equal(run(rx.recv()), undefined, "a moved receiver is closed here");
  assert.throws(() => rx.clone(), /Receiver\.clone\(\): this Receiver was moved into a thread/);
  assert.equal(rx.isClosed, true);
  tx.trySend(41);
  assert.equal(run(h.join()), 41);
});
