/**
 * Keep-alive client contenders for W2k (http) and W2s (https), one process per run. Every
 * response's status and body are checked; a wrong one throws and the process exits non-zero.
 *
 * | workload | requests              | target                                       | in flight | connections |
 * | -------- | --------------------- | -------------------------------------------- | --------- | ----------- |
 * | W2k      | 10,000 x `/0/k{i}`    | the delay server (http)                      | 1,000     | at most 50  |
 * | W2s      | 10,000 x `/0/s{i}`    | the `node:https` delay server (TLS, test CA) | 1,000     | at most 50  |
 *
 * Contenders (connections kept alive everywhere):
 * - `ours-thread` / `ours-inline`: `init()` / `init({ reactor: "inline" })`, an
 *   `HttpClient({ maxConnectionsPerOrigin: 50 })`, 1,000 spawned tasks pulling the next index,
 *   `client.request` (buffered), `blockOn`.
 * - `http.get` (W2k) / `https.get` (W2s): an `Agent({ keepAlive: true, maxSockets: 50 })`, 1,000
 *   async loops (the agent queues what exceeds 50).
 * - `fetch`: the global fetch (undici's default agent, which keeps connections alive but has no
 *   per-origin limit a program can set without the undici package): 50 async loops, so at most
 *   50 connections too.
 *
 * W2s trusts the test CA through `--ca FILE` (ours: `tls: { ca }`; https.get: `ca`) and, for
 * fetch, `NODE_EXTRA_CA_CERTS` (set by the harness for every W2s contender).
 *
 *   node dist/bench/http-keepalive.js <contender> --workload W2k --port 8080 [--ca FILE] [--n N]
 *
 * @module
 */
import http from "node:http";
import https from "node:https";
import { readFileSync } from "node:fs";
import { checkBody } from "./lib/http-check.js";
import { emit, parseArgs, startMeasure, stopMeasure } from "./lib/report.js";

const { positional, flags } = parseArgs(process.argv.slice(2));
const contender = positional[0] ?? "ours-thread";
const workload = flags.get("workload") ?? "W2k";
if (workload !== "W2k" && workload !== "W2s") throw new Error(`unknown workload ${workload}`);
const secure = workload === "W2s";
const port = Number(flags.get("port") ?? "8080");
const n = Number(flags.get("n") ?? "10000");
const inFlight = 1000;
const connections = 50;
const caFile = flags.get("ca");
const ca = caFile === undefined ? undefined : readFileSync(caFile, "utf8");
if (secure && ca === undefined) throw new Error("W2s needs --ca FILE");
// The certificate names localhost.
const origin = secure ? `https://localhost:${port}` : `http://127.0.0.1:${port}`;
const prefix = secure ? "s" : "k";
const path = (i: number): string => `/0/${prefix}${i}`;
let checked = 0;

/** Runs `one(i)` for i in 0..n with `loops` async loops (promise-based contenders). */
async function fanOut(loops: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await one(next++);
  };
  await Promise.all(Array.from({ length: Math.min(loops, n) }, worker));
}

async function runOurs(mode: "thread" | "inline"): Promise<ReturnType<typeof stopMeasure>> {
  const { init, coroutine, wait, spawn, HttpClient } = await import("reactor-executor");
  const ex = init(mode === "inline" ? { reactor: "inline" } : {});
  const client = new HttpClient({ maxConnectionsPerOrigin: connections });
  const tls = ca === undefined ? undefined : { ca };
  const m = startMeasure();
  ex.blockOn(
    coroutine(function* () {
      let next = 0;
      const handles = [];
      for (let w = 0; w < Math.min(inFlight, n); w++) {
        handles.push(
          spawn(
            coroutine(function* worker() {
              while (next < n) {
                const i = next++;
                const res = yield* wait(client.request(tls === undefined ? { url: origin + path(i) } : { url: origin + path(i), tls }));
                checkBody(res.status, res.text(), `${prefix}${i}`, `GET ${path(i)}`);
                checked++;
              }
            }),
          ),
        );
      }
      for (const h of handles) yield* wait(h);
    }),
  );
  const measured = stopMeasure(m);
  const stats = client.stats();
  if (stats.opened > connections) throw new Error(`${stats.opened} connections opened, limit ${connections}`);
  client.close();
  return measured;
}

async function runNodeGet(): Promise<ReturnType<typeof stopMeasure>> {
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: connections, ca })
    : new http.Agent({ keepAlive: true, maxSockets: connections });
  const get = secure ? https.get : http.get;
  const one = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = get(`${origin}${path(i)}`, { agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          try {
            checkBody(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"), `${prefix}${i}`, `GET ${path(i)}`);
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
  await fanOut(inFlight, one);
  const measured = stopMeasure(m);
  agent.destroy();
  return measured;
}

async function runFetch(): Promise<ReturnType<typeof stopMeasure>> {
  const one = async (i: number): Promise<void> => {
    const res = await fetch(`${origin}${path(i)}`);
    checkBody(res.status, await res.text(), `${prefix}${i}`, `GET ${path(i)}`);
    checked++;
  };
  const m = startMeasure();
  await fanOut(connections, one);
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
  case "https.get":
    measured = await runNodeGet();
    break;
  case "fetch":
    measured = await runFetch();
    break;
  default:
    throw new Error(`unknown contender ${contender}`);
}
if (checked !== n) throw new Error(`${contender}: ${checked} bodies checked, expected ${n}`);
emit({ workload, contender, n, inFlight, connections, checked, ...measured });
