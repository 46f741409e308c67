// Timers on a virtual clock (deadlines hold exactly, whatever the machine's load), plus the few
// properties that only real time shows: the executor parks instead of spinning, and auto-advance
// never happens while something else may wake the executor.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Executor,
  VirtualClock,
  coroutine,
  wait,
  spawn,
  sleep,
  timeout,
  joinAll,
  map,
  fromPromise,
  NoopWaker,
  PENDING,
  RuntimeError,
  TimeoutError,
  TcpListener,
  TcpStream,
  init,
  type Future,
  type Poll,
  type Waker,
} from "reactor-executor";
import { Trigger } from "./util/futures.js";
import { runModule } from "./util/run-child.js";
import { TimerEntry, TimerHeap } from "../src/runtime/timer-heap.js";

test("sleep waits its duration on the executor's clock", () => {
  const clock = new VirtualClock(1_000);
  const ex = new Executor({ clock });
  const t = ex.blockOn(
    coroutine(function* () {
      yield* wait(sleep(200));
      return clock.now();
    }),
  );
  assert.equal(t, 1_200);
  assert.equal(ex.parks, 0, "a virtual clock with nothing else to wait for advances instead of parking");
});

test("a virtual hour passes at once", () => {
  const clock = new VirtualClock();
  const t0 = performance.now();
  new Executor({ clock }).blockOn(sleep(3_600_000));
  assert.equal(clock.now(), 3_600_000);
  assert.ok(performance.now() - t0 < 1_000);
});

test("concurrent sleeps overlap: 10 x 100 ms end at 100 ms, not 1 s", () => {
  const clock = new VirtualClock();
  new Executor({ clock }).blockOn(joinAll(Array.from({ length: 10 }, () => sleep(100))));
  assert.equal(clock.now(), 100);
});

test("timers fire in deadline order, each at its deadline", () => {
  const clock = new VirtualClock();
  const fired: [number, number][] = [];
  new Executor({ clock }).blockOn(
    coroutine(function* () {
      for (const ms of [50, 10, 40, 20, 30]) spawn(map(sleep(ms), () => fired.push([ms, clock.now()])));
    }),
  );
  assert.deepEqual(fired, [
    [10, 10],
    [20, 20],
    [30, 30],
    [40, 40],
    [50, 50],
  ]);
});

test("a fractional deadline is rounded up to the next whole millisecond, never early", () => {
  const clock = new VirtualClock(0.25);
  new Executor({ clock }).blockOn(sleep(10));
  assert.equal(clock.now(), 11);
});

test("timeout: on expiry it drops the future and throws ETIMEDOUT, at the deadline", () => {
  const clock = new VirtualClock();
  const slow = new Trigger("late");
  assert.throws(
    () => new Executor({ clock }).blockOn(timeout(slow, 30)),
    (e: unknown) => e instanceof TimeoutError && e.code === "ETIMEDOUT",
  );
  assert.equal(clock.now(), 30);
  assert.equal(slow.drops, 1);
});

test("timeout: a future that finishes in time gives its output and cancels the timer", () => {
  const clock = new VirtualClock();
  const ex = new Executor({ clock });
  assert.equal(
    ex.blockOn(
      timeout(
        map(sleep(5), () => "in time"),
        5_000,
      ),
    ),
    "in time",
  );
  // The executor ended at 5 ms: the 5 s timer was gone, not waited for.
  assert.equal(clock.now(), 5);
  assert.equal(ex.timers.size, 0);
});

test("advance() moves the clock and fires what is due; a run parked on a Promise sees it", async () => {
  const clock = new VirtualClock();
  const order: string[] = [];
  // While a Promise is in flight the clock stands still (it might settle first); the test moves it.
  setTimeout(() => {
    order.push(`advance at ${clock.now()}`);
    clock.advance(50);
  }, 20);
  await new Executor({ clock }).run(
    coroutine(function* () {
      spawn(
        coroutine(function* () {
          yield* wait(sleep(50));
          order.push(`slept until ${clock.now()}`);
        }),
      );
      yield* wait(fromPromise(() => new Promise((r) => setTimeout(r, 60))));
      order.push(`promise at ${clock.now()}`);
    }),
  );
  assert.deepEqual(order, ["advance at 0", "slept until 50", "promise at 50"]);
});

test("virtual time stands still while an I/O source may still wake the executor", () => {
  init();
  const clock = new VirtualClock();
  const listener = TcpListener.bind("127.0.0.1:0");
  const seen: string[] = [];
  new Executor({ clock }).blockOn(
    coroutine(function* () {
      spawn(map(sleep(1_000), () => seen.push(`slept until ${clock.now()}`)));
      const accepting = spawn(listener.accept());
      // A real-time pause, not a timer: the accept is registered with the reactor all along.
      yield* wait(fromPromiseless(50));
      const client = yield* wait(TcpStream.connect(`127.0.0.1:${listener.port}`));
      const server = yield* wait(accepting);
      seen.push(`accepted at ${clock.now()}`);
      client.close();
      server.close();
      // The listener's waker is still with the reactor: only closing it lets the clock move.
      listener.close();
    }),
  );
  assert.deepEqual(seen, ["accepted at 0", "slept until 1000"]);
});

test("run on a virtual clock: a Promise that never settles lets the timers run, then is a deadlock", async () => {
  const r = await runModule(
    `
    import { Executor, VirtualClock, coroutine, wait, spawn, sleep, map, fromPromise } from "reactor-executor";
    const clock = new VirtualClock();
    try {
      await new Executor({ clock }).run(coroutine(function* () {
        spawn(map(sleep(1000), () => console.log("timer at", clock.now())));
        yield* wait(fromPromise(new Promise(() => {})));
      }));
    } catch (e) { console.log(e.name, "at", clock.now()); }
  `,
    { timeoutMs: 10_000 },
  );
  assert.equal(r.timedOut, false);
  assert.equal(r.stdout, "timer at 1000\nDeadlockError at 1000\n", r.stderr);
});

test("executors sharing a virtual clock: one moving it makes the others look at their timers", async () => {
  const clock = new VirtualClock();
  const order: string[] = [];
  // B moves the clock (auto-advance) while A is parked on a Promise, with a timer of its own.
  setTimeout(() => {
    new Executor({ clock, name: "B" }).blockOn(sleep(200));
    order.push(`B done at ${clock.now()}`);
  }, 20);
  await new Executor({ clock, name: "A" }).run(
    coroutine(function* () {
      spawn(map(sleep(100), () => order.push(`A slept until ${clock.now()}`)));
      yield* wait(fromPromise(() => new Promise((r) => setTimeout(r, 500))));
      order.push("A's promise settled");
    }),
  );
  assert.deepEqual(order, ["B done at 200", "A slept until 200", "A's promise settled"]);
});

test("a virtual clock refuses bad times with RuntimeError", () => {
  const clock = new VirtualClock();
  for (const bad of [NaN, -1, Infinity, "5" as unknown as number]) {
    assert.throws(
      () => clock.advance(bad),
      (e: unknown) => e instanceof RuntimeError && e.code === "ERR_RUNTIME",
    );
  }
  assert.throws(() => new VirtualClock(NaN), RuntimeError);
  assert.equal(clock.now(), 0);
});

test("sleep and timeout refuse a duration that is not a number with RuntimeError", () => {
  for (const bad of [NaN, "10", undefined]) {
    assert.throws(() => sleep(bad as number), { name: "RuntimeError", code: "ERR_RUNTIME" });
    assert.throws(() => timeout(sleep(1), bad as number), { name: "RuntimeError", code: "ERR_RUNTIME" });
  }
  assert.throws(() => timeout(42 as never, 10), { name: "RuntimeError", code: "ERR_RUNTIME", message: /expected a Future/ });
});

test("the timer heap removes entries from anywhere and keeps order", () => {
  const clock = new VirtualClock();
  const heap = new TimerHeap(clock);
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
    clock.advance(d - clock.now());
    fired += heap.fire(() => {});
  }
  assert.equal(fired, 666);
});

test("100,000 timers on one executor all fire, each at its deadline", () => {
  const clock = new VirtualClock();
  let off = 0;
  let done = 0;
  new Executor({ clock }).blockOn(
    coroutine(function* () {
      for (let i = 0; i < 100_000; i++) {
        const ms = (i * 37) % 200;
        spawn(
          map(sleep(ms), () => {
            if (clock.now() !== ms) off++;
            done++;
          }),
        );
      }
    }),
  );
  assert.equal(done, 100_000);
  assert.equal(off, 0);
});

test("real time: sleep waits at least its duration, and the executor parks instead of spinning", () => {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  new Executor().blockOn(sleep(200));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  assert.ok(wall >= 199, `woke early: ${wall} ms`);
  // A spinning executor would burn ~200 ms of CPU; a parked one close to none.
  assert.ok((cpu.user + cpu.system) / 1000 < wall * 0.5, `CPU ${(cpu.user + cpu.system) / 1000} ms during a ${wall} ms sleep`);
});

/** A future that is pending for `ms` of real time, spinning the executor (no timer, no Promise). */
function fromPromiseless(ms: number): Future<void> {
  const end = performance.now() + ms;
  return {
    poll(waker: Waker): Poll<void> {
      if (performance.now() >= end) return;
      waker.wake();
      return PENDING;
    },
  };
}
