import { test } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import {
  Executor,
  PENDING,
  abortable,
  channel,
  coroutine,
  fromAbortSignal,
  select,
  sleep,
  spawn,
  toPromise,
  wait,
  yieldNow,
} from "reactor-executor";
import { Trigger } from "./util/futures.js";
import { CountingWaker } from "./util/wakers.js";
import { runModule } from "./util/run-child.js";

test("fromAbortSignal completes with the reason when the signal aborts (at once if it already has)", () => {
  const ac = new AbortController();
  const f = fromAbortSignal(ac.signal);
  const w = new CountingWaker();
  assert.equal(f.poll(w), PENDING);
  assert.equal(getEventListeners(ac.signal, "abort").length, 1);
  const reason = new Error("stop");
  ac.abort(reason);
  assert.equal(w.wakes, 1);
  assert.equal(f.poll(w), reason);
  assert.equal(getEventListeners(ac.signal, "abort").length, 0, "the listener was removed");
  assert.equal(fromAbortSignal(AbortSignal.abort("why")).poll(w), "why");
});

test("fromAbortSignal with select cancels a future from another task, under blockOn", () => {
  const ac = new AbortController();
  const work = new Trigger("done");
  const r = new Executor().blockOn(
    coroutine(function* () {
      spawn(
        coroutine(function* () {
          yield* wait(sleep(2));
          ac.abort();
        }),
      );
      return yield* wait(select<unknown>([work, fromAbortSignal(ac.signal)]));
    }),
  );
  assert.equal(r.index, 1);
  assert.equal((r.value as Error).name, "AbortError");
  assert.equal(work.drops, 1);
});

test("a dropped fromAbortSignal removes its listener: a long-lived signal collects none", () => {
  const ac = new AbortController();
  new Executor().blockOn(
    coroutine(function* () {
      for (let i = 0; i < 100; i++) yield* wait(select<unknown>([yieldNow(), fromAbortSignal(ac.signal)]));
    }),
  );
  assert.equal(getEventListeners(ac.signal, "abort").length, 0);
});

test("abortable: toPromise(abortable(f, signal)) rejects with the signal's reason and drops f", async () => {
  const ac = new AbortController();
  const work = new Trigger(1);
  setTimeout(() => ac.abort(), 5);
  await assert.rejects(toPromise(abortable(work, ac.signal)), (e: unknown) => e instanceof DOMException && e.name === "AbortError");
  assert.equal(work.drops, 1);
  assert.equal(getEventListeners(ac.signal, "abort").length, 0);
  assert.equal(await toPromise(abortable(sleep(1), ac.signal)).catch(() => "rejected"), "rejected", "an aborted signal fails at once");
  assert.equal(await toPromise(abortable(sleep(1), new AbortController().signal)), undefined);
});

test("abortable is cancellation-safe: once aborted, the inner recv is not polled, so no value is taken", () => {
  const [tx, rx] = channel<number>(1);
  const ac = new AbortController();
  const f = abortable(rx.recv(), ac.signal);
  const w = new CountingWaker();
  assert.equal(f.poll(w), PENDING);
  tx.trySend(5);
  ac.abort();
  assert.throws(
    () => f.poll(w),
    (e: unknown) => (e as Error).name === "AbortError",
  );
  assert.equal(rx.tryRecv(), 5, "the value is still in the channel");
});

test("under run, AbortSignal.timeout cancels a future; a wait only an unref'd timer could end is a deadlock, as plain Node would exit", async () => {
  const t0 = performance.now();
  await assert.rejects(
    new Executor().run(
      coroutine(function* () {
        spawn(sleep(200)); // keeps the executor alive past the signal's timer
        yield* wait(abortable(new Trigger(1), AbortSignal.timeout(20)));
      }),
    ),
    (e: unknown) => (e as Error).name === "TimeoutError",
  );
  assert.ok(performance.now() - t0 >= 19);
  // Node's beforeExit is the deadlock signal under run, and the test runner watches it too: in a child.
  const r = await runModule(
    `
    import { Executor, fromAbortSignal } from "reactor-executor";
    try {
      await new Executor().run(fromAbortSignal(AbortSignal.timeout(50)));
      console.log("resolved?");
    } catch (e) { console.log(e.name, e.code); }
  `,
    { timeoutMs: 10_000 },
  );
  assert.equal(r.stdout, "DeadlockError EDEADLK\n", r.stderr);
});

test("bad input: not an AbortSignal", () => {
  assert.throws(() => fromAbortSignal({} as AbortSignal), TypeError);
  assert.throws(() => abortable(sleep(1), null as unknown as AbortSignal), TypeError);
});
