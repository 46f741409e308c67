import { test } from "node:test";
import assert from "node:assert/strict";
import { Executor, coroutine, wait, sleep, ready, timeout, NoopWaker, PENDING, TimeoutError } from "reactor-executor";
import { Failing, Trigger } from "./util/futures.js";

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
