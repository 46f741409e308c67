import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Executor,
  coroutine,
  wait,
  spawn,
  sleep,
  ready,
  PENDING,
  NoopWaker,
  RuntimeError,
  type Future,
  type Poll,
  type Waker,
} from "reactor-executor";
import { SelfWaking, Trigger } from "./util/futures.js";
import { runModule } from "./util/run-child.js";

test("blockOn returns the main future's output", () => {
  assert.equal(new Executor().blockOn(ready(42)), 42);
});

test("blockOn waits until every spawned task has finished (the book's rule)", () => {
  const order: string[] = [];
  const out = new Executor().blockOn(
    coroutine(function* () {
      spawn(
        coroutine(function* () {
          yield* wait(sleep(30));
          order.push("child");
        }),
      );
      order.push("main");
      return "main done";
    }),
  );
  assert.equal(out, "main done");
  assert.deepEqual(order, ["main", "child"]);
});

test("a task is polled once per batch of wakes, not once per wake", () => {
  class WakeTwice implements Future<number> {
    polls = 0;
    poll(waker: Waker): Poll<number> {
      this.polls++;
      if (this.polls === 1) {
        waker.wake();
        waker.wake();
        waker.wake();
        return PENDING;
      }
      return this.polls;
    }
  }
  assert.equal(new Executor().blockOn(new WakeTwice()), 2);
});

test("SelfWaking: polls = wakes + 1", () => {
  assert.equal(new Executor().blockOn(new SelfWaking(1000)), 1001);
});

test("spawn outside a running executor throws a clear error", () => {
  assert.throws(
    () => spawn(ready(1)),
    (e: unknown) => e instanceof RuntimeError && /running executor/.test(e.message),
  );
});

test("polling a finished future throws", () => {
  const w = new NoopWaker();
  const r = ready(1);
  assert.equal(r.poll(w), 1);
  assert.throws(() => r.poll(w), /polled after it finished/);
  const s = sleep(0);
  assert.equal(s.poll(w), undefined);
  assert.throws(() => s.poll(w), /polled after it finished/);
});

test("a JoinHandle polled again after it returned throws", () => {
  new Executor().blockOn(
    coroutine(function* () {
      const h = spawn(ready(5));
      assert.equal(yield* wait(h), 5);
      assert.throws(() => h.poll(new NoopWaker()), /polled after it finished/);
    }),
  );
});

test("a wake for a finished task is ignored", () => {
  let saved: Waker | null = null;
  class Grab implements Future<string> {
    poll(waker: Waker): Poll<string> {
      saved = waker;
      return "done";
    }
  }
  const polls = new Executor().blockOn(
    coroutine(function* () {
      const h = spawn(new Grab());
      yield* wait(h);
      saved!.wake(); // the task behind it has finished: nothing must happen
      saved!.wake();
      const probe = new SelfWaking(3);
      return yield* wait(spawn(probe));
    }),
  );
  assert.equal(polls, 4);
});

test("tasks have ids and names (given, or the future's class name)", () => {
  new Executor().blockOn(
    coroutine(function* main() {
      const a = spawn(new SelfWaking(1));
      const b = spawn(ready(1), { name: "custom" });
      const c = spawn(coroutine(function* worker() {}));
      assert.equal(a.name, "SelfWaking");
      assert.equal(b.name, "custom");
      assert.equal(c.name, "worker");
      assert.ok(a.id < b.id && b.id < c.id);
      yield* wait(a);
    }),
  );
});

test("the verbose executor prints the book's lines, synchronously", async () => {
  const r = await runModule(`
    import { Executor, coroutine, wait, spawn, sleep } from "reactor-executor";
    // Each sleeper starts when the one before it has finished, so every park ends with exactly
    // one task done, however late the machine wakes the executor.
    new Executor({ name: "exec-1", verbose: true }).blockOn(coroutine(function* () {
      let before = null;
      for (let i = 1; i <= 3; i++) {
        const after = before;
        before = spawn(coroutine(function* () { if (after !== null) yield* wait(after); yield* wait(sleep(10)); }));
      }
    }));
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      "exec-1: 3 pending tasks. Sleep until notified.",
      "exec-1: 2 pending tasks. Sleep until notified.",
      "exec-1: 1 pending tasks. Sleep until notified.",
      "exec-1: All tasks are finished",
      "",
    ].join("\n"),
  );
});

test("a quiet executor prints nothing", async () => {
  const r = await runModule(`
    import { Executor, sleep } from "reactor-executor";
    new Executor().blockOn(sleep(5));
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout + r.stderr, "");
});

test("blockOn from inside a task throws", () => {
  assert.throws(
    () =>
      new Executor().blockOn(
        coroutine(function* () {
          new Executor().blockOn(ready(1));
        }),
      ),
    /inside a running task/,
  );
});

test("many executors one after another release their shared-memory slots", () => {
  for (let i = 0; i < 500; i++) assert.equal(new Executor().blockOn(sleep(0)), undefined);
});

test("a trigger fired from another task completes", () => {
  const t = new Trigger("fired");
  const out = new Executor().blockOn(
    coroutine(function* () {
      spawn(
        coroutine(function* () {
          yield* wait(sleep(5));
          t.fire();
        }),
      );
      return yield* wait(t);
    }),
  );
  assert.equal(out, "fired");
  assert.equal(t.polls, 2);
});

test("run with the inline reactor counts the park of an idle stretch that begins after a slice ran out", async () => {
  // The first poll takes longer than an event-loop slice (8 ms), as it may on a loaded machine:
  // the executor turns Node's loop before it parks, and that park must still be counted.
  const r = await runModule(`
    import { init, coroutine, wait, spawn, sleep, TcpListener } from "reactor-executor";
    const ex = init({ reactor: "inline", name: "main", verbose: true });
    const listener = TcpListener.bind("127.0.0.1:0");
    await ex.run(coroutine(function* () {
      const accepting = spawn(listener.accept());
      const start = performance.now();
      while (performance.now() - start < 30) {}
      yield* wait(sleep(50));
      accepting.abort();
      try { yield* wait(accepting); } catch {}
      listener.close();
    }));
    console.log("parks", ex.metrics().parks);
  `);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n").filter((l) => l.includes("Sleep until notified"));
  assert.ok(lines.length >= 1 && lines.length <= 3, r.stdout);
  assert.match(r.stdout, /^parks [123]$/m);
});

test("run with the inline reactor parks once per idle stretch, however many event-loop slices it takes", async () => {
  const r = await runModule(`
    import { init, coroutine, wait, spawn, sleep, TcpListener } from "reactor-executor";
    const ex = init({ reactor: "inline", name: "main", verbose: true });
    const listener = TcpListener.bind("127.0.0.1:0");
    await ex.run(coroutine(function* () {
      const accepting = spawn(listener.accept()); // an I/O source waited on: idle time goes to epoll_wait
      yield* wait(sleep(200)); // ~25 slices of at most 8 ms, with an event-loop turn between them
      accepting.abort();
      try { yield* wait(accepting); } catch {}
      listener.close();
    }));
  `);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n").filter((l) => l.includes("Sleep until notified"));
  assert.ok(lines.length >= 1 && lines.length <= 3, r.stdout);
});
