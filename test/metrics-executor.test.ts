/**
 * `executor.metrics()`: exact counts on deterministic programs (a virtual clock; wakes that come
 * from the program itself), worked out cycle by cycle in the comments.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Executor,
  PENDING,
  VirtualClock,
  coroutine,
  exportWaker,
  fromPromise,
  joinAll,
  releaseWaker,
  sleep,
  spawn,
  wait,
  wakeRef,
  type Future,
  type Poll,
  type Waker,
} from "reactor-executor";
import { SelfWaking } from "./util/futures.js";

test("polls, cycles, wakes, spawns and timers, counted exactly on a virtual clock", () => {
  const ex = new Executor({ clock: new VirtualClock() });
  const zero = ex.metrics();
  assert.deepEqual(zero, {
    polls: 0,
    cycles: 0,
    parks: 0,
    wakes: 0,
    inboxWakes: 0,
    tasksSpawned: 0,
    tasksAlive: 0,
    budgetExhaustions: 0,
    timersFired: 0,
  });
  let during = zero;
  ex.blockOn(
    coroutine(function* () {
      const a = spawn(sleep(10));
      const b = spawn(
        coroutine(function* () {
          yield* wait(sleep(10));
          yield* wait(sleep(20));
        }),
      );
      const c = spawn(new SelfWaking(3));
      during = ex.metrics();
      yield* wait(joinAll<unknown>([a, b, c]));
    }),
  );
  // Read in main's first poll: main is alive and spawned, three tasks queued, nothing counted yet.
  assert.deepEqual(during, { ...zero, cycles: 1, tasksSpawned: 4, tasksAlive: 4 });
  // cycle 1: main (waits on a, b, c), a and b (sleep until 10), c (wakes itself: a yield)  4 polls
  // cycles 2, 3: c yields again                                                          2 polls
  // cycle 4: c ends and wakes main; main (a, b pending); idle: the clock jumps to 10,
  //          firing a's and b's timers                                                   2 polls
  // cycle 5: a ends (wakes main); b (sleep until 30); main; idle: jump to 30, b's timer  3 polls
  // cycle 6: b ends (wakes main); main ends                                              2 polls
  // Wakes: c's 3 yields, main by c, a and b, a once, b twice = 9.
  assert.deepEqual(ex.metrics(), {
    polls: 13,
    cycles: 6,
    parks: 0,
    wakes: 9,
    inboxWakes: 0,
    tasksSpawned: 4,
    tasksAlive: 0,
    budgetExhaustions: 0,
    timersFired: 3,
  });
  // A second run adds to the same counters.
  ex.blockOn(sleep(5));
  const m = ex.metrics();
  assert.deepEqual([m.polls, m.cycles, m.wakes, m.tasksSpawned, m.timersFired], [15, 8, 10, 5, 4]);
});

/** Wakes its own waker through the wake hub (as another thread would), then completes. */
class InboxWake implements Future<void> {
  private ref = -1;
  poll(waker: Waker): Poll<void> {
    if (this.ref >= 0) {
      releaseWaker(this.ref);
      return undefined;
    }
    this.ref = exportWaker(waker);
    wakeRef(this.ref);
    return PENDING;
  }
}

test("a wake through the inbox counts as a wake and an inbox wake", () => {
  const ex = new Executor();
  ex.blockOn(new InboxWake());
  // cycle 1: main exports its waker, wakes it by ref, waits; the look drains the inbox and queues
  // it. cycle 2: main ends.
  const m = ex.metrics();
  assert.deepEqual([m.polls, m.cycles, m.wakes, m.inboxWakes, m.parks], [2, 2, 1, 1, 0]);
});

/** Spends its budget `units` times in one poll, then completes on the next poll. */
class Greedy implements Future<void> {
  private polled = false;
  constructor(private readonly units: number) {}
  poll(waker: Waker): Poll<void> {
    if (this.polled) return undefined;
    this.polled = true;
    for (let i = 0; i < this.units; i++) {
      if (!waker.consumeBudget()) {
        waker.wake();
        return PENDING;
      }
    }
    return undefined;
  }
}

test("a poll that runs out of budget is counted once, and its wake as a yield", () => {
  const ex = new Executor();
  ex.blockOn(new Greedy(1000));
  const m = ex.metrics();
  assert.deepEqual([m.polls, m.budgetExhaustions, m.wakes], [2, 1, 1]);
});

test("under run, waiting for Node's loop is a park: exactly one for one promise", async () => {
  const ex = new Executor();
  await ex.run(fromPromise(new Promise((resolve) => setTimeout(resolve, 20))));
  // cycle 1: main waits on the promise; nothing else can wake it: one park. The promise settles,
  // wakes main (a same-thread wake from a Node callback), cycle 2: main ends.
  const m = ex.metrics();
  assert.deepEqual([m.polls, m.cycles, m.parks, m.wakes, m.inboxWakes], [2, 2, 1, 1, 0]);
});
