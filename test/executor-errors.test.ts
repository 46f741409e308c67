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
