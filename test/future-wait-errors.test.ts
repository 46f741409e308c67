// What a coroutine's `wait` does with errors: the error thrown at a `wait` carries that `wait`'s
// line (the user's frame), captured only when an error is thrown; `yield wait(f)` (the star
// forgotten) is an error that says what to write.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  Executor,
  coroutine,
  wait,
  ready,
  sleep,
  joinAll,
  type CoroutineBody,
  type Future,
  type Poll,
  type Waker,
  PENDING,
} from "reactor-executor";

const thisFile = new URL(import.meta.url).pathname;
const compiled = readFileSync(thisFile, "utf8").split("\n");
/** The 1-based line of the compiled test file that holds `marker`. */
function lineOf(marker: string): number {
  const i = compiled.findIndex((l) => l.includes(marker) && !l.includes("lineOf("));
  assert.ok(i !== -1, marker);
  return i + 1;
}

/** Pending on its first poll (it wakes itself), then throws an error made inside its own poll. */
class FailsLater implements Future<never> {
  private polled = false;
  poll(waker: Waker): Poll<never> {
    if (!this.polled) {
      this.polled = true;
      waker.wake();
      return PENDING;
    }
    throw new Error("refused");
  }
}

function* inner(): CoroutineBody<number> {
  yield* wait(new FailsLater()); // INNER-WAIT
  return 1;
}

function* outer(): CoroutineBody<number> {
  const n = yield* wait(coroutine(inner())); // OUTER-WAIT
  return n;
}

test("an error thrown at a wait carries the wait's line, and each enclosing coroutine's", () => {
  let error: Error | undefined;
  try {
    new Executor().blockOn(coroutine(outer()));
  } catch (e) {
    error = e as Error;
  }
  assert.ok(error instanceof Error && error.message === "refused", String(error));
  const stack = error.stack!;
  const innerAt = stack.indexOf(`${thisFile}:${lineOf("// INNER-WAIT")}:`);
  const outerAt = stack.indexOf(`${thisFile}:${lineOf("// OUTER-WAIT")}:`);
  assert.ok(innerAt !== -1, `the inner wait's line is missing:\n${stack}`);
  assert.ok(outerAt > innerAt, `the outer wait's line is missing or first:\n${stack}`);
  assert.match(stack, /\n {4}at wait in inner \(/);
  assert.match(stack, /\n {4}at wait in outer \(/);
});

test("a wait line is added to the error the user catches too", () => {
  const where = new Executor().blockOn(
    coroutine(function* () {
      try {
        yield* wait(new FailsLater()); // CAUGHT-WAIT
        return "";
      } catch (e) {
        return (e as Error).stack!;
      }
    }),
  );
  assert.ok(where.includes(`${thisFile}:${lineOf("// CAUGHT-WAIT")}:`), where);
});

test("a non-Error thrown at a wait is passed through unchanged", () => {
  const thrown = Object.freeze({ reason: "plain" });
  const failing: Future<never> = {
    poll() {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- what is tested: a thrown non-Error
      throw thrown;
    },
  };
  const got = new Executor().blockOn(
    coroutine(function* () {
      try {
        yield* wait(failing);
      } catch (e) {
        return e;
      }
      return undefined;
    }),
  );
  assert.equal(got, thrown);
});

test("waits that succeed capture no stack (the site is taken on the error path only)", () => {
  const original = Error.captureStackTrace.bind(Error);
  let captures = 0;
  Error.captureStackTrace = (target: object, ctor?: (...args: never[]) => unknown) => {
    captures++;
    original(target, ctor);
  };
  try {
    const out = new Executor().blockOn(
      coroutine(function* () {
        let sum = 0;
        for (let i = 0; i < 1000; i++) sum += yield* wait(ready(i));
        yield* wait(sleep(1));
        const all = yield* wait(
          joinAll(
            [1, 2, 3].map((i) =>
              coroutine(function* () {
                return yield* wait(ready(i));
              }),
            ),
          ),
        );
        return sum + all.length;
      }),
    );
    assert.equal(out, 499_503);
    assert.equal(captures, 0);
  } finally {
    Error.captureStackTrace = original;
  }
});

test("`yield wait(f)` (no star) is an error naming `yield* wait(f)`, thrown at that yield", () => {
  const message = new Executor().blockOn(
    coroutine(function* () {
      try {
        // The type already refuses this; the cast is what a JavaScript caller would not need.
        yield wait(ready(1)) as unknown as Future<unknown>;
        return "no error";
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
    }),
  );
  assert.equal(message, "TypeError: a coroutine yielded `wait(f)` itself: write `yield* wait(f)` (with the star), not `yield wait(f)`");
});
