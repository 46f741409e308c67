/**
 * Delay servers for the HTTP workloads: ours (`dist/src/bin/delayserver.js`) or the `node:http` one
 * (`dist/bench/contenders/node-delay-server.js`), pinned to core 0 with a raised fd limit, started on
 * a free port, waited for, and checked with a real request before anything is measured.
 *
 * @module
 */
import { existsSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { fileURLToPath } from "node:url";
import type { ChildProcess } from "node:child_process";
import { killGroup, spawnPlaced, procCpuSeconds, procPeakRssMiB } from "./proc.js";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const OURS_SERVER = `${ROOT}dist/src/bin/delayserver.js`;
export const NODE_SERVER = `${ROOT}dist/bench/contenders/node-delay-server.js`;

export type ServerKind = "ours" | "node";

export interface RunningServer {
  kind: ServerKind;
  label: string;
  port: number;
  pid: number;
  child: ChildProcess;
  alive(): boolean;
  cpuSeconds(): number;
  peakRssMiB(): number;
  stop(): Promise<void>;
}

export function oursServerBuilt(): boolean {
  return existsSync(OURS_SERVER);
}

export function serverLabel(kind: ServerKind, extra = ""): string {
  return kind === "ours" ? `ours (dist/src/bin/delayserver.js${extra})` : "node:http (bench/contenders/node-delay-server.ts)";
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** One GET with node:http; resolves to [status, body]. */
export function httpGet(port: number, path: string, close: boolean): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false, headers: close ? { Connection: "close" } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve([res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8")]));
      res.on("error", reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path}: no answer in 10 s`)));
    req.on("error", reject);
  });
}

/** Checks the server answers `GET /0/{msg}` with `msg` (keep-alive and Connection: close). */
export async function checkServer(port: number, msg: string): Promise<void> {
  for (const close of [false, true]) {
    const [status, body] = await httpGet(port, `/0/${msg}`, close);
    if (status !== 200 || body !== msg) {
      throw new Error(
        `delay server check failed: GET /0/${msg}${close ? " (Connection: close)" : ""} -> ${status} ${JSON.stringify(body.slice(0, 200))}`,
      );
    }
  }
}

/** Starts a delay server; `root` is the build of this repository whose server is ours (another build's, to compare). */
export async function startServer(kind: ServerKind, pin: boolean, extraArgs: readonly string[] = [], root = ROOT): Promise<RunningServer> {
  const script = kind === "ours" ? `${root}dist/src/bin/delayserver.js` : NODE_SERVER;
  if (!existsSync(script)) throw new Error(`${script} does not exist (build with npx tsc -p .)`);
  const port = await freePort();
  const child = spawnPlaced(
    [process.execPath, script, "127.0.0.1", "--port", String(port), "--quiet", ...extraArgs],
    { core: pin ? 0 : null, raiseFd: true },
    process.env,
  );
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr = (stderr + d).slice(-20_000);
    if (process.env["BENCH_VERBOSE"]) process.stderr.write(`[server] ${d}`);
  });
  child.stdout!.resume();
  let exited = false;
  const exitedP = new Promise<void>((r) => child.once("exit", () => ((exited = true), r())));
  const deadline = performance.now() + 15_000;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`${kind} delay server exited at start (code ${child.exitCode}): ${stderr.trim()}`);
    if (performance.now() > deadline) {
      killGroup(child);
      throw new Error(`${kind} delay server did not listen on ${port} within 15 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const server: RunningServer = {
    kind,
    label: serverLabel(kind, extraArgs.length > 0 ? ` ${extraArgs.join(" ")}` : ""),
    port,
    pid: child.pid!,
    child,
    alive: () => !exited,
    cpuSeconds: () => procCpuSeconds(child.pid!),
    peakRssMiB: () => procPeakRssMiB(child.pid!),
    stop: async () => {
      if (exited) return;
      killGroup(child, "SIGTERM");
      const t = setTimeout(() => killGroup(child, "SIGKILL"), 3000);
      await exitedP;
      clearTimeout(t);
    },
  };
  try {
    await checkServer(port, "bench-check");
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}
