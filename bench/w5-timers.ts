/**
 * W5 timers: 100,000 sleeps with durations uniform over 0..1,000 ms (whole ms, the same seeded
 * sequence for every contender), all started at once. Lateness of one sleep = (when it resumed -
 * when it started) - its duration, measured inside the task around the sleep itself, so the time
 * to create 100,000 tasks is nobody's lateness. Prints CPU, wall, peak RSS and lateness mean /
 * p50 / p99 / max (ms).
 *
 * Contenders: `ours` (`new Executor().blockOn`, 100,000 spawned coroutines doing
 * `yield* wait(sleep(d))`, `coroutine(timer(i))` with `function* timer` declared once), `timers-promises` (100,000 async calls doing
 * `await setTimeout(d)` from `node:timers/promises`; Node turns 0 into 1 ms, its rule), `effect`
 * (100,000 fibers doing `yield* Effect.sleep(d)`, joined).
 *
 *   node dist/bench/w5-timers.js <contender> [n] [maxMs]
 */
import { setTimeout as sleepPromise } from "node:timers/promises";
import { Executor, coroutine, wait, sleep, spawn, type CoroutineBody, type JoinHandle } from "reactor-executor";
import { forkOf, loadEffect } from "./lib/effect.js";
import { emit, rng, startMeasure, stopMeasure } from "./lib/report.js";
import { mean, percentileSorted } from "./lib/stats.js";

const [contender = "ours", nArg = "100000", maxArg = "1000"] = process.argv.slice(2);
const n = Number(nArg);
const maxMs = Number(maxArg);
const effect = contender === "effect" ? await loadEffect() : null;

const random = rng(0x5eed);
const durations = new Float64Array(n);
for (let i = 0; i < n; i++) durations[i] = Math.floor(random() * (maxMs + 1));
const late = new Float64Array(n).fill(NaN);

const m = startMeasure();
if (contender === "ours") {
  // Declared once and called per task, as `one` is below (see `coroutine` on why it matters).
  function* timer(i: number): CoroutineBody<void> {
    const d = durations[i]!;
    const t = performance.now();
    yield* wait(sleep(d));
    late[i] = performance.now() - t - d;
  }
  new Executor().blockOn(
    coroutine(function* () {
      const handles: JoinHandle<void>[] = new Array(n);
      for (let i = 0; i < n; i++) handles[i] = spawn(coroutine(timer(i)));
      for (const h of handles) yield* wait(h);
    }),
  );
} else if (contender === "timers-promises") {
  const one = async (i: number): Promise<void> => {
    const d = durations[i]!;
    const t = performance.now();
    await sleepPromise(d);
    late[i] = performance.now() - t - d;
  };
  const all: Promise<void>[] = new Array(n);
  for (let i = 0; i < n; i++) all[i] = one(i);
  await Promise.all(all);
} else if (contender === "effect") {
  const { Effect, Fiber } = effect!;
  const fork = forkOf(Effect);
  const one = (i: number): unknown =>
    Effect.gen(function* () {
      const d = durations[i]!;
      const t = performance.now();
      yield* Effect.sleep(d);
      late[i] = performance.now() - t - d;
    });
  await Effect.runPromise(
    Effect.gen(function* () {
      const fibers = new Array(n);
      for (let i = 0; i < n; i++) fibers[i] = yield* fork(one(i));
      for (const f of fibers) yield* Fiber.join(f);
    }),
  );
} else {
  throw new Error(`unknown contender ${contender}`);
}
const measured = stopMeasure(m);

const sorted = Float64Array.from(late).sort();
if (Number.isNaN(sorted[n - 1]!)) throw new Error(`${contender}: some sleeps never finished`);
// A sleep that resumed early is a broken timer, not a fast one.
const early = sorted[0]! < -0.001 ? sorted[0]! : 0;
if (early < -1) throw new Error(`${contender}: a sleep resumed ${-early} ms early`);
emit({
  workload: "W5",
  contender,
  n,
  maxMs,
  ...measured,
  lateMeanMs: mean(sorted),
  lateP50Ms: percentileSorted(sorted, 50),
  lateP99Ms: percentileSorted(sorted, 99),
  lateMaxMs: sorted[n - 1]!,
  lateMinMs: sorted[0]!,
});
