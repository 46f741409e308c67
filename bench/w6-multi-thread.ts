/**
 * W6 the book's multi-thread program (ch08/d-multiple-threads): 12 executors (the main one and
 * 11 threads "exec-1".."exec-11") each running `async_main` (5 requests `/{i*1000}/HelloWorld{i}`);
 * overhead = wall - 4,000 ms. All 60 bodies are checked.
 *
 * Contenders here (the single-threaded `http.get`/`fetch`/`net` versions of the same 60 requests
 * are `http-fanout.js --workload W6`):
 * - `ours-thread`: `init()`, 11 x `spawnThread("exec-i", w6-thread-main.js, "asyncMain", port, counter)`,
 *   `asyncMain` on the main executor, then every handle's `join()`. (The inline reactor refuses
 *   `spawnThread` by design, so there is no `ours-inline` here.)
 * - `net-workers`: the same shape in plain Node: 11 `worker_threads` + the main thread, each making
 *   its 5 requests with `net.connect`, read until close (w6-net-worker.ts).
 *
 *   node dist/bench/w6-multi-thread.js <contender> --port P
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { emit, parseArgs, startMeasure, stopMeasure } from "./lib/report.js";
import { fiveRequests } from "./w6-net-worker.js";

const THREADS = 11;
const PER_EXECUTOR = 5;

{
  const { positional, flags } = parseArgs(process.argv.slice(2));
  const contender = positional[0] ?? "ours-thread";
  const port = Number(flags.get("port") ?? "8080");
  let checked: number;
  let measured: ReturnType<typeof stopMeasure>;

  if (contender === "ours-thread") {
    const { init, coroutine, wait, spawnThread } = await import("reactor-executor");
    const { asyncMain } = await import("./w6-thread-main.js");
    const counter = new SharedArrayBuffer(4);
    const executor = init();
    const m = startMeasure();
    const handles: ReturnType<typeof spawnThread>[] = [];
    for (let i = 1; i <= THREADS; i++) {
      handles.push(spawnThread(`exec-${i}`, new URL("./w6-thread-main.js", import.meta.url), "asyncMain", port, counter));
    }
    executor.blockOn(
      coroutine(function* () {
        yield* wait(asyncMain(port, counter));
        for (const h of handles) yield* wait(h.join());
      }),
    );
    measured = stopMeasure(m);
    checked = Atomics.load(new Int32Array(counter), 0);
  } else if (contender === "net-workers") {
    const m = startMeasure();
    const workers: Promise<void>[] = [];
    for (let i = 1; i <= THREADS; i++) {
      const w = new Worker(new URL("./w6-net-worker.js", import.meta.url), { workerData: { port, w6: true }, name: `exec-${i}` });
      workers.push(
        new Promise((resolve, reject) => {
          let done = false;
          w.on("message", () => (done = true));
          w.on("error", reject);
          w.on("exit", (code) => (done && code === 0 ? resolve() : reject(new Error(`worker exec-${i} exited with ${code}`))));
        }),
      );
    }
    await fiveRequests(port);
    await Promise.all(workers);
    measured = stopMeasure(m);
    checked = (THREADS + 1) * PER_EXECUTOR;
  } else {
    throw new Error(`unknown contender ${contender}`);
  }
  const expected = (THREADS + 1) * PER_EXECUTOR;
  if (checked !== expected) throw new Error(`${contender}: ${checked} bodies checked, expected ${expected}`);
  emit({ workload: "W6", contender, n: expected, checked, ...measured, overheadMs: measured.wallMs - 4000 });
}
