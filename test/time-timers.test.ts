import { test } from "node:test";
import assert from "node:assert/strict";
import { Executor, coroutine, spawn, sleep, timeout, joinAll, map, TimeoutError } from "reactor-executor";
import { Trigger } from "./util/futures.js";
import { TimerEntry, TimerHeap } from "../src/runtime/timer-heap.js";
import { NoopWaker } from "reactor-executor";

test("sleep waits at least its duration, and the executor parks instead of spinning", () => {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  new Executor().blockOn(sleep(200));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  assert.ok(wall >= 199, `woke early: ${wall} ms`);
  assert.ok(wall < 1_000, `woke very late: ${wall} ms`);
  // A spinning executor would burn ~200 ms of CPU; a parked one close to none.
  assert.ok((cpu.user + cpu.system) / 1000 < wall * 0.5, `CPU ${(cpu.user + cpu.system) / 1000} ms during a ${wall} ms sleep`);
});

test("concurrent sleeps overlap: 10 x 100 ms take about 100 ms, not 1 s", () => {
  const t0 = performance.now();
  new Executor().blockOn(joinAll(Array.from({ length: 10 }, () => sleep(100))));
  const wall = performance.now() - t0;
  assert.ok(wall >= 99 && wall < 600, `${wall} ms`);
});

test("timers fire in deadline order", () => {
  const order: number[] = [];
  new Executor().blockOn(
    coroutine(function* () {
      for (const ms of [50, 10, 40, 20, 30]) spawn(map(sleep(ms), () => order.push(ms)));
    }),
  );
  assert.deepEqual(order, [10, 20, 30, 40, 50]);
});

test("timeout: on expiry it drops the future and throws ETIMEDOUT", () => {
  const slow = new Trigger("late");
  const t0 = performance.now();
  assert.throws(
    () => new Executor().blockOn(timeout(slow, 30)),
    (e: unknown) => e instanceof TimeoutError && e.code === "ETIMEDOUT",
  );
  assert.ok(performance.now() - t0 >= 29);
  assert.equal(slow.drops, 1);
});

test("timeout: a future that finishes in time gives its output and cancels the timer", () => {
  const t0 = performance.now();
  assert.equal(
    new Executor().blockOn(
      timeout(
        map(sleep(5), () => "in time"),
        5_000,
      ),
    ),
    "in time",
  );
  assert.ok(performance.now() - t0 < 2_500, "the executor waited for the cancelled 5 s timer");
});

test("the timer heap removes entries from anywhere and keeps order", () => {
  const heap = new TimerHeap();
  const noop = new NoopWaker();
  const entries = Array.from({ length: 1000 }, (_, i) => new TimerEntry((i * 7919) % 1000, noop));
  for (const e of entries) heap.insert(e);
  for (let i = 0; i < 1000; i += 3) heap.remove(entries[i]!);
  assert.equal(heap.size, 1000 - 334);
  let last = -1;
  let fired = 0;
  while (heap.size > 0) {
    const d = heap.nextDeadline();
    assert.ok(d >= last);
    last = d;
    fired += heap.fire(d, () => {});
  }
  assert.equal(fired, 666);
});

test("100,000 timers on one executor all fire, none early", () => {
  let early = 0;
  let done = 0;
  new Executor().blockOn(
    coroutine(function* () {
      for (let i = 0; i < 100_000; i++) {
        const ms = (i * 37) % 200;
        const t0 = performance.now();
        spawn(
          map(sleep(ms), () => {
            if (performance.now() - t0 < ms - 0.001) early++;
            done++;
          }),
        );
      }
    }),
  );
  assert.equal(done, 100_000);
  assert.equal(early, 0);
});
