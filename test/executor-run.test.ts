import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { Executor, coroutine, wait, spawn, sleep, yieldNow, fromPromise, toPromise, joinAll, map } from "reactor-executor";
import { Trigger } from "./util/futures.js";
import { runModule } from "./util/run-child.js";

test("run: Promises and Node timers work inside tasks", async () => {
  const out = await new Executor().run(
    coroutine(function* () {
      const a = yield* wait(fromPromise(() => delay(20, "from node")));
      yield* wait(sleep(10));
      const b = yield* wait(fromPromise(Promise.resolve(2)));
      return [a, b];
    }),
  );
  assert.deepEqual(out, ["from node", 2]);
});

test("run: a rejected Promise is thrown at the wait", async () => {
  const out = await new Executor().run(
    coroutine(function* () {
      try {
        yield* wait(fromPromise(() => Promise.reject(new Error("nope"))));
        return "no";
      } catch (e) {
        return (e as Error).message;
      }
    }),
  );
  assert.equal(out, "nope");
});

test("run: a same-thread wake from a Node callback unparks the executor", async () => {
  const t = new Trigger("woken");
  setTimeout(() => t.fire(), 30);
  const t0 = performance.now();
  // Keep something alive so the wait is not a deadlock: the Node timer above.
  assert.equal(await new Executor().run(t), "woken");
  assert.ok(performance.now() - t0 < 1_000);
});

test("run keeps the process alive while parked on a timer", async () => {
  const r = await runModule(`
    import { Executor, sleep, coroutine, wait } from "reactor-executor";
    const out = await new Executor().run(coroutine(function* () { yield* wait(sleep(150)); return "slept"; }));
    console.log(out);
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "slept\n");
});

test("run lets Node's event loop run while tasks are busy", async () => {
  let ticks = 0;
  const iv = setInterval(() => ticks++, 1);
  try {
    await new Executor().run(
      coroutine(function* () {
        const t0 = performance.now();
        // Busy for 100 ms, never parking.
        while (performance.now() - t0 < 100) yield* wait(yieldNow());
        const spins = spawn(map(sleep(0), () => 1));
        yield* wait(spins);
      }),
    );
  } finally {
    clearInterval(iv);
  }
  assert.ok(ticks > 3, `Node's timers ran ${ticks} times during 100 ms of busy tasks`);
});

test("toPromise outside an executor runs the future on a new one", async () => {
  assert.equal(await toPromise(map(sleep(5), () => "via run")), "via run");
});

test("toPromise inside a task spawns on the current executor", async () => {
  const out = await new Executor().run(
    coroutine(function* () {
      const p = toPromise(map(sleep(5), () => 7));
      return yield* wait(fromPromise(p));
    }),
  );
  assert.equal(out, 7);
});

test("two runs on one thread interleave", async () => {
  const a = new Executor({ name: "a" }).run(joinAll([map(sleep(30), () => "a")]));
  const b = new Executor({ name: "b" }).run(joinAll([map(sleep(10), () => "b")]));
  assert.deepEqual(await Promise.all([a, b]), [["a"], ["b"]]);
});

test("run does not grow the heap per park (a long-running server parks millions of times)", async () => {
  const r = await runModule(
    `
    import { Executor, coroutine, wait, fromPromise } from "reactor-executor";
    const heap = [];
    await new Executor().run(coroutine(function* () {
      for (let round = 0; round < 3; round++) {
        // Each wait parks the executor until the Promise settles.
        for (let i = 0; i < 40000; i++) yield* wait(fromPromise(Promise.resolve(i)));
        globalThis.gc();
        heap.push(process.memoryUsage().heapUsed);
      }
    }));
    console.log(JSON.stringify(heap));
    `,
    { timeoutMs: 60_000, shell: "true", env: { NODE_OPTIONS: "--expose-gc" } },
  );
  assert.equal(r.code, 0, r.stderr);
  const heap = JSON.parse(r.stdout) as number[];
  // 80,000 more parks; the old per-park leak was ~310 bytes each (~25 MB here).
  assert.ok(heap[2]! - heap[0]! < 4_000_000, `heap grew ${heap[2]! - heap[0]!} bytes over 80,000 parks`);
});
