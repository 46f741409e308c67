import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DeadlockError,
  Executor,
  Mutex,
  MutexGuard,
  PENDING,
  RuntimeError,
  coroutine,
  sleep,
  spawn,
  wait,
  yieldNow,
} from "reactor-executor";
import { CountingWaker } from "./util/wakers.js";

function guardOf<T>(g: unknown): MutexGuard<T> {
  assert.ok(g instanceof MutexGuard, `expected a guard, got ${String(g)}`);
  return g as MutexGuard<T>;
}

test("the lock keeps a read-modify-write across a wait atomic (without it, increments are lost)", () => {
  function run(locked: boolean): number {
    const m = new Mutex({ n: 0 });
    let plain = 0;
    new Executor().blockOn(
      coroutine(function* () {
        const hs = Array.from({ length: 20 }, () =>
          spawn(
            coroutine(function* () {
              if (locked) {
                using g = yield* wait(m.lock());
                const n = g.value.n;
                yield* wait(yieldNow()); // the others run here
                g.value.n = n + 1;
              } else {
                const n = plain;
                yield* wait(yieldNow());
                plain = n + 1;
              }
            }),
          ),
        );
        for (const h of hs) yield* wait(h);
      }),
    );
    return locked ? m.tryLock()!.value.n : plain;
  }
  assert.equal(run(true), 20);
  assert.ok(run(false) < 20, "the same update without the lock loses increments (so the test can tell)");
});

test("waiters get the lock in FIFO order", () => {
  const m = new Mutex<number[]>([]);
  new Executor().blockOn(
    coroutine(function* () {
      const first = yield* wait(m.lock());
      const hs = [1, 2, 3, 4, 5].map((i) =>
        spawn(
          coroutine(function* () {
            using g = yield* wait(m.lock());
            g.value.push(i);
          }),
        ),
      );
      yield* wait(sleep(1));
      first.unlock();
      for (const h of hs) yield* wait(h);
    }),
  );
  assert.deepEqual(m.tryLock()!.value, [1, 2, 3, 4, 5]);
});

test("a guard stops working once unlocked; value set through it sticks", () => {
  const m = new Mutex("a");
  const g = m.tryLock()!;
  assert.equal(m.isLocked, true);
  assert.equal(m.tryLock(), null);
  g.value = "b";
  g.unlock();
  g.unlock(); // harmless
  assert.equal(g.isHeld, false);
  assert.throws(() => g.value, RuntimeError);
  assert.throws(() => (g.value = "c"), RuntimeError);
  assert.equal(m.isLocked, false);
  assert.equal(m.tryLock()!.value, "b");
});

test("cancellation: a lock() dropped after it was handed the lock passes it on", () => {
  const m = new Mutex(0);
  const held = m.tryLock()!;
  const a = m.lock();
  const b = m.lock();
  const wa = new CountingWaker();
  const wb = new CountingWaker();
  assert.equal(a.poll(wa), PENDING);
  assert.equal(b.poll(wb), PENDING);
  held.unlock();
  assert.equal(wa.wakes, 1);
  a.drop!();
  assert.equal(wb.wakes, 1, "b was woken: the lock did not stay with the dropped waiter");
  guardOf<number>(b.poll(wb)).unlock();
  assert.equal(m.isLocked, false);
});

test("cancellation: a dropped waiting lock() leaves the queue", () => {
  const m = new Mutex(0);
  const held = m.tryLock()!;
  const a = m.lock();
  a.poll(new CountingWaker());
  a.drop!();
  held.unlock();
  assert.equal(m.isLocked, false);
  assert.notEqual(m.tryLock(), null);
});

test("locking twice in one task is a deadlock the executor reports", () => {
  const m = new Mutex(0);
  assert.throws(
    () =>
      new Executor().blockOn(
        coroutine(function* () {
          yield* wait(m.lock()); // the guard is kept (not unlocked)
          yield* wait(m.lock());
        }),
      ),
    DeadlockError,
  );
});
