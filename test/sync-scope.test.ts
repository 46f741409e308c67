import { test } from "node:test";
import assert from "node:assert/strict";
import { Executor, RuntimeError, channel, coroutine, joinAll, map, scope, select, sleep, spawn, wait, type Scope } from "reactor-executor";
import { Trigger } from "./util/futures.js";
import { runModule } from "./util/run-child.js";

test("a scope ends when its body and every task it spawned have ended, with the body's value", () => {
  const events: string[] = [];
  const out = new Executor().blockOn(
    coroutine(function* () {
      const v = yield* wait(
        scope(function* (s) {
          s.spawn(map(sleep(20), () => events.push("slow task")));
          const fast = s.spawn(map(sleep(1), () => "fast"));
          events.push("body returns");
          return yield* wait(fast);
        }),
      );
      events.push("scope ended");
      return v;
    }),
  );
  assert.equal(out, "fast");
  assert.deepEqual(events, ["body returns", "slow task", "scope ended"]);
});

test("the first failure aborts the other tasks and the body, and the scope throws it", () => {
  const waiting = new Trigger("never");
  let bodyFinally = false;
  const err = new Executor().blockOn(
    coroutine(function* () {
      try {
        yield* wait(
          scope(function* (s) {
            s.spawn(waiting);
            s.spawn(
              coroutine(function* () {
                yield* wait(sleep(2));
                throw new Error("task failed");
              }),
            );
            try {
              yield* wait(sleep(10_000));
            } finally {
              bodyFinally = true;
            }
          }),
        );
        return null;
      } catch (e) {
        return e;
      }
    }),
  );
  assert.equal((err as Error).message, "task failed");
  assert.equal(waiting.drops, 1, "the other task was aborted");
  assert.equal(bodyFinally, true, "the body was dropped, its finally ran");
});

test("the body throwing aborts the tasks and the scope rethrows", () => {
  const child = new Trigger(1);
  assert.throws(
    () =>
      new Executor().blockOn(
        scope(function* (s) {
          s.spawn(child);
          yield* wait(sleep(1));
          throw new Error("body failed");
        }),
      ),
    /body failed/,
  );
  assert.equal(child.drops, 1);
});

test("dropping the scope's future (it lost a select) aborts its tasks", () => {
  const children = [new Trigger(1), new Trigger(2)];
  const r = new Executor().blockOn(
    select<unknown>([
      scope(function* (s) {
        for (const c of children) s.spawn(c);
        yield* wait(sleep(10_000));
      }),
      sleep(5),
    ]),
  );
  assert.equal(r.index, 1);
  assert.deepEqual(
    children.map((c) => c.drops),
    [1, 1],
  );
});

test("a task aborted on purpose is not a failure; its handle throws CancelledError to whoever awaits it", () => {
  const out = new Executor().blockOn(
    scope(function* (s) {
      const h = s.spawn(sleep(10_000));
      h.abort();
      try {
        yield* wait(h);
      } catch (e) {
        return (e as Error).name;
      }
      return "not cancelled";
    }),
  );
  assert.equal(out, "CancelledError");
});

test("handles of scoped tasks work with joinAll, and a task can spawn into the scope it was given", () => {
  const out = new Executor().blockOn(
    scope(function* (s: Scope) {
      const hs = [3, 1, 2].map((i) =>
        s.spawn(
          coroutine(function* () {
            const inner = s.spawn(map(sleep(i), () => i * 10));
            return (yield* wait(inner)) + i;
          }),
        ),
      );
      return yield* wait(joinAll(hs));
    }),
  );
  assert.deepEqual(out, [33, 11, 22]);
});

test("the README's work queue: workers in a scope drain a channel the body fills, then the scope ends", () => {
  const [tx, rx] = channel<number>(4);
  const done: number[] = [];
  new Executor().blockOn(
    scope(function* (s) {
      for (let w = 0; w < 3; w++) {
        s.spawn(
          coroutine(function* () {
            let job;
            while ((job = yield* wait(rx.recv())) !== undefined) {
              yield* wait(sleep(job % 3));
              done.push(job);
            }
          }),
        );
      }
      using out = tx;
      for (let j = 0; j < 30; j++) yield* wait(out.send(j));
    }),
  );
  assert.deepEqual(
    done.sort((a, b) => a - b),
    Array.from({ length: 30 }, (_, i) => i),
  );
});

test("spawning into a scope that has ended is a RuntimeError", () => {
  let kept: Scope | null = null;
  new Executor().blockOn(
    coroutine(function* () {
      yield* wait(
        scope(function* (s) {
          kept = s;
        }),
      );
      assert.throws(() => kept!.spawn(sleep(1)), RuntimeError);
      spawn(sleep(1)); // the executor itself is fine
    }),
  );
});

test("a task failure the scope rethrows is not also reported as unobserved", async () => {
  const r = await runModule(`
    import { Executor, coroutine, scope, wait, sleep } from "reactor-executor";
    try {
      new Executor().blockOn(scope(function* (s) {
        s.spawn(coroutine(function* () { throw new Error("scoped failure"); }));
        yield* wait(sleep(1000));
      }));
    } catch (e) { console.log("caught:", e.message); }
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /caught: scoped failure/);
  assert.equal(r.stderr, "");
});
