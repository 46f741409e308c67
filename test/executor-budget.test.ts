// The cooperative budget and yields: a busy task cannot hold back timers, I/O or other tasks.
// Time here is a virtual clock that the busy loops move themselves (each turn "costs" a virtual
// millisecond), so lateness is exact and independent of the machine's load.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Executor,
  VirtualClock,
  NoopWaker,
  Waker,
  coroutine,
  wait,
  spawn,
  sleep,
  yieldNow,
  joinAll,
  map,
  PENDING,
  type Future,
  type Poll,
} from "reactor-executor";

/**
 * A leaf future that loops over `units` units of work, spending one unit of its task's budget on
 * each, the way a read loop does: out of budget, it wakes its task and returns PENDING.
 */
class Counter implements Future<number> {
  done = 0;
  polls = 0;
  constructor(private readonly units: number) {}
  poll(waker: Waker): Poll<number> {
    this.polls++;
    while (this.done < this.units) {
      if (!waker.consumeBudget()) {
        waker.wake();
        return PENDING;
      }
      this.done++;
    }
    return this.done;
  }
}

test("a leaf future on a task's waker stops when the budget runs out and resumes on the next poll", () => {
  const ex = new Executor();
  const c = new Counter(1000);
  assert.equal(ex.blockOn(c), 1000);
  // 128 units per poll: 7 full polls and one that finishes.
  assert.equal(c.polls, 8);
  assert.equal(ex.budgetExhaustions, 7);
});

test("the budget is per poll, shared by everything the task polls (combinators ask the task)", () => {
  const ex = new Executor();
  const a = new Counter(100);
  const b = new Counter(100);
  assert.deepEqual(ex.blockOn(joinAll([a, b])), [100, 100]);
  // 200 units at 128 a poll: the second child runs out on the first poll and finishes on the next.
  assert.equal(a.polls, 1);
  assert.equal(b.polls, 2);
  assert.equal(ex.budgetExhaustions, 1);
});

test("a waker that stands for no task never runs out", () => {
  const c = new Counter(100_000);
  assert.equal(c.poll(new NoopWaker()), 100_000);
});

test("a task's waker kept past its poll does not spend the budget of the task being polled", () => {
  let kept: Waker | null = null;
  const spent: boolean[] = [];
  const ex = new Executor();
  ex.blockOn(
    coroutine(function* () {
      yield* wait(
        spawn({
          poll(waker: Waker): Poll<void> {
            kept = waker;
          },
        }),
      );
      const c = new Counter(128);
      // Another task's waker, asked 200 times during this task's poll, answers true and spends nothing here.
      yield* wait({
        poll(waker: Waker): Poll<number> {
          for (let i = 0; i < 200; i++) spent.push(kept!.consumeBudget());
          return c.poll(waker);
        },
      });
      assert.equal(c.polls, 1);
    }),
  );
  assert.ok(spent.every((x) => x));
  assert.equal(ex.budgetExhaustions, 0);
});

test("a due timer fires at the next yield of a task looping on yieldNow, however long each turn", () => {
  const clock = new VirtualClock();
  let late = -1;
  let turns = 0;
  new Executor({ clock }).blockOn(
    coroutine(function* () {
      let fired = false;
      spawn(
        coroutine(function* () {
          const t0 = clock.now();
          yield* wait(sleep(10));
          late = clock.now() - t0 - 10;
          fired = true;
        }),
      );
      while (!fired) {
        clock.advance(1); // a turn of CPU work takes a millisecond
        turns++;
        yield* wait(yieldNow());
      }
    }),
  );
  // Seen at the yield that ends the turn reaching the deadline, and run before the next turn.
  assert.equal(late, 0, `the timer's task ran ${late} ms late (${turns} turns)`);
});

test("a due timer fires when a leaf future's budget runs out, and the task resumes after it", () => {
  const clock = new VirtualClock();
  const events: string[] = [];
  class Busy implements Future<void> {
    private left = 1_000;
    poll(waker: Waker): Poll<void> {
      while (this.left > 0) {
        if (!waker.consumeBudget()) {
          events.push(`out of budget at ${clock.now()}`);
          waker.wake();
          return PENDING;
        }
        this.left--;
        clock.advance(0.0625); // 128 units: 8 ms a poll
      }
    }
  }
  new Executor({ clock }).blockOn(
    coroutine(function* () {
      spawn(map(sleep(5), () => events.push(`timer at ${clock.now()}`)));
      yield* wait(yieldNow()); // the timer task starts its sleep at 0
      yield* wait(new Busy());
      events.push("busy done");
    }),
  );
  assert.deepEqual(events.slice(0, 3), ["out of budget at 8", "timer at 8", "out of budget at 16"]);
  assert.equal(events.at(-1), "busy done");
});

test("tasks waking each other still let the executor look at its timers", () => {
  const clock = new VirtualClock();
  let late = -1;
  new Executor({ clock }).blockOn(
    coroutine(function* () {
      let fired = false;
      spawn(
        coroutine(function* () {
          const t0 = clock.now();
          yield* wait(sleep(10));
          late = clock.now() - t0 - 10;
          fired = true;
        }),
      );
      // Two tasks that wake each other (no self-wake, so no yield): each turn costs 0.01 ms.
      const wakers: (Waker | null)[] = [null, null];
      const pingPong = (me: number): Future<void> => ({
        poll(waker: Waker): Poll<void> {
          if (fired) {
            wakers[1 - me]?.wake();
            return;
          }
          wakers[me] = waker;
          clock.advance(0.01);
          wakers[1 - me]?.wake();
          return PENDING;
        },
      });
      yield* wait(joinAll([spawn(pingPong(0)), spawn(pingPong(1))]));
    }),
  );
  // Looks come at least every 128 polls: 1.28 ms of turns.
  assert.ok(late >= 0 && late <= 1.5, `the timer fired ${late} ms late`);
});

test("yielding tasks take turns in order, and each turn a due timer can run", () => {
  const clock = new VirtualClock();
  const order: string[] = [];
  new Executor({ clock }).blockOn(
    coroutine(function* () {
      for (const name of ["a", "b"]) {
        spawn(
          coroutine(function* () {
            for (let i = 0; i < 3; i++) {
              order.push(`${name}${i}`);
              clock.advance(1);
              yield* wait(yieldNow());
            }
          }),
        );
      }
      spawn(map(sleep(2), () => order.push("timer")));
    }),
  );
  assert.deepEqual(order, ["a0", "b0", "a1", "b1", "timer", "a2", "b2"]);
});
