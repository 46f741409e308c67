import { test } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, DeadlockError, Executor, JoinSet, PENDING, coroutine, map, sleep, spawn, wait } from "reactor-executor";
import { Failing, Trigger } from "./util/futures.js";
import { CountingWaker } from "./util/wakers.js";
import { runModule } from "./util/run-child.js";

test("joinNext gives outputs in completion order, then undefined when the set is empty", () => {
  const out = new Executor().blockOn(
    coroutine(function* () {
      const set = new JoinSet<number>();
      for (const ms of [30, 10, 20]) set.spawn(map(sleep(ms), () => ms));
      assert.equal(set.size, 3);
      const got: (number | undefined)[] = [];
      while (set.size > 0) got.push(yield* wait(set.joinNext()));
      got.push(yield* wait(set.joinNext()));
      return got;
    }),
  );
  assert.deepEqual(out, [10, 20, 30, undefined]);
});

test("joinNext throws a failed task's error, and the next joinNext goes on with the rest", () => {
  const out = new Executor().blockOn(
    coroutine(function* () {
      const set = new JoinSet<string>();
      set.spawn(new Failing(new Error("first fails")));
      set.spawn(map(sleep(5), () => "second"));
      const got: string[] = [];
      for (let i = 0; i < 2; i++) {
        try {
          got.push((yield* wait(set.joinNext())) ?? "none");
        } catch (e) {
          got.push((e as Error).message);
        }
      }
      return got;
    }),
  );
  assert.deepEqual(out, ["first fails", "second"]);
});

test("abortAll and `using` abort what is still running: the futures are dropped, joinNext says CancelledError", () => {
  const triggers = [new Trigger(1), new Trigger(2)];
  const errors = new Executor().blockOn(
    coroutine(function* () {
      const set = new JoinSet<number>();
      const handles = triggers.map((t) => set.spawn(t));
      yield* wait(sleep(1));
      set.abortAll();
      assert.ok(handles.every((h) => h.finished));
      const errs: unknown[] = [];
      while (set.size > 0) {
        try {
          yield* wait(set.joinNext());
        } catch (e) {
          errs.push(e);
        }
      }
      return errs;
    }),
  );
  assert.equal(errors.length, 2);
  assert.ok(errors.every((e) => e instanceof CancelledError));
  assert.deepEqual(
    triggers.map((t) => t.drops),
    [1, 1],
  );

  const left = new Trigger(0);
  new Executor().blockOn(
    coroutine(function* () {
      {
        using set = new JoinSet<number>();
        set.spawn(left);
        yield* wait(sleep(1));
      }
      assert.equal(left.drops, 1, "disposed at the end of the block");
    }),
  );
});

test("one AbortHandle aborts one task", () => {
  const out = new Executor().blockOn(
    coroutine(function* () {
      const set = new JoinSet<string>();
      const slow = set.spawn(
        map(sleep(10_000), () => "slow"),
        { name: "slow" },
      );
      set.spawn(map(sleep(5), () => "fast"));
      assert.equal(slow.name, "slow");
      assert.equal(typeof slow.id, "number");
      slow.abort();
      const got: string[] = [];
      while (set.size > 0) {
        try {
          got.push((yield* wait(set.joinNext()))!);
        } catch (e) {
          got.push((e as Error).name);
        }
      }
      return got;
    }),
  );
  assert.deepEqual(out, ["CancelledError", "fast"]);
});

test("cancellation: a dropped joinNext takes nothing; one dropped after it was handed a task passes it on", () => {
  new Executor().blockOn(
    coroutine(function* () {
      const set = new JoinSet<number>();
      const t = new Trigger(42);
      set.spawn(t);
      const a = set.joinNext();
      const b = set.joinNext();
      const wa = new CountingWaker();
      const wb = new CountingWaker();
      assert.equal(a.poll(wa), PENDING);
      assert.equal(b.poll(wb), PENDING);
      t.fire();
      yield* wait(sleep(1)); // the task runs and finishes
      assert.equal(wa.wakes, 1, "a was handed the finished task");
      a.drop!();
      assert.equal(wb.wakes, 1, "and passed it on to b");
      assert.equal(b.poll(wb), 42);

      const t2 = new Trigger(7);
      set.spawn(t2);
      const c = set.joinNext();
      c.poll(new CountingWaker());
      c.drop!(); // waiting: unlinks, takes nothing
      t2.fire();
      yield* wait(sleep(1));
      assert.equal(yield* wait(set.joinNext()), 7);
    }),
  );
});

test("two joinNext futures waiting on one task: one gets its output, the other undefined", () => {
  const out = new Executor().blockOn(
    coroutine(function* () {
      const set = new JoinSet<string>();
      set.spawn(map(sleep(2), () => "only"));
      const waiters = [0, 1].map(() => spawn(set.joinNext()));
      const got: (string | undefined)[] = [];
      for (const w of waiters) got.push(yield* wait(w));
      return got.sort();
    }),
  );
  assert.deepEqual(out, ["only", undefined]);
});

test("joinNext on tasks that can never finish is reported as a deadlock", () => {
  assert.throws(
    () =>
      new Executor().blockOn(
        coroutine(function* () {
          const set = new JoinSet<void>();
          set.spawn(new Trigger<void>(undefined));
          yield* wait(set.joinNext());
        }),
      ),
    DeadlockError,
  );
});

test("a failure in a set that nobody joined is still reported on stderr by the executor", async () => {
  const r = await runModule(`
    import { Executor, JoinSet, coroutine, wait, sleep } from "reactor-executor";
    new Executor().blockOn(coroutine(function* () {
      const set = new JoinSet();
      set.spawn(coroutine(function* lost() { throw new Error("never joined"); }));
      yield* wait(sleep(5));
    }));
    console.log("done");
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /done/);
  assert.match(r.stderr, /lost\) failed and nobody awaited its JoinHandle: Error: never joined/);
});

test("a failure a waiting joinNext takes is not reported, even when the join runs in a later cycle", async () => {
  const r = await runModule(`
    import { Executor, JoinSet, coroutine, wait, sleep, spawn, yieldNow } from "reactor-executor";
    new Executor().blockOn(coroutine(function* () {
      const set = new JoinSet();
      set.spawn(coroutine(function* joined() { yield* wait(sleep(5)); throw new Error("joined late"); }));
      // Busy tasks so the joiner's poll may fall after the end of the failing cycle.
      for (let i = 0; i < 300; i++) spawn(coroutine(function* () { for (let j = 0; j < 3; j++) yield* wait(yieldNow()); }));
      try { yield* wait(set.joinNext()); } catch (e) { console.log("caught " + e.message); }
    }));
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /caught joined late/);
  assert.doesNotMatch(r.stderr, /nobody awaited/);
});
