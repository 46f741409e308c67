/**
 * HTTP client contenders for W1, W2, W2d (and the plain-Node side of W6), one process per run.
 * Every response body is checked; a wrong one throws and the process exits non-zero.
 *
 * | workload | requests                            | in flight | overhead base |
 * | -------- | ----------------------------------- | --------- | ------------- |
 * | W1       | 5 x `/{i*1000}/HelloWorld{i}`       | 5         | 4,000 ms      |
 * | W2       | 10,000 x `/0/hello{i}`              | 1,000     | 0             |
 * | W2d      | 10,000 x `/1000/m{i}`               | 10,000    | 1,000 ms      |
 * | W6       | 12 x 5 x `/{i*1000}/HelloWorld{i}`  | 60        | 4,000 ms      |
 *
 * Contenders (one connection per request everywhere, `Connection: close`):
 * - `ours-thread` / `ours-inline`: `init()` / `init({ reactor: "inline" })`, then `blockOn` with
 *   `Http.get` (the whole response text, read until close); `joinAll` over all requests when they
 *   are all in flight at once (W1, W2d, W6), else `concurrency` spawned tasks pulling the next index.
 * - `http.get`: `node:http` with an `Agent({ keepAlive: false })` and `Connection: close`.
 * - `fetch`: the global fetch (undici) with `Connection: close` (honoured: one connection each).
 * - `net`: `net.connect`, write the same GET, read until close; the same raw check as ours.
 *
 *   node dist/bench/http-fanout.js <contender> --workload W2 --port 8080 [--n N] [--concurrency C]
 *
 * @module
 */
import http from "node:http";
import net from "node:net";
import { checkBody, checkRawResponse } from "./lib/http-check.js";
import { emit, parseArgs, startMeasure, stopMeasure } from "./lib/report.js";

interface Shape {
  n: number;
  concurrency: number;
  base: number;
  path(i: number): string;
  body(i: number): string;
}

const SHAPES: Record<string, Shape> = {
  W1: { n: 5, concurrency: 5, base: 4000, path: (i) => `/${i * 1000}/HelloWorld${i}`, body: (i) => `HelloWorld${i}` },
  W2: { n: 10_000, concurrency: 1000, base: 0, path: (i) => `/0/hello${i}`, body: (i) => `hello${i}` },
  W2d: { n: 10_000, concurrency: 10_000, base: 1000, path: (i) => `/1000/m${i}`, body: (i) => `m${i}` },
  W6: { n: 60, concurrency: 60, base: 4000, path: (i) => `/${(i % 5) * 1000}/HelloWorld${i % 5}`, body: (i) => `HelloWorld${i % 5}` },
};

const { positional, flags } = parseArgs(process.argv.slice(2));
const contender = positional[0] ?? "ours-thread";
const workload = flags.get("workload") ?? "W2";
const shape = SHAPES[workload];
if (shape === undefined) throw new Error(`unknown workload ${workload}`);
const port = Number(flags.get("port") ?? "8080");
const host = "127.0.0.1";
const n = Number(flags.get("n") ?? shape.n);
const concurrency = Math.min(n, Number(flags.get("concurrency") ?? shape.concurrency));
let checked = 0;

/** Runs `one(i)` for i in 0..n with at most `concurrency` in flight (promise-based contenders). */
async function fanOut(one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await one(next++);
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < concurrency; w++) workers.push(worker());
  await Promise.all(workers);
}

async function runOurs(mode: "thread" | "inline"): Promise<ReturnType<typeof stopMeasure>> {
  const { init, coroutine, wait, spawn, joinAll, Http } = await import("reactor-executor");
  const ex = init(mode === "inline" ? { reactor: "inline" } : {});
  const m = startMeasure();
  ex.blockOn(
    coroutine(function* () {
      if (concurrency >= n) {
        const futures = [];
        for (let i = 0; i < n; i++) futures.push(Http.get(shape!.path(i), { host, port }));
        const texts = yield* wait(joinAll(futures));
        for (let i = 0; i < n; i++) {
          checkRawResponse(texts[i]!, shape!.body(i), `GET ${shape!.path(i)}`);
          checked++;
        }
      } else {
        let next = 0;
        const handles = [];
        for (let w = 0; w < concurrency; w++) {
          handles.push(
            spawn(
              coroutine(function* worker() {
                while (next < n) {
                  const i = next++;
                  const text = yield* wait(Http.get(shape!.path(i), { host, port }));
                  checkRawResponse(text, shape!.body(i), `GET ${shape!.path(i)}`);
                  checked++;
                }
              }),
            ),
          );
        }
        for (const h of handles) yield* wait(h);
      }
    }),
  );
  return stopMeasure(m);
}

async function runHttpGet(): Promise<ReturnType<typeof stopMeasure>> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const one = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const path = shape!.path(i);
      const req = http.get({ host, port, path, agent, headers: { Connection: "close" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          try {
            checkBody(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"), shape!.body(i), `GET ${path}`);
            checked++;
            resolve();
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
        res.on("error", reject);
      });
      req.on("error", reject);
    });
  const m = startMeasure();
  await fanOut(one);
  return stopMeasure(m);
}

async function runFetch(): Promise<ReturnType<typeof stopMeasure>> {
  const one = async (i: number): Promise<void> => {
    const path = shape!.path(i);
    const res = await fetch(`http://${host}:${port}${path}`, { headers: { connection: "close" } });
    checkBody(res.status, await res.text(), shape!.body(i), `GET ${path}`);
    checked++;
  };
  const m = startMeasure();
  await fanOut(one);
  return stopMeasure(m);
}

async function runNet(): Promise<ReturnType<typeof stopMeasure>> {
  const one = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const path = shape!.path(i);
      const chunks: Buffer[] = [];
      const socket = net.connect({ host, port }, () => {
        socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`);
      });
      socket.on("data", (c: Buffer) => chunks.push(c));
      socket.on("error", reject);
      socket.on("end", () => {
        try {
          checkRawResponse(Buffer.concat(chunks).toString("utf8"), shape!.body(i), `GET ${path}`);
          checked++;
          resolve();
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
  const m = startMeasure();
  await fanOut(one);
  return stopMeasure(m);
}

let measured: ReturnType<typeof stopMeasure>;
switch (contender) {
  case "ours-thread":
    measured = await runOurs("thread");
    break;
  case "ours-inline":
    measured = await runOurs("inline");
    break;
  case "http.get":
    measured = await runHttpGet();
    break;
  case "fetch":
    measured = await runFetch();
    break;
  case "net":
    measured = await runNet();
    break;
  default:
    throw new Error(`unknown contender ${contender}`);
}
if (checked !== n) throw new Error(`${contender}: ${checked} bodies checked, expected ${n}`);
emit({ workload, contender, n, concurrency, checked, ...measured, overheadMs: measured.wallMs - shape.base });
