import { test } from "node:test";
import assert from "node:assert/strict";
import { Executor, Semaphore, coroutine, join, map, mapConcurrent, ready, select, sleep, spawn, wait, type Future } from "reactor-executor";
import { Trigger } from "./util/futures.js";

/** A task body that counts how many run at once. */
function counter(): { running: number; max: number; work: (ms: number) => Future<number> } {
  const c = {
    running: 0,
    max: 0,
    work: (ms: number) =>
      coroutine(function* () {
        c.running++;
        c.max = Math.max(c.max, c.running);
        try {
          yield* wait(sleep(ms));
          return ms;
        } finally {
          c.running--;
        }
      }),
  };
  return c;
}

test("outputs in input order, never more than `limit` in flight", () => {
  const c = counter();
  const delays = Array.from({ length: 40 }, (_, i) => (i * 7) % 11);
  const out = new Executor().blockOn(mapConcurrent(delays, 4, (ms) => c.work(ms)));
  assert.deepEqual(out, delays);
  assert.equal(c.max, 4);
  assert.equal(c.running, 0);
});

test("items are read one at a time as permits come, so a long iterable is not held whole", () => {
  let pulled = 0;
  let finished = 0;
  let maxAhead = 0;
  function* items(): Generator<number> {
    for (let i = 0; i < 100; i++) {
      pulled++;
      maxAhead = Math.max(maxAhead, pulled - finished);
      yield i;
    }
  }
  const out = new Executor().blockOn(
    mapConcurrent(items(), 3, (i) =>
      map(sleep(i % 3), () => {
        finished++;
        return i * 2;
      }),
    ),
  );
  assert.equal(out.length, 100);
  assert.equal(out[99], 198);
  assert.ok(maxAhead <= 4, `at most limit + 1 items read ahead of the finished ones, saw ${maxAhead}`);
});

test("a wake polls only the item it belongs to", () => {
  const triggers = Array.from({ length: 50 }, (_, i) => new Trigger(i));
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
      return yield* wait(mapConcurrent(triggers, 50, (t) => t));
    }),
  );
  assert.equal(out.length, 50);
  assert.ok(
    triggers.every((t) => t.polls === 2),
    `polls per item: ${triggers.map((t) => t.polls).join(",")}`,
  );
});

test("the first error drops the items in flight, returns their permits, starts nothing more, and is thrown", () => {
  const shared = new Semaphore(3);
  const inFlight = [new Trigger(0), new Trigger(1)];
  let called = 0;
  assert.throws(
    () =>
      new Executor().blockOn(
        mapConcurrent([0, 1, 2, 3, 4, 5], shared, (i) => {
          called++;
          if (i < 2) return inFlight[i]!;
          return coroutine(function* () {
            yield* wait(sleep(2));
            throw new Error(`item ${i} failed`);
          });
        }),
      ),
    /item 2 failed/,
  );
  assert.equal(called, 3, "nothing started after the failure");
  assert.deepEqual(
    inFlight.map((t) => t.drops),
    [1, 1],
  );
  assert.equal(shared.available, 3, "every permit came back");
  assert.equal(shared.waiting, 0);
});

test("fn throwing synchronously is the item's error", () => {
  assert.throws(
    () =>
      new Executor().blockOn(
        mapConcurrent([1, 2], 2, (i) => {
          if (i === 2) throw new TypeError("bad item");
          return ready(i);
        }),
      ),
    TypeError,
  );
});

test("dropping the map (it lost a select) drops what is in flight and returns the permits", () => {
  const shared = new Semaphore(2);
  const items = [new Trigger(1), new Trigger(2), new Trigger(3)];
  const r = new Executor().blockOn(select<unknown>([mapConcurrent(items, shared, (t) => t), sleep(2)]));
  assert.equal(r.index, 1);
  assert.deepEqual(
    items.map((t) => t.drops),
    [1, 1, 0],
  );
  assert.equal(shared.available, 2);
});

test("one semaphore shared by two maps limits them together", () => {
  const c = counter();
  const shared = new Semaphore(3);
  const [a, b] = new Executor().blockOn(
    join(
      mapConcurrent([3, 1, 2, 3, 1], shared, (ms) => c.work(ms)),
      mapConcurrent([2, 2, 1, 3], shared, (ms) => c.work(ms)),
    ),
  );
  assert.deepEqual(a, [3, 1, 2, 3, 1]);
  assert.deepEqual(b, [2, 2, 1, 3]);
  assert.equal(c.max, 3);
});

test("no items: an empty array at once; bad limits are RangeErrors", () => {
  assert.deepEqual(new Executor().blockOn(mapConcurrent([], 2, (x: number) => ready(x))), []);
  for (const l of [0, -1, 1.5, NaN]) assert.throws(() => mapConcurrent([1], l, (x) => ready(x)), RangeError);
});
