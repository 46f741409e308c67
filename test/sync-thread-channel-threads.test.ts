// threadChannel across spawnThread threads: values, order, back-pressure and wakes while the
// threads are parked in blockOn (every thread spawnThread starts runs its export under blockOn).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  coroutine,
  init,
  sleep,
  spawn,
  spawnThread,
  threadChannel,
  timeout,
  wait,
  type ThreadHandle,
  type ThreadReceiver,
} from "../src/index.js";
import type { SharedChannel } from "../src/sync/thread-ring.js";
import type { Consumed } from "./util/thread-channel-programs.js";

/** Anything a channel can carry. */
type Value = NonNullable<unknown> | null;

const programs = new URL("./util/thread-channel-programs.js", import.meta.url);
const executor = init();

/**
 * Runs `body`, then stops every thread of `handles` still running: a failed test must not leave a
 * thread waiting on a channel, which would keep the test process alive.
 */
function withThreads<T>(handles: readonly ThreadHandle<unknown>[], body: () => T): T {
  try {
    return body();
  } finally {
    for (const h of handles) h.terminate();
  }
}

function shared(rx: ThreadReceiver<unknown>): SharedChannel {
  return (rx as unknown as { local: { shared: SharedChannel } }).local.shared;
}

test("4 producer threads x 100,000 values to 4 consumer threads through one channel: each value once, each producer's in order", () => {
  const PRODUCERS = 4;
  const PER = 100_000;
  const [tx, rx] = threadChannel<number>(64);
  const seen = new SharedArrayBuffer(PRODUCERS * PER * 4);
  const senders = [tx, tx.clone(), tx.clone(), tx.clone()];
  const receivers = [rx, rx.clone(), rx.clone(), rx.clone()];
  const consumers = receivers.map((r, i) =>
    spawnThread<Consumed>({ name: `consumer-${i}`, module: programs, export: "consume", args: [r, seen, PER, PRODUCERS], transfer: [r] }),
  );
  const producers = senders.map((s, i) =>
    spawnThread({ name: `producer-${i}`, module: programs, export: "produce", args: [s, i * PER, PER], transfer: [s] }),
  );
  const results = withThreads([...consumers, ...producers], () =>
    executor.blockOn(
      timeout(
        coroutine(function* () {
          for (const p of producers) yield* wait(p.join());
          const out: Consumed[] = [];
          for (const c of consumers) out.push(yield* wait(c.join()));
          return out;
        }),
        120_000,
      ),
    ),
  );
  assert.equal(
    results.reduce((n, r) => n + r.count, 0),
    PRODUCERS * PER,
  );
  assert.ok(
    results.every((r) => r.inOrder),
    "a consumer saw a producer's values out of order",
  );
  const counts = new Int32Array(seen);
  const wrong = counts.findIndex((c) => c !== 1);
  assert.equal(wrong, -1, `value ${wrong} was received ${counts[wrong]} times`);
  assert.ok(results.every((r) => r.count > 0));
  assert.ok(
    results.some((r) => r.parks > 0),
    "the consumers parked (Atomics.wait) while waiting",
  );
});

test("values of every kind cross a thread and come back as structuredClone would give them", () => {
  const [toThread, rx] = threadChannel<Value>(16);
  const [tx, fromThread] = threadChannel<Value>(16);
  const h = spawnThread<number>({ name: "echo", module: programs, export: "echo", args: [rx, tx], transfer: [rx, tx] });
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic.self = cyclic;
  const values: Value[] = [
    0,
    -0,
    2 ** 53,
    Number.NaN,
    "",
    "plain",
    "ünïcödé \ud83d\ude00 \ud800",
    "x".repeat(10_000),
    true,
    null,
    [1, [2, [3]], undefined],
    { a: { b: { c: 1 } }, d: [new Date(5)] },
    -(2n ** 100n),
    new Uint8Array([1, 2, 255]),
    new Float64Array([0.5, -1]),
    new Map<unknown, unknown>([["k", { v: 1 }]]),
    new Set([1, "2"]),
    /re+gex/gu,
    new Error("an error"),
    cyclic,
  ];
  const back = withThreads([h], () =>
    executor.blockOn(
      coroutine(function* () {
        const out: unknown[] = [];
        for (const v of values) {
          yield* wait(toThread.send(v));
          out.push(yield* wait(fromThread.recv()));
        }
        toThread.close();
        assert.equal(yield* wait(fromThread.recv()), undefined, "the echo thread closed its sender when it ended");
        assert.equal(yield* wait(timeout(h.join(), 30_000)), values.length);
        return out;
      }),
    ),
  );
  values.forEach((v, i) => assert.deepStrictEqual(back[i], structuredClone(v), `value ${i}`));
  const loop = back.at(-1) as Record<string, unknown>;
  assert.equal(loop.self, loop);
});

test("a receiver dropped after a send woke it hands the wake to a receiver waiting in another thread", () => {
  const [tx, rx] = threadChannel<number>(4);
  const far = rx.clone();
  const h = spawnThread<number>({ name: "far-receiver", module: programs, export: "recvOne", args: [far], transfer: [far] });
  const got = withThreads([h], () =>
    executor.blockOn(
      coroutine(function* () {
        const near = spawn(rx.recv());
        // Both receivers registered: this thread's (entry 0, the first a send wakes) and the thread's.
        const deadline = Date.now() + 30_000;
        while (shared(rx).receiversWaiting < 2) {
          assert.ok(Date.now() < deadline, "the receiver thread never began to wait");
          yield* wait(sleep(5));
        }
        tx.trySend(5); // takes this thread's waker: near is woken...
        near.abort(); // ...and dropped before it looks
        return yield* wait(timeout(h.join(), 30_000));
      }),
    ),
  );
  assert.equal(got, 5);
  assert.equal(rx.tryRecv(), undefined);
});

test("Promise code receives from a thread with for await (the default executor parks in Atomics.waitAsync)", async () => {
  const [tx, rx] = threadChannel<number>(8);
  const h = spawnThread({ name: "producer", module: programs, export: "produce", args: [tx, 0, 1000], transfer: [tx] });
  let sum = 0;
  let n = 0;
  try {
    for await (const v of rx) {
      sum += v;
      n++;
    }
    await h.joinAsync();
  } finally {
    h.terminate();
  }
  assert.equal(n, 1000);
  assert.equal(sum, (999 * 1000) / 2);
});

test("both ends in threads, the creator holding none: a producer thread feeds a consumer thread", () => {
  const [tx, rx] = threadChannel<Value>(2);
  const consumer = spawnThread<unknown[]>({ name: "collector", module: programs, export: "collect", args: [rx], transfer: [rx] });
  const producer = spawnThread({ name: "producer", module: programs, export: "produce", args: [tx, 10, 20], transfer: [tx] });
  const got = withThreads([consumer, producer], () =>
    executor.blockOn(
      timeout(
        coroutine(function* () {
          yield* wait(producer.join());
          return yield* wait(consumer.join());
        }),
        30_000,
      ),
    ),
  );
  assert.deepEqual(
    got,
    Array.from({ length: 20 }, (_, i) => 10 + i),
  );
});

test("two ends of one channel moved into one thread, and an end moved on from a thread into its own thread", () => {
  const [tx, rx] = threadChannel<Value>(4);
  const second = tx.clone();
  const third = tx.clone();
  const both = spawnThread({ name: "both", module: programs, export: "sendOnBoth", args: [tx, second, "a", "b"], transfer: [tx, second] });
  const fwd = spawnThread({ name: "forward", module: programs, export: "forward", args: [third, 100, 3], transfer: [third] });
  const got = withThreads([both, fwd], () =>
    executor.blockOn(
      timeout(
        coroutine(function* () {
          const out: unknown[] = [];
          let v;
          while ((v = yield* wait(rx.recv())) !== undefined) out.push(v);
          yield* wait(both.join());
          yield* wait(fwd.join());
          return out;
        }),
        30_000,
      ),
    ),
  );
  assert.deepEqual(
    got.filter((v) => typeof v === "string"),
    ["a", "b"],
  );
  assert.deepEqual(
    got.filter((v) => typeof v === "number"),
    [100, 101, 102],
  );
});
