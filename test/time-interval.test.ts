import { test } from "node:test";
import assert from "node:assert/strict";
import { Executor, coroutine, interval, select, sleep, wait, type MissedTickBehavior } from "reactor-executor";

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

test("the first tick is at once; the next ones a period apart, never early", () => {
  const times = new Executor().blockOn(
    coroutine(function* () {
      const every = interval(20);
      const t0 = performance.now();
      const out: number[] = [];
      for (let i = 0; i < 5; i++) {
        const due = yield* wait(every.tick());
        out.push(performance.now() - t0);
        assert.ok(performance.now() >= due, "never before it was due");
      }
      return out;
    }),
  );
  assert.ok(times[0]! < 10, `first tick after ${times[0]} ms`);
  for (let i = 1; i < 5; i++) assert.ok(times[i]! >= i * 20 - 1, `tick ${i} at ${times[i]} ms`);
  assert.ok(times[4]! < 80 + 500, `generous bound: ${times[4]} ms`);
});

/** The due times of ticks 0..n-1 relative to the first, with the task busy for `stallMs` after tick 1. */
function dues(behavior: MissedTickBehavior, stallMs: number, n: number): number[] {
  return new Executor().blockOn(
    coroutine(function* () {
      const every = interval(40, { missedTickBehavior: behavior });
      const out: number[] = [];
      let first = 0;
      for (let i = 0; i < n; i++) {
        const due = yield* wait(every.tick());
        if (i === 0) first = due;
        out.push(Math.round(due - first));
        if (i === 1) busy(stallMs);
      }
      return out;
    }),
  );
}

test("missed ticks, default skip: after a stall the next tick is on the original grid, no burst", () => {
  const d = dues("skip", 150, 4);
  assert.deepEqual(d.slice(0, 3), [0, 40, 80]);
  assert.ok(d[3]! > 150 && d[3]! % 40 === 0, `back on the grid after the stall: ${d.join(",")}`);
});

test("missed ticks, burst: the missed ticks all come, one per tick()", () => {
  assert.deepEqual(dues("burst", 150, 6), [0, 40, 80, 120, 160, 200]);
});

test("missed ticks, delay: the schedule restarts a period after the late tick", () => {
  const d = dues("delay", 150, 4);
  assert.deepEqual(d.slice(0, 3), [0, 40, 80]);
  assert.ok(d[3]! - d[2]! >= 40 + 100, `restarted from the late tick: ${d.join(",")}`);
});

test("a dropped tick changes nothing; reset pushes the next tick back a period", () => {
  new Executor().blockOn(
    coroutine(function* () {
      const every = interval(30);
      const first = yield* wait(every.tick());
      const r = yield* wait(select<unknown>([every.tick(), sleep(5)]));
      assert.equal(r.index, 1, "the tick lost the race");
      const second = yield* wait(every.tick());
      assert.equal(Math.round(second - first), 30, "the same tick is still due");
      every.reset();
      const resetAt = performance.now();
      const third = yield* wait(every.tick());
      assert.ok(third >= resetAt + 29, "a period after reset");
    }),
  );
});

test("bad input is a RangeError", () => {
  for (const ms of [0, -5, NaN, Infinity]) assert.throws(() => interval(ms), RangeError);
  assert.throws(() => interval(10, { missedTickBehavior: "catch-up" as MissedTickBehavior }), RangeError);
});
