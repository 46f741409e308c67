import { test } from "node:test";
import assert from "node:assert/strict";
import { Executor, coroutine, wait, sleep, ready, timeout, NoopWaker, PENDING, TimeoutError, type CoroutineBody } from "reactor-executor";
import { Failing, Trigger } from "./util/futures.js";
import { runModule } from "./util/run-child.js";

test("a coroutine is lazy: its body starts at the first poll", () => {
  let started = false;
  const c = coroutine(function* () {
    started = true;
    return 1;
  });
  assert.equal(started, false);
  assert.equal(c.poll(new NoopWaker()), 1);
  assert.equal(started, true);
});

test("wait returns each output in sequence; the return value is the output", () => {
  const out = new Executor().blockOn(
    coroutine(function* () {
      const a = yield* wait(ready(1));
      const b = yield* wait(sleep(5));
      const c = yield* wait(ready("x"));
      return [a, b, c] as const;
    }),
  );
  assert.deepEqual(out, [1, undefined, "x"]);
});

test("an error of an awaited future is thrown at the wait, so try/catch/finally work", () => {
  const log: string[] = [];
  const out = new Executor().blockOn(
    coroutine(function* () {
      try {
        yield* wait(sleep(1));
        yield* wait(new Failing(new Error("inner")));
        log.push("not reached");
      } catch (e) {
        log.push(`caught ${(e as Error).message}`);
      } finally {
        log.push("finally");
      }
      try {
        yield* wait(timeout(sleep(1_000), 5));
      } catch (e) {
        log.push((e as TimeoutError).code);
      }
      return "recovered";
    }),
  );
  assert.equal(out, "recovered");
  assert.deepEqual(log, ["caught inner", "finally", "ETIMEDOUT"]);
});

test("an uncaught error in the body fails the coroutine", () => {
  assert.throws(
    () =>
      new Executor().blockOn(
        coroutine(function* () {
          yield* wait(sleep(1));
          throw new Error("body failed");
        }),
      ),
    /body failed/,
  );
});

test("dropping a coroutine drops what it waits on and runs its finally", () => {
  const inner = new Trigger(1);
  let cleaned = false;
  const c = coroutine(function* () {
    try {
      yield* wait(inner);
    } finally {
      cleaned = true;
    }
  });
  assert.equal(c.poll(new NoopWaker()), PENDING);
  c.drop!();
  assert.equal(inner.drops, 1);
  assert.equal(cleaned, true);
});

test("a coroutine polled after it finished throws", () => {
  const c = coroutine(function* () {
    return 1;
  });
  const w = new NoopWaker();
  c.poll(w);
  assert.throws(() => c.poll(w), /polled after it finished/);
});

test("loops with waits: a chain of ready futures runs in one poll", () => {
  let polls = 0;
  const c = coroutine(function* () {
    let sum = 0;
    for (let i = 0; i < 10_000; i++) sum += yield* wait(ready(i));
    return sum;
  });
  const w = new NoopWaker();
  let r;
  do {
    polls++;
    r = c.poll(w);
  } while (r === PENDING);
  assert.equal(r, 49_995_000);
  assert.equal(polls, 1);
});

test("a generator object works as a body: lazy until the first poll, output, errors, drop", () => {
  const log: string[] = [];
  function* body(x: number): CoroutineBody<number> {
    log.push("start");
    try {
      const y = yield* wait(sleep(5));
      log.push(`slept ${String(y)}`);
      return x * 2;
    } finally {
      log.push("finally");
    }
  }
  const c = coroutine(body(21));
  assert.deepEqual(log, [], "nothing runs before the first poll");
  assert.equal(new Executor().blockOn(c), 42);
  assert.deepEqual(log, ["start", "slept undefined", "finally"]);

  // An error thrown into it surfaces at the wait, as with a generator function.
  function* failing(): CoroutineBody<string> {
    try {
      yield* wait(new Failing(new Error("boom")));
      return "not reached";
    } catch (e) {
      return (e as Error).message;
    }
  }
  assert.equal(new Executor().blockOn(coroutine(failing())), "boom");

  // Dropped while waiting: the awaited future is dropped and `finally` runs.
  log.length = 0;
  const t = new Trigger(0);
  function* waiting(): CoroutineBody<void> {
    try {
      yield* wait(t);
    } finally {
      log.push("finally");
    }
  }
  const d = coroutine(waiting());
  assert.equal(d.poll(new NoopWaker()), PENDING);
  d.drop?.();
  assert.deepEqual(log, ["finally"]);
  assert.equal(t.drops, 1);

  // Dropped before its first poll: the generator never starts.
  log.length = 0;
  coroutine(body(1)).drop?.();
  assert.deepEqual(log, []);
});

test("coroutine refuses a body that is neither a generator function nor a generator", () => {
  for (const bad of [null, undefined, 42, "x", {}, Promise.resolve(1)]) {
    assert.throws(
      () => coroutine(bad as never),
      (e: unknown) => e instanceof TypeError && /generator function or a generator/.test(e.message),
    );
  }
});

test("100,000 coroutines from one generator function cost far less memory than from a function* per call", async () => {
  const r = await runModule(
    `
    import { coroutine, wait, NoopWaker, PENDING } from "reactor-executor";
    const n = 100000;
    // Each coroutine stays pending (as a sleeping task does), so its generator is alive.
    const never = { poll() { return PENDING; } };
    function* shared(i) { return i + (yield* wait(never)); }
    function measure(make) {
      const keep = new Array(n);
      globalThis.gc();
      const h0 = process.memoryUsage().heapUsed;
      // Started: V8 makes a generator function's prototype at its first call.
      for (let i = 0; i < n; i++) { keep[i] = make(i); keep[i].poll(new NoopWaker()); }
      globalThis.gc();
      const bytes = (process.memoryUsage().heapUsed - h0) / n;
      if (keep.length !== n) throw new Error("lost");
      return bytes;
    }
    const perCall = measure((i) => coroutine(function* fresh() { return i + (yield* wait(never)); }));
    const once = measure((i) => coroutine(shared(i)));
    console.log(JSON.stringify({ perCall, once }));
    `,
    { timeoutMs: 60_000, shell: "true", env: { NODE_OPTIONS: "--expose-gc" } },
  );
  assert.equal(r.code, 0, r.stderr);
  const { perCall, once } = JSON.parse(r.stdout) as { perCall: number; once: number };
  assert.ok(once > 0 && once * 2 < perCall, `one function: ${once.toFixed(0)} B each; a function* per call: ${perCall.toFixed(0)} B each`);
});
