import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Executor,
  VirtualClock,
  coroutine,
  wait,
  spawn,
  sleep,
  ready,
  joinAll,
  join,
  select,
  race,
  map,
  PENDING,
  type Future,
  type Poll,
  type Waker,
} from "reactor-executor";
import { Failing, Trigger } from "./util/futures.js";

test("joinAll resolves to outputs in input order, whatever order they finish in", () => {
  const out = new Executor().blockOn(joinAll([30, 10, 20].map((ms) => map(sleep(ms), () => ms))));
  assert.deepEqual(out, [30, 10, 20]);
});

test("joinAll re-polls only the child that was woken", () => {
  const triggers = Array.from({ length: 100 }, (_, i) => new Trigger(i));
  const out = new Executor().blockOn(
    coroutine(function* () {
      spawn(
        coroutine(function* () {
          for (const t of triggers) {
            yield* wait(sleep(0.1));
            t.fire();
          }
        }),
      );
      return yield* wait(joinAll(triggers));
    }),
  );
  assert.deepEqual(
    out,
    triggers.map((_, i) => i),
  );
  // Each child: the first poll, then the poll after its own wake. The book's join_all would poll
  // every pending child on every wake: ~5,000 polls here.
  for (const t of triggers) assert.equal(t.polls, 2);
});

test("joinAll of nothing is ready at once", () => {
  assert.deepEqual(new Executor().blockOn(joinAll([])), []);
});

test("joinAll: the first error drops the rest and is thrown", () => {
  const a = new Trigger(1);
  const b = new Trigger(2);
  const boom = new Error("child failed");
  assert.throws(
    () => new Executor().blockOn(joinAll<number>([a, new Failing(boom), b])),
    (e) => e === boom,
  );
  assert.equal(a.drops, 1);
  assert.equal(b.drops, 1);
});

test("join gives a typed tuple", () => {
  const [n, s, v] = new Executor().blockOn(
    join(
      ready(1),
      map(sleep(5), () => "slept"),
      ready(true),
    ),
  );
  const typed: [number, string, boolean] = [n, s, v];
  assert.deepEqual(typed, [1, "slept", true]);
});

test("select: first to finish wins, the others are dropped", () => {
  const slow = new Trigger("slow");
  const out = new Executor().blockOn(select<string>([slow, map(sleep(5), () => "fast"), ready("instant")]));
  assert.deepEqual(out, { index: 2, value: "instant" });
  assert.equal(slow.drops, 1);

  const loser = new Trigger("never");
  const out2 = new Executor().blockOn(race<string>([loser, map(sleep(5), () => "timer")]));
  assert.deepEqual(out2, { index: 1, value: "timer" });
  assert.equal(loser.drops, 1);
});

test("select drops the losing sleep: its timer no longer holds the executor", () => {
  const clock = new VirtualClock();
  const ex = new Executor({ clock });
  ex.blockOn(select([sleep(2_000), sleep(5)]));
  assert.equal(clock.now(), 5, "blockOn waited for the dropped 2 s timer");
  assert.equal(ex.timers.size, 0);
});

test("select of nothing is an error", () => {
  assert.throws(() => select([]), RangeError);
});

test("map transforms the output", () => {
  assert.equal(new Executor().blockOn(map(ready(20), (x) => x + 1)), 21);
});

test("combinators pass the most recent waker: a child that keeps the first waker would hang", () => {
  class Twice implements Future<string> {
    private n = 0;
    poll(waker: Waker): Poll<string> {
      if (this.n++ === 0) {
        waker.wake();
        return PENDING;
      }
      return "ok";
    }
  }
  assert.deepEqual(new Executor().blockOn(joinAll([new Twice(), new Twice()])), ["ok", "ok"]);
});

test("joinAll of 100,000 spawned handles allocates wakers only for pending ones and finishes", () => {
  const n = 100_000;
  const sum = new Executor().blockOn(
    coroutine(function* () {
      const hs = [];
      for (let i = 0; i < n; i++) hs.push(spawn(ready(i)));
      const outs = yield* wait(joinAll(hs));
      return outs.reduce((a, b) => a + b, 0);
    }),
  );
  assert.equal(sum, (n * (n - 1)) / 2);
});
