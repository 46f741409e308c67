import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import {
  Executor,
  NoopWaker,
  coroutine,
  wait,
  spawn,
  joinAll,
  timeout,
  exportWaker,
  releaseWaker,
  PENDING,
  type Future,
  type Poll,
  type Waker,
} from "../src/index.js";
import { wakeHubBuffer } from "../src/runtime/wake-hub.js";

/** Pending until the worker has sent all its wakes; counts its polls. */
class RemoteWoken implements Future<number> {
  polls = 0;
  private ref = -1;
  constructor(
    private readonly i: number,
    private readonly perTask: number,
    private readonly refs: Int32Array,
    private readonly sent: Int32Array,
    private readonly control: Int32Array,
  ) {}
  poll(waker: Waker): Poll<number> {
    this.polls++;
    if (this.ref < 0) {
      this.ref = exportWaker(waker);
      Atomics.store(this.refs, this.i, this.ref);
      Atomics.add(this.control, 0, 1);
      Atomics.notify(this.control, 0);
    }
    if (Atomics.load(this.sent, this.i) === this.perTask) {
      releaseWaker(this.ref);
      return this.polls;
    }
    return PENDING;
  }
}

test("1,000,000 cross-thread wakes: every task finishes, no task polled more than woken + 1", () => {
  const tasks = 100;
  const perTask = 10_000;
  const control = new Int32Array(new SharedArrayBuffer(4));
  const refs = new Int32Array(new SharedArrayBuffer(4 * tasks));
  const sent = new Int32Array(new SharedArrayBuffer(4 * tasks));
  const worker = new Worker(new URL("./util/waker-worker.js", import.meta.url), {
    workerData: { hub: wakeHubBuffer(), control: control.buffer, refs: refs.buffer, sent: sent.buffer, tasks, perTask, burst: 50, seed: 7 },
  });
  const ex = new Executor();
  const futures = Array.from({ length: tasks }, (_, i) => new RemoteWoken(i, perTask, refs, sent, control));
  const t0 = performance.now();
  const polls = ex.blockOn(
    timeout(
      coroutine(function* () {
        return yield* wait(joinAll(futures.map((f) => spawn(f))));
      }),
      120_000, // a lost wake-up shows as this timeout instead of a hang
    ),
  );
  const ms = performance.now() - t0;
  void worker.terminate();
  let total = 0;
  for (let i = 0; i < tasks; i++) {
    assert.equal(Atomics.load(sent, i), perTask);
    assert.ok(polls[i]! <= perTask + 1, `task ${i} polled ${polls[i]} times for ${perTask} wakes`);
    assert.ok(polls[i]! >= 2);
    total += polls[i]!;
  }
  assert.ok(ex.parks > 0, "the executor never parked");
  console.log(`# ${tasks * perTask} wakes, ${total} polls, ${ex.parks} parks, ${ms.toFixed(0)} ms`);
});

test("exportWaker outside a running executor throws", () => {
  assert.throws(() => exportWaker(new NoopWaker()), /running executor/);
});
