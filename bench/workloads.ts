/**
 * The workloads (W1..W7 from DESIGN.md, W2k/W2s keep-alive and HTTPS, W8..W10 the sync primitives) ("Benchmark workloads") and their contenders, as data the
 * runner (run.ts) interleaves. A contender's `run` returns the metrics of one run or throws (a
 * failed run: wrong body, crash, timeout); `skip` says why it cannot run here, if it cannot.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { runChild, type ChildResult } from "./lib/proc.js";
import { httpsTargetSkip, startHttpsTarget } from "./lib/https-target.js";
import { checkServer, OURS_SERVER, ROOT, startServer, type RunningServer, type ServerKind } from "./lib/server.js";
import { runWrk } from "./lib/wrk.js";

export interface Options {
  rounds: number;
  quick: boolean;
  pin: boolean;
  server: ServerKind;
  wrkSeconds: number;
  /** `file://` URL of effect's entry, or null when not installed. */
  effectUrl: string | null;
  /**
   * Another build of this repository (a checkout with `dist/` built, ending in `/`): each of our
   * contenders runs once more from it, as `old:<name>`, interleaved with the rest, so a change is
   * measured against the build before it in one run. Null: none.
   */
  baseline: string | null;
  effectVersion: string | null;
}

export interface Ctx {
  opts: Options;
  /** The delay server targeted by client workloads (W1, W2, W2d, W6). */
  server: RunningServer | null;
  env: NodeJS.ProcessEnv;
}

export type Metrics = Record<string, number>;

export interface Contender {
  name: string;
  ours: boolean;
  skip?(ctx: Ctx): string | null;
  run(ctx: Ctx): Promise<Metrics>;
  /** The same contender run from another build of the repository (`root`), named `name`. */
  fromBuild?(root: string, name: string): Contender;
}

export interface Metric {
  key: string;
  label: string;
  better: "lower" | "higher";
  /** Show ours/alternative ratios for it. */
  ratio: boolean;
}

export interface Target {
  metric: string;
  /** The alternative the ratio is taken against; null for an absolute bound on ours. */
  vs: string | null;
  op: "<=" | ">=";
  value: number;
}

export interface Workload {
  id: string;
  title: string;
  /** Needs the delay server as a target. */
  usesServer: boolean;
  contenders: Contender[];
  metrics: Metric[];
  /** The metric whose spread (max-min)/median is shown. */
  primary: string;
  targets: Target[];
  /** Skip the whole workload, with the reason. */
  skip?(ctx: Ctx): string | null;
}

const NODE = process.execPath;

/** Turns a finished contender process into metrics, or throws with what went wrong. */
function metricsOf(name: string, r: ChildResult): Metrics {
  if (r.timedOut) throw new Error(`${name}: timed out after ${(r.elapsedMs / 1000).toFixed(0)} s\n${tail(r.stderr)}`);
  if (r.code !== 0 || r.json === null) {
    throw new Error(
      `${name}: exited with ${r.code ?? r.signal}${r.json === null ? ", no result line" : ""}\n${tail(r.stderr) || tail(r.stdout)}`,
    );
  }
  const out: Metrics = {};
  for (const [k, v] of Object.entries(r.json)) if (typeof v === "number") out[k] = v;
  if (r.hungAtExit) out["hungAtExit"] = 1;
  return out;
}

function tail(s: string, lines = 25): string {
  return s.trim().split("\n").slice(-lines).join("\n");
}

/** A contender that is one client process on core 1, running `script` of the build at `root`. */
function client(
  name: string,
  ours: boolean,
  script: string,
  args: (ctx: Ctx) => string[],
  o: { gc?: boolean; fd?: boolean; timeoutS?: number; skip?: (ctx: Ctx) => string | null } = {},
  root = ROOT,
): Contender {
  const c: Contender = {
    name,
    ours,
    async run(ctx) {
      const argv = [NODE, ...(o.gc ? ["--expose-gc"] : []), `${root}dist/bench/${script}`, ...args(ctx)];
      const r = await runChild(argv, { core: ctx.opts.pin ? 1 : null, raiseFd: o.fd ?? false }, ctx.env, (o.timeoutS ?? 180) * 1000);
      return metricsOf(name, r);
    },
    fromBuild: (other, otherName) => client(otherName, false, script, args, o, other),
  };
  if (o.skip) c.skip = o.skip;
  return c;
}

const needEffect = (ctx: Ctx): string | null =>
  ctx.opts.effectUrl === null ? "effect is not installed (npm install --save-dev effect@4, or pass --effect-dir DIR)" : null;

function fanOut(workload: string): Contender[] {
  const args = (c: string) => (ctx: Ctx) => [c, "--workload", workload, "--port", String(ctx.server!.port)];
  const o = { fd: true, timeoutS: 120 };
  return [
    client("ours-thread", true, "http-fanout.js", args("ours-thread"), o),
    client("ours-inline", true, "http-fanout.js", args("ours-inline"), o),
    client("http.get", false, "http-fanout.js", args("http.get"), o),
    client("fetch", false, "http-fanout.js", args("fetch"), o),
    client("net", false, "http-fanout.js", args("net"), o),
  ];
}

/** W2k: keep-alive clients against the delay server (the one `--server` chose). */
function keepAlive(): Contender[] {
  const args = (c: string) => (ctx: Ctx) => [c, "--workload", "W2k", "--port", String(ctx.server!.port)];
  const o = { fd: true, timeoutS: 120 };
  return [
    client("ours-thread", true, "http-keepalive.js", args("ours-thread"), o),
    client("ours-inline", true, "http-keepalive.js", args("ours-inline"), o),
    client("http.get", false, "http-keepalive.js", args("http.get"), o),
    client("fetch", false, "http-keepalive.js", args("fetch"), o),
  ];
}

/** W2s: one contender = start the node:https delay server on core 0, then the client on core 1 (trusting the test CA). */
function secureKeepAlive(name: string, ours: boolean): Contender {
  return {
    name,
    ours,
    async run(ctx) {
      const target = await startHttpsTarget(ctx.opts.pin);
      try {
        const argv = [
          NODE,
          `${ROOT}dist/bench/http-keepalive.js`,
          name,
          "--workload",
          "W2s",
          "--port",
          String(target.port),
          "--ca",
          target.caFile,
        ];
        const env = { ...ctx.env, NODE_EXTRA_CA_CERTS: target.caFile };
        const r = await runChild(argv, { core: ctx.opts.pin ? 1 : null, raiseFd: true }, env, 180_000);
        return metricsOf(name, r);
      } finally {
        await target.stop();
      }
    },
  };
}

const wall: Metric = { key: "wallMs", label: "wall ms", better: "lower", ratio: true };
const cpu: Metric = { key: "cpuMs", label: "CPU ms", better: "lower", ratio: true };
const rss: Metric = { key: "maxRssMiB", label: "peak RSS MiB", better: "lower", ratio: true };
const overhead = (base: string): Metric => ({ key: "overheadMs", label: `overhead ms (>${base})`, better: "lower", ratio: true });

/** W7: one server contender = start it on core 0, check it, wrk (keep-alive, then close) from core 1. */
function delayServer(name: string, ours: boolean, kind: ServerKind, extra: string[], skip?: () => string | null, root = ROOT): Contender {
  const c: Contender = {
    name,
    ours,
    fromBuild: (other, otherName) => delayServer(otherName, false, kind, extra, skip, other),
    async run(ctx) {
      const server = await startServer(kind, ctx.opts.pin, extra, root);
      try {
        const url = `http://127.0.0.1:${server.port}/0/hi`;
        const placement = { core: ctx.opts.pin ? 1 : null, raiseFd: true };
        const out: Metrics = {};
        for (const close of [false, true]) {
          const cpu0 = server.cpuSeconds();
          const w = await runWrk(url, ctx.opts.wrkSeconds, close, placement);
          const cpuS = server.cpuSeconds() - cpu0;
          const sfx = close ? "Close" : "KA";
          out[`rps${sfx}`] = w.rps;
          out[`p99${sfx}Ms`] = w.p99Ms;
          out[`p50${sfx}Ms`] = w.p50Ms;
          out[`srvCpuUsPerReq${sfx}`] = (cpuS * 1e6) / w.requests;
          out[`socketErrors${sfx}`] = w.socketErrors;
          out[`requests${sfx}`] = w.requests;
          if (!server.alive()) throw new Error(`${name}: the server died under wrk${close ? " (Connection: close)" : ""}`);
          // Still right after the load (wrk itself does not check bodies).
          await checkServer(server.port, "hi");
        }
        out["srvPeakRssMiB"] = server.peakRssMiB();
        return out;
      } finally {
        await server.stop();
      }
    },
  };
  if (skip) c.skip = skip;
  return c;
}

export const WORKLOADS: Workload[] = [
  {
    id: "W1",
    title: "book demo: 5 concurrent GETs /{i*1000}/HelloWorld{i}",
    usesServer: true,
    contenders: fanOut("W1"),
    metrics: [overhead("4,000"), cpu, rss],
    primary: "overheadMs",
    targets: [],
  },
  {
    id: "W2",
    title: "fan-out: 10,000 GETs /0/hello{i}, one connection each, 1,000 in flight",
    usesServer: true,
    contenders: fanOut("W2"),
    metrics: [wall, cpu, rss],
    primary: "cpuMs",
    targets: [
      { metric: "cpuMs", vs: "net", op: "<=", value: 0.4 },
      { metric: "cpuMs", vs: "http.get", op: "<=", value: 0.3 },
      { metric: "maxRssMiB", vs: "net", op: "<=", value: 0.6 },
    ],
  },
  {
    id: "W2k",
    title: "keep-alive: 10,000 GETs /0/k{i}, 1,000 in flight, at most 50 connections",
    usesServer: true,
    contenders: keepAlive(),
    metrics: [wall, cpu, rss],
    primary: "cpuMs",
    targets: [],
  },
  {
    id: "W2s",
    title: "https keep-alive: 10,000 GETs /0/s{i} from a node:https server, 1,000 in flight, at most 50 connections",
    usesServer: false,
    skip: httpsTargetSkip,
    contenders: [
      secureKeepAlive("ours-thread", true),
      secureKeepAlive("ours-inline", true),
      secureKeepAlive("https.get", false),
      secureKeepAlive("fetch", false),
    ],
    metrics: [wall, cpu, rss],
    primary: "cpuMs",
    targets: [],
  },
  {
    id: "W2d",
    title: "10,000 GETs /1000/m{i}, all in flight at once",
    usesServer: true,
    contenders: fanOut("W2d"),
    metrics: [overhead("1,000"), cpu, rss],
    primary: "overheadMs",
    targets: [{ metric: "overheadMs", vs: "net", op: "<=", value: 0.45 }],
  },
  {
    id: "W3",
    title: "wake/poll: 1,000 tasks x 10,000 self-wakes",
    usesServer: false,
    contenders: [
      client("ours", true, "w3-wake-poll.js", () => ["ours"]),
      client("ours-coroutine", true, "w3-wake-poll.js", () => ["ours-coroutine"]),
      client("await-null", false, "w3-wake-poll.js", () => ["await-null"]),
      client("setImmediate", false, "w3-wake-poll.js", () => ["setImmediate"]),
      client("effect", false, "w3-wake-poll.js", () => ["effect"], { skip: needEffect }),
    ],
    metrics: [
      { key: "nsPerPoll", label: "ns/poll", better: "lower", ratio: true },
      { key: "nsPerPollCpu", label: "CPU ns/poll", better: "lower", ratio: true },
      rss,
    ],
    primary: "nsPerPoll",
    targets: [{ metric: "nsPerPoll", vs: "await-null", op: "<=", value: 0.5 }],
  },
  {
    id: "W4",
    title: "spawn storm: 1,000,000 trivial tasks spawned and joined",
    usesServer: false,
    contenders: [
      client("ours", true, "w4-spawn.js", () => ["ours"], { gc: true }),
      client("promise-all", false, "w4-spawn.js", () => ["promise-all"], { gc: true }),
      client("effect", false, "w4-spawn.js", () => ["effect"], { gc: true, skip: needEffect }),
    ],
    metrics: [wall, cpu, { key: "bytesPerTask", label: "bytes/task", better: "lower", ratio: true }, rss],
    primary: "wallMs",
    targets: [
      { metric: "wallMs", vs: "promise-all", op: "<=", value: 0.5 },
      { metric: "bytesPerTask", vs: null, op: "<=", value: 150 },
    ],
  },
  {
    id: "W5",
    title: "timers: 100,000 sleeps uniform over 0..1,000 ms",
    usesServer: false,
    contenders: [
      client("ours", true, "w5-timers.js", () => ["ours"]),
      client("timers-promises", false, "w5-timers.js", () => ["timers-promises"]),
      client("effect", false, "w5-timers.js", () => ["effect"], { skip: needEffect }),
    ],
    metrics: [
      cpu,
      { key: "lateMeanMs", label: "late mean ms", better: "lower", ratio: true },
      { key: "lateP99Ms", label: "late p99 ms", better: "lower", ratio: true },
      rss,
    ],
    primary: "cpuMs",
    targets: [
      { metric: "cpuMs", vs: "timers-promises", op: "<=", value: 0.5 },
      { metric: "lateP99Ms", vs: "timers-promises", op: "<=", value: 0.35 },
    ],
  },
  {
    id: "W6",
    title: "the book's multi-thread program: 12 executors x 5 requests",
    usesServer: true,
    contenders: [
      client("ours-thread", true, "w6-multi-thread.js", (ctx) => ["ours-thread", "--port", String(ctx.server!.port)], {
        fd: true,
        timeoutS: 120,
      }),
      client("http.get", false, "http-fanout.js", (ctx) => ["http.get", "--workload", "W6", "--port", String(ctx.server!.port)], {
        fd: true,
      }),
      client("fetch", false, "http-fanout.js", (ctx) => ["fetch", "--workload", "W6", "--port", String(ctx.server!.port)], { fd: true }),
      client("net", false, "http-fanout.js", (ctx) => ["net", "--workload", "W6", "--port", String(ctx.server!.port)], { fd: true }),
      client("net-workers", false, "w6-multi-thread.js", (ctx) => ["net-workers", "--port", String(ctx.server!.port)], { fd: true }),
    ],
    metrics: [overhead("4,000"), cpu, rss],
    primary: "overheadMs",
    targets: [{ metric: "overheadMs", vs: null, op: "<=", value: 250 }],
  },
  {
    id: "W7",
    title: "delay server under wrk -t1 -c100 on /0/hi (keep-alive, then Connection: close)",
    usesServer: false,
    skip: () => (spawnSync("wrk", ["--version"]).error ? "wrk is not installed: apt-get install wrk" : null),
    contenders: [
      delayServer("ours-thread", true, "ours", [], () =>
        existsSync(OURS_SERVER) ? null : "dist/src/bin/delayserver.js does not exist yet",
      ),
      delayServer("ours-inline", true, "ours", ["--reactor", "inline"], () =>
        existsSync(OURS_SERVER) ? null : "dist/src/bin/delayserver.js does not exist yet",
      ),
      delayServer("node:http", false, "node", []),
    ],
    metrics: [
      { key: "rpsKA", label: "req/s KA", better: "higher", ratio: true },
      { key: "p99KAMs", label: "p99 ms KA", better: "lower", ratio: true },
      { key: "rpsClose", label: "req/s close", better: "higher", ratio: true },
      { key: "p99CloseMs", label: "p99 ms close", better: "lower", ratio: true },
      { key: "srvCpuUsPerReqKA", label: "CPU us/req KA", better: "lower", ratio: true },
      { key: "srvCpuUsPerReqClose", label: "CPU us/req close", better: "lower", ratio: true },
      { key: "srvPeakRssMiB", label: "peak RSS MiB", better: "lower", ratio: true },
    ],
    primary: "rpsKA",
    targets: [
      { metric: "rpsKA", vs: "node:http", op: ">=", value: 2 },
      { metric: "rpsClose", vs: "node:http", op: ">=", value: 2 },
    ],
  },
  {
    id: "W8",
    title: "semaphore: 1,000 tasks x 1,000 acquire / yield / release on 10 permits",
    usesServer: false,
    contenders: [
      client("ours-semaphore", true, "w8-sync.js", () => ["ours-semaphore"]),
      client("ours-semaphore-sm", true, "w8-sync.js", () => ["ours-semaphore-sm"]),
      client("promise-semaphore", false, "w8-sync.js", () => ["promise-semaphore"]),
    ],
    metrics: [
      { key: "nsPerOp", label: "ns/op", better: "lower", ratio: true },
      { key: "nsPerOpCpu", label: "CPU ns/op", better: "lower", ratio: true },
      rss,
    ],
    primary: "nsPerOpCpu",
    targets: [],
  },
  {
    id: "W9",
    title: "channel: 500,000 values, one producer to one consumer, capacity 64",
    usesServer: false,
    contenders: [
      client("ours-channel", true, "w8-sync.js", () => ["ours-channel"]),
      client("ours-channel-sm", true, "w8-sync.js", () => ["ours-channel-sm"]),
      client("async-queue", false, "w8-sync.js", () => ["async-queue"]),
      client("messagechannel", false, "w8-sync.js", () => ["messagechannel"]),
    ],
    metrics: [
      { key: "nsPerOp", label: "ns/op", better: "lower", ratio: true },
      { key: "nsPerOpCpu", label: "CPU ns/op", better: "lower", ratio: true },
      rss,
    ],
    primary: "nsPerOpCpu",
    targets: [],
  },
  {
    id: "W10",
    title: "channel across threads: 500,000 values, a producer thread to the main thread, capacity 64",
    usesServer: false,
    contenders: [
      client("ours-thread-channel", true, "w8-sync.js", () => ["ours-thread-channel"]),
      client("messagechannel-thread", false, "w8-sync.js", () => ["messagechannel-thread"]),
    ],
    metrics: [
      { key: "nsPerOp", label: "ns/op", better: "lower", ratio: true },
      { key: "nsPerOpCpu", label: "CPU ns/op", better: "lower", ratio: true },
      rss,
    ],
    primary: "nsPerOpCpu",
    targets: [],
  },
];
