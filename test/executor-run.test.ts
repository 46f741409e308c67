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
        // Busy, never parking, until Node's own timer has run 5 times: that happens only if the
        // executor gives Node's loop turns while tasks are ready.
        const t0 = performance.now();
        while (ticks < 5) {
          if (performance.now() - t0 > 20_000) throw new Error(`Node's timers ran ${ticks} times in 20 s of busy tasks`);
          yield* wait(yieldNow());
        }
      }),
    );
  } finally {
    clearInterval(iv);
  }
  assert.ok(ticks >= 5);
});

test("toPromise outside an executor runs the future on the thread's default executor", async () => {
  assert.equal(await toPromise(map(sleep(5), () => "via run")), "via run");
});

test("toPromise: the promise settles when its own future ends, not when every task has", async () => {
  const order: string[] = [];
  const child = new Trigger("child");
  const out = await toPromise(
    coroutine(function* () {
      spawn(map(child, () => order.push("child done")));
      return "own";
    }),
  );
  order.push(`promise: ${out}`);
  child.fire();
  // The child still runs on the default executor after the promise settled.
  await toPromise(sleep(1));
  assert.deepEqual(order, ["promise: own", "child done"]);
});

test("toPromise: 200 at once share one executor (no listener warning, no executor limit)", async () => {
  const r = await runModule(`
    import { toPromise, map, sleep } from "reactor-executor";
    const out = await Promise.all(Array.from({ length: 200 }, (_, i) => toPromise(map(sleep(10 + (i % 7)), () => i))));
    console.log(out.length, out.every((v, i) => v === i));
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "200 true\n");
  assert.equal(r.stderr, "");
});

test("toPromise: a deadlock on the default executor rejects the pending promises with DeadlockError", async () => {
  const r = await runModule(
    `
    import { toPromise, map, sleep, PENDING } from "reactor-executor";
    const never = () => ({ poll() { return PENDING; } });
    const results = await Promise.allSettled([toPromise(never()), toPromise(map(sleep(10), () => "slept")), toPromise(never())]);
    console.log(results.map((r) => r.status === "fulfilled" ? r.value : r.reason.name + " " + r.reason.code).join(", "));
    // The default executor is usable again afterwards.
    console.log(await toPromise(map(sleep(1), () => "again")));
  `,
    { timeoutMs: 10_000 },
  );
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "DeadlockError EDEADLK, slept, DeadlockError EDEADLK\nagain\n");
});

test("fromPromise whose thunk throws: the error reaches the wait and nothing stays counted in flight", async () => {
  // With the inline reactor, run() waits in epoll_wait only while no Promise is in flight: a
  // count stuck at 1 sends every later run down the 1 ms async-park path (one park per ms).
  const r = await runModule(`
    import { init, coroutine, wait, spawn, sleep, fromPromise, TcpListener } from "reactor-executor";
    const ex = init({ reactor: "inline" });
    await ex.run(coroutine(function* () {
      try { yield* wait(fromPromise(() => { throw new Error("thrown by the thunk"); })); }
      catch (e) { console.log(e.message); }
      try { yield* wait(fromPromise(() => 42)); }
      catch (e) { console.log(e.name, e.code); }
    }));
    const listener = TcpListener.bind("127.0.0.1:0");
    const parks0 = ex.parks;
    await ex.run(coroutine(function* () {
      const accepting = spawn(listener.accept());
      yield* wait(sleep(200));
      accepting.abort();
      try { yield* wait(accepting); } catch {}
      listener.close();
    }));
    console.log(ex.parks - parks0 <= 3 ? "one park per idle stretch" : (ex.parks - parks0) + " parks");
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "thrown by the thunk\nRuntimeError ERR_RUNTIME\none park per idle stretch\n");
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
