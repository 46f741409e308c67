/**
 * W4 spawn storm: 1,000,000 trivial tasks spawned and joined. Prints one JSON line: wall time and
 * bytes per task (heap growth while all tasks exist, measured with --expose-gc).
 * Contenders: `ours` (spawn, then await each handle in turn, as `for h in handles { h.await }`
 * does in Rust; `all` as third argument joins them with `joinAll` instead), `promise-all`
 * (Promise.all over 1,000,000 async calls).
 *
 *   node --expose-gc dist/bench/w4-spawn.js <contender> [n] [each|all]
 */
import { Executor, coroutine, wait, joinAll, spawn, ready, type JoinHandle } from "reactor-executor";

const [contender = "ours", nArg = "1000000", join = "each"] = process.argv.slice(2);
const n = Number(nArg);
const gc = (globalThis as { gc?: () => void }).gc;

function heap(): number {
  gc?.();
  return process.memoryUsage().heapUsed;
}

let peakDelta = 0;
const h0 = heap();
const t0 = process.hrtime.bigint();
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
  const task = async (i: number): Promise<number> => i;
  const all: Promise<number>[] = new Array(n);
  for (let i = 0; i < n; i++) all[i] = task(i);
  if (gc) peakDelta = process.memoryUsage().heapUsed - h0;
  const outs = await Promise.all(all);
  for (const x of outs) sum += x;
} else {
  throw new Error(`unknown contender ${contender}`);
}
const ns = Number(process.hrtime.bigint() - t0);
if (sum !== (n * (n - 1)) / 2) throw new Error(`wrong sum ${sum}`);
console.log(JSON.stringify({ workload: "W4", contender, n, ms: ns / 1e6, bytesPerTask: gc ? peakDelta / n : null }));
