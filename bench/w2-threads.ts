/**
 * W2 split over executor threads (the threads issue's measurement): 10,000 GETs `/0/hello{i}`,
 * 1,000 in flight in all, divided evenly over `threads` executors started with `spawnThread`
 * (the main executor only joins them). Every body is checked. Prints wall, CPU and peak RSS.
 *
 *   node dist/bench/w2-threads.js <threads> --port P [--n 10000] [--concurrency 1000]
 *
 * Compare `1` and `2` in the same session, the delay server on its own core or not: on a 2-core
 * machine the server competes with the client threads for the cores.
 *
 * @module
 */
import { isMainThread } from "node:worker_threads";
import { init, coroutine, wait, spawn, spawnThread, Http, Executor, type Future, type JoinHandle } from "reactor-executor";
import { checkRawResponse } from "./lib/http-check.js";
import { emit, parseArgs, startMeasure, stopMeasure } from "./lib/report.js";

/** One thread's share: requests `first`, `first + stride`, ... with `concurrency` in flight. */
export function share(port: number, first: number, stride: number, n: number, concurrency: number, done: SharedArrayBuffer): Future<void> {
  return coroutine(function* () {
    let next = first;
    const workers: JoinHandle<void>[] = [];
    for (let w = 0; w < concurrency; w++) {
      workers.push(
        spawn(
          coroutine(function* () {
            while (next < n) {
              const i = next;
              next += stride;
              const text = yield* wait(Http.get(`/0/hello${i}`, { port }));
              checkRawResponse(text, `hello${i}`, `GET /0/hello${i}`);
              Atomics.add(new Int32Array(done), 0, 1);
            }
          }),
        ),
      );
    }
    for (const h of workers) yield* wait(h);
  });
}

if (isMainThread) {
  const { positional, flags } = parseArgs(process.argv.slice(2));
  const threads = Number(positional[0] ?? "1");
  const port = Number(flags.get("port") ?? "8080");
  const n = Number(flags.get("n") ?? "10000");
  const concurrency = Number(flags.get("concurrency") ?? "1000");
  const done = new SharedArrayBuffer(4);
  init();
  const m = startMeasure();
  const handles = Array.from({ length: threads }, (_, t) =>
    spawnThread(`exec-${t + 1}`, import.meta.url, "share", port, t, threads, n, Math.ceil(concurrency / threads), done),
  );
  new Executor().blockOn(
    coroutine(function* () {
      for (const h of handles) yield* wait(h.join());
    }),
  );
  const measured = stopMeasure(m);
  const checked = Atomics.load(new Int32Array(done), 0);
  if (checked !== n) throw new Error(`only ${checked} of ${n} responses checked`);
  emit({ workload: "W2-threads", contender: `${threads}-thread${threads > 1 ? "s" : ""}`, threads, n, concurrency, checked, ...measured });
}
