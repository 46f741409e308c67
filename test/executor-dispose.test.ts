// JoinHandle[Symbol.dispose] detaches, as dropping a handle does: the task runs on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Executor, coroutine, sleep, spawn, wait } from "../src/index.js";

test("disposing of a JoinHandle (using) detaches: the task runs to its end, nothing aborts it", () => {
  const log: string[] = [];
  new Executor().blockOn(
    coroutine(function* () {
      {
        using h = spawn(
          coroutine(function* () {
            yield* wait(sleep(10));
            log.push("task ended");
          }),
        );
        assert.equal(h.finished, false);
      }
      log.push("block left");
    }),
  );
  assert.deepEqual(log, ["block left", "task ended"]);
});

test("a disposed handle can still be awaited: disposing only stops the handle from being told", () => {
  const v = new Executor().blockOn(
    coroutine(function* () {
      const h = spawn(
        coroutine(function* () {
          yield* wait(sleep(1));
          return 5;
        }),
      );
      h[Symbol.dispose]();
      return yield* wait(h);
    }),
  );
  assert.equal(v, 5);
});
