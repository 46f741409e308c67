/**
 * W4 spawn storm: 1,000,000 trivial tasks spawned and joined. Prints one JSON line: wall time and
 * bytes per task (heap growth while all tasks exist, measured with --expose-gc), plus CPU and RSS.
 * Contenders: `ours` (spawn, then await each handle in turn, as `for h in handles { h.await }`
 * does in Rust; `all` as third argument joins them with `joinAll` instead), `promise-all`
 * (Promise.all over 1,000,000 async calls), `effect` (1,000,000 fibers forked with
 * `Effect.forkChild` (4.x; `fork` on 3.x), then each joined with `Fiber.join`).
 *
 *   node --expose-gc dist/bench/w4-spawn.js <contender> [n] [each|all]
 */
import { Executor, coroutine, wait, joinAll, spawn, ready, type JoinHandle } from "reactor-executor";
import { forkOf, loadEffect } from "./lib/effect.js";
import { emit, startMeasure, stopMeasure } from "./lib/report.js";

const [contender = "ours", nArg = "1000000", join = "each"] = process.argv.slice(2);
const n = Number(nArg);
const gc = (globalThis as { gc?: () => void }).gc;
const effect = contender === "effect" ? await loadEffect() : null;

function heap(): number {
  gc?.();
  return process.memoryUsage().heapUsed;
}

let peakDelta = 0;
const h0 = heap();
const m = startMeasure();
let sum = 0;
if (contender === "ours") {
  sum = new Executor().blockOn(
    coroutine(function* () {
      const handles: JoinHandle<number>[] = new Array(n);
      for (let i = 0; i < n; i++) handles[i] = spawn(ready(i));
      // Every task exists now, none has run: the footprint of a spawned task.
      if (gc) peakDelta = process.memoryUsage().heapUsed - h0;
      let s = 0;
      if (join === "all") {
        for (const x of yield* wait(joinAll(handles))) s += x;
      } else {
        for (const h of handles) s += yield* wait(h);
      }
      return s;
    }),
  );
} else if (contender === "promise-all") {
  // eslint-disable-next-line @typescript-eslint/require-await -- the contender: a trivial async function
  const task = async (i: number): Promise<number> => i;
  const all: Promise<number>[] = new Array(n);
  for (let i = 0; i < n; i++) all[i] = task(i);
  if (gc) peakDelta = process.memoryUsage().heapUsed - h0;
  const outs = await Promise.all(all);
  for (const x of outs) sum += x;
} else if (contender === "effect") {
  const { Effect, Fiber } = effect!;
  const fork = forkOf(Effect);
  sum = await Effect.runPromise(
    Effect.gen(function* () {
      const fibers = new Array(n);
      for (let i = 0; i < n; i++) fibers[i] = yield* fork(Effect.succeed(i));
      // Every fiber exists now (some may have run already: forking schedules them).
      if (gc) peakDelta = process.memoryUsage().heapUsed - h0;
      let s = 0;
      for (const f of fibers) s += yield* Fiber.join(f);
      return s;
    }),
  );
} else {
  throw new Error(`unknown contender ${contender}`);
}
const measured = stopMeasure(m);
if (sum !== (n * (n - 1)) / 2) throw new Error(`wrong sum ${sum}`);
emit({ workload: "W4", contender, n, join, ...measured, ms: measured.wallMs, bytesPerTask: gc ? peakDelta / n : null });
