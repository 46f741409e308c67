import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Executor,
  NoopWaker,
  coroutine,
  wait,
  spawn,
  sleep,
  ready,
  fromPromise,
  CancelledError,
  DeadlockError,
  RuntimeError,
  PENDING,
  toPromise,
  wakeRef,
  exportWaker,
  releaseWaker,
  type Future,
  type Poll,
  type JoinHandle,
} from "reactor-executor";
import { Failing, Trigger } from "./util/futures.js";
import { runModule } from "./util/run-child.js";

test("a task that throws makes its JoinHandle rethrow, and the executor goes on", () => {
  const boom = new Error("boom");
  const out = new Executor().blockOn(
    coroutine(function* () {
      const bad = spawn(new Failing(boom));
      const good = spawn(
        coroutine(function* () {
          yield* wait(sleep(5));
          return "still running";
        }),
      );
      let caught: unknown = null;
      try {
        yield* wait(bad);
      } catch (e) {
        caught = e;
      }
      assert.equal(caught, boom);
      return yield* wait(good);
    }),
  );
  assert.equal(out, "still running");
});

test("blockOn throws if the main future throws, and drops the other tasks", () => {
  const pending = new Trigger(1);
  const boom = new Error("main failed");
  assert.throws(
    () =>
      new Executor().blockOn(
        coroutine(function* () {
          spawn(pending);
          yield* wait(sleep(1));
          throw boom;
        }),
      ),
    (e) => e === boom,
  );
  assert.equal(pending.drops, 1);
});

test("run rejects if the main future throws", async () => {
  await assert.rejects(new Executor().run(new Failing(new Error("async boom"))), /async boom/);
});

test("abort() drops the task's future and joiners get CancelledError", () => {
  const t = new Trigger(1);
  new Executor().blockOn(
    coroutine(function* () {
      const h = spawn(t);
      yield* wait(sleep(1));
      h.abort();
      assert.equal(t.drops, 1);
      assert.equal(h.finished, true);
      yield* wait(sleep(1));
      assert.throws(() => {
        throw h.poll(new NoopWaker()) as unknown as Error;
      }, CancelledError);
    }),
  );
  assert.equal(t.drops, 1);
});

test("a task can abort itself from inside its own poll", () => {
  const out = new Executor().blockOn(
    coroutine(function* () {
      const holder: { h: JoinHandle<string> | null } = { h: null };
      let polls = 0;
      class AbortSelf implements Future<string> {
        poll(): Poll<string> {
          polls++;
          holder.h!.abort();
          return PENDING;
        }
      }
      holder.h = spawn(new AbortSelf());
      try {
        yield* wait(holder.h);
        return "not cancelled";
      } catch (e) {
        assert.equal(polls, 1);
        return (e as CancelledError).code;
      }
    }),
  );
  assert.equal(out, "ECANCELED");
});

test("a failed task whose handle nobody awaits is reported on stderr once", async () => {
  const r = await runModule(`
    import { Executor, coroutine, wait, spawn, sleep } from "reactor-executor";
    const ex = new Executor();
    ex.blockOn(coroutine(function* () {
      spawn(coroutine(function* lonely() { throw new Error("nobody listens"); }));
      const seen = spawn(coroutine(function* watched() { throw new Error("somebody listens"); }));
      try { yield* wait(seen); } catch {}
      yield* wait(sleep(5));
    }));
    console.log("after");
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "after\n");
  assert.equal(r.stderr.match(/nobody listens/g)?.length, 1, r.stderr);
  assert.match(r.stderr, /task #2 \(lonely\) failed and nobody awaited its JoinHandle/);
  assert.doesNotMatch(r.stderr, /somebody listens/);
});

test("every task pending with nothing to wake them: blockOn throws DeadlockError naming them", () => {
  const stuck = new Trigger(1);
  assert.throws(
    () =>
      new Executor().blockOn(
        coroutine(function* stuckMain() {
          spawn(stuck, { name: "waiter" });
          yield* wait(new Trigger(2));
        }),
      ),
    (e: unknown) => e instanceof DeadlockError && e.code === "EDEADLK" && /#1 main/.test(e.message) && /#2 waiter/.test(e.message),
  );
  assert.equal(stuck.drops, 1);
});

test("fromPromise under blockOn throws an error naming run", () => {
  assert.throws(
    () => new Executor().blockOn(fromPromise(Promise.resolve(1))),
    (e: unknown) => e instanceof RuntimeError && /executor\.run\(\)/.test(e.message),
  );
});

test("run: a Promise that never settles and nothing else alive is a DeadlockError, not a hang", async () => {
  const r = await runModule(
    `
    import { Executor, fromPromise } from "reactor-executor";
    try {
      await new Executor().run(fromPromise(new Promise(() => {})));
      console.log("resolved?");
    } catch (e) { console.log(e.name, e.code); }
  `,
    { timeoutMs: 10_000 },
  );
  assert.equal(r.timedOut, false);
  assert.equal(r.stdout, "DeadlockError EDEADLK\n", r.stderr);
});

test("a waker that throws cannot take the executor down", async () => {
  const r = await runModule(`
    import { Executor, coroutine, wait, spawn, sleep, Waker } from "reactor-executor";
    class BadWaker extends Waker { wake() { throw new Error("bad waker"); } }
    const out = new Executor().blockOn(coroutine(function* () {
      const s = sleep(5);
      s.poll(new BadWaker()); // the timer will call this waker
      yield* wait(sleep(20));
      s.drop?.();
      return "alive";
    }));
    console.log(out);
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "alive\n");
  assert.match(r.stderr, /bad waker/);
});

test("a ready(…) main with spawned failing task still returns, reporting the failure", () => {
  const out = new Executor().blockOn(
    coroutine(function* () {
      const h = spawn(new Failing(new Error("x")));
      try {
        yield* wait(h);
      } catch {
        return "handled";
      }
      return "unreachable";
    }),
  );
  assert.equal(out, "handled");
  assert.equal(new Executor().blockOn(ready("again")), "again");
});

test("a second copy of the runtime in one thread refuses to load, naming both (the bundle and dist/src)", async () => {
  const r = await runModule(`
    import { Executor } from "reactor-executor";
    new Executor();
    try {
      await import("./dist/src/index.js");
      console.log("loaded twice");
    } catch (e) {
      console.log(e.name, e.code, e.message);
    }
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^RuntimeError ERR_RUNTIME reactor-executor is loaded twice in this thread \(file:\S+\/dist\/bundle\/\S+\.js and file:\S+\/dist\/src\/runtime\/\S+\.js\)/,
  );
});

test("the package's entry is the bundle, and a thread started from it runs on the same copy", async () => {
  const r = await runModule(`
    import { init, spawnThread, coroutine, wait } from "reactor-executor";
    console.log(import.meta.resolve("reactor-executor").replace(/^.*\\/dist\\//, "dist/"));
    const ex = init();
    const out = new SharedArrayBuffer(8);
    const h = spawnThread("t1", new URL("dist/test/util/thread-programs.js", "file://" + process.cwd() + "/"), "writeAfter", out, 1, 42, 5);
    ex.blockOn(coroutine(function* () { yield* wait(h.join()); }));
    console.log(new Int32Array(out)[1]);
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "dist/bundle/index.js\n42\n");
});

test("a failed task with no joiner is reported at the end of the cycle it failed in, once; a later await still gets the error", async () => {
  // An executor that serves forever never ends: the report cannot wait for its end.
  const r = await runModule(`
    import { Executor, coroutine, wait, spawn, sleep } from "reactor-executor";
    import { writeSync } from "node:fs";
    await new Executor().run(coroutine(function* () {
      const h = spawn(coroutine(function* lonely() { throw new Error("nobody listens yet"); }));
      yield* wait(sleep(20));
      writeSync(2, "--- later ---\\n");
      try { yield* wait(h); } catch (e) { console.log("awaited later: " + e.message); }
    }));
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "awaited later: nobody listens yet\n");
  assert.equal(r.stderr.match(/nobody listens yet/g)?.length, 1, r.stderr);
  assert.match(r.stderr, /task #2 \(lonely\) failed and nobody awaited its JoinHandle: Error: nobody listens yet[\s\S]*--- later ---/);
});

test("a task failing while its joiner waits is not reported: the joiner gets the error", async () => {
  const r = await runModule(`
    import { Executor, coroutine, wait, spawn, sleep } from "reactor-executor";
    new Executor().blockOn(coroutine(function* () {
      const h = spawn(coroutine(function* watched() { yield* wait(sleep(5)); throw new Error("seen"); }));
      try { yield* wait(h); } catch (e) { console.log(e.message); }
    }));
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "seen\n");
  assert.equal(r.stderr, "");
});

test("blockOn, run, spawn and toPromise refuse what is not a future with RuntimeError", async () => {
  const isRuntimeError = (e: unknown): boolean =>
    e instanceof RuntimeError && e.code === "ERR_RUNTIME" && /expected a Future .* got 42/.test(e.message);
  assert.throws(() => new Executor().blockOn(42 as never), isRuntimeError);
  await assert.rejects(new Executor().run(42 as never), isRuntimeError);
  assert.throws(() => toPromise(42 as never), isRuntimeError);
  new Executor().blockOn(
    coroutine(function* () {
      assert.throws(() => spawn(42 as never), isRuntimeError);
      assert.throws(() => spawn(null as never), RuntimeError);
    }),
  );
  // The executor is still usable after each refusal.
  assert.equal(new Executor().blockOn(ready(1)), 1);
});

test("wakeRef and releaseWaker refuse NaN, fractions and out-of-range refs instead of waking another slot", () => {
  for (const bad of [NaN, 0.5, 3.5, -1, 2 ** 40, Infinity, "3" as unknown as number]) {
    assert.throws(
      () => wakeRef(bad),
      (e: unknown) => e instanceof RuntimeError && e.code === "ERR_RUNTIME" && /not a waker ref/.test(e.message),
      String(bad),
    );
  }
  const polls = new Executor().blockOn(
    coroutine(function* () {
      let polls = 0;
      yield* wait({
        poll(waker): Poll<void> {
          polls++;
          if (polls === 1) {
            const ref = exportWaker(waker);
            for (const bad of [NaN, ref + 0.5, ref + 2 ** 30]) assert.throws(() => releaseWaker(bad), RuntimeError, String(bad));
            releaseWaker(ref);
            waker.wake();
            return PENDING;
          }
        },
      });
      return polls;
    }),
  );
  assert.equal(polls, 2);
});

test("more executors running at once than the wake hub holds: a RuntimeError with a code", async () => {
  const r = await runModule(`
    import { Executor, PENDING } from "reactor-executor";
    const wakers = [];
    const pending = { poll(w) { if (this.done) return "ok"; wakers.push(w); this.done = true; return PENDING; } };
    const runs = [];
    let refused = null;
    for (let i = 0; i < 200 && refused === null; i++) {
      runs.push(new Executor().run({ ...pending }).catch((e) => { refused = e; }));
    }
    await new Promise((r) => setImmediate(r));
    console.log(refused?.name, refused?.code, /more than 128 executors/.test(refused?.message));
    for (const w of wakers) w.wake();
    await Promise.all(runs);
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "RuntimeError ERR_RUNTIME true\n");
});

test("run: every deadlock in a process is reported, not only the first", async () => {
  const r = await runModule(
    `
    import { Executor, fromPromise } from "reactor-executor";
    for (const i of [1, 2, 3]) {
      try {
        await new Executor().run(fromPromise(new Promise(() => {})));
        console.log(i, "resolved?");
      } catch (e) { console.log(i, e.name); }
    }
    console.log("end");
  `,
    { timeoutMs: 10_000 },
  );
  assert.equal(r.timedOut, false);
  assert.equal(r.stdout, "1 DeadlockError\n2 DeadlockError\n3 DeadlockError\nend\n", r.stderr);
});

test("run: an executor that deadlocked leaves no waiter behind on its park word for the next one", async () => {
  // The next executor takes the same wake-hub index; a waiter left by the deadlocked run would take
  // the notification meant for it, and it would sleep through its wake.
  const r = await runModule(
    `
    import { Executor, fromPromise, exportWaker, releaseWaker, wakeRef, PENDING } from "reactor-executor";
    try { await new Executor().run(fromPromise(new Promise(() => {}))); } catch (e) { console.log(e.name); }
    let ref = -1;
    const out = await new Executor().run({
      poll(waker) {
        if (ref >= 0) { releaseWaker(ref); return "woken"; }
        ref = exportWaker(waker);
        setTimeout(() => wakeRef(ref), 20);
        return PENDING;
      },
    });
    console.log(out);
  `,
    { timeoutMs: 10_000 },
  );
  assert.equal(r.timedOut, false, r.stdout);
  assert.equal(r.stdout, "DeadlockError\nwoken\n", r.stderr);
});
