// toPromise(future, { signal }): an abort drops the future (inside its task's poll, on its
// executor) and rejects with the signal's reason; otherwise the signal changes nothing and its
// listener goes away with the future.
import { test } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import {
  Executor,
  PENDING,
  RuntimeError,
  coroutine,
  sleep,
  spawn,
  toPromise,
  wait,
  type Future,
  type Poll,
  type Waker,
} from "../src/index.js";
import { currentExecutor } from "../src/runtime/executor.js";

/** A future that never completes and records its polls and its drop (and whether an executor was polling then). */
class Forever implements Future<never> {
  polls = 0;
  dropped: "inside an executor" | "outside any executor" | null = null;
  poll(_waker: Waker): Poll<never> {
    this.polls++;
    return PENDING;
  }
  drop(): void {
    this.dropped = currentExecutor() === null ? "outside any executor" : "inside an executor";
  }
}

test("an abort drops the waiting future on its executor and rejects with an AbortError by default", async () => {
  const f = new Forever();
  const controller = new AbortController();
  const p = toPromise(f, { signal: controller.signal });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(f.polls, 1);
  controller.abort();
  await assert.rejects(p, (e: Error) => e.name === "AbortError" && e === controller.signal.reason);
  assert.equal(f.dropped, "inside an executor");
  assert.equal(getEventListeners(controller.signal, "abort").length, 0);
});

test("abort(reason) rejects with that reason", async () => {
  const controller = new AbortController();
  const p = toPromise(sleep(60_000), { signal: controller.signal });
  const reason = new Error("user gave up");
  setTimeout(() => controller.abort(reason), 5);
  await assert.rejects(p, (e) => e === reason);
});

test("AbortSignal.timeout: a long sleep rejects with its TimeoutError", async () => {
  const t0 = Date.now();
  await assert.rejects(toPromise(sleep(60_000), { signal: AbortSignal.timeout(30) }), { name: "TimeoutError" });
  assert.ok(Date.now() - t0 < 30_000);
});

test("an already aborted signal rejects at once and never polls the future", async () => {
  const f = new Forever();
  await assert.rejects(toPromise(f, { signal: AbortSignal.abort() }), { name: "AbortError" });
  assert.equal(f.polls, 0);
  assert.equal(f.dropped, null);
});

test("a future that ends first settles as usual, and the signal's listener is gone", async () => {
  const controller = new AbortController();
  assert.equal(
    await toPromise(
      coroutine(function* () {
        yield* wait(sleep(1));
        return 7;
      }),
      { signal: controller.signal },
    ),
    7,
  );
  assert.equal(getEventListeners(controller.signal, "abort").length, 0);
  const failing = toPromise(
    coroutine(function* () {
      yield* wait(sleep(1));
      throw new RangeError("failed");
    }),
    { signal: controller.signal },
  );
  await assert.rejects(failing, RangeError);
  assert.equal(getEventListeners(controller.signal, "abort").length, 0);
  controller.abort();
});

test("inside a running executor: a task aborts another task's promise; the run ends with the dropped task", async () => {
  const controller = new AbortController();
  const f = new Forever();
  let p: Promise<unknown> | null = null;
  await new Executor().run(
    coroutine(function* () {
      p = toPromise(f, { signal: controller.signal });
      spawn(
        coroutine(function* () {
          yield* wait(sleep(5));
          controller.abort();
        }),
      );
    }),
  );
  await assert.rejects(p!, { name: "AbortError" });
  assert.equal(f.dropped, "inside an executor");
});

test("a signal that is not an AbortSignal is refused", () => {
  assert.throws(() => toPromise(sleep(1), { signal: {} as AbortSignal }), RuntimeError);
});
