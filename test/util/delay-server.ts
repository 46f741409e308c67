/**
 * Test and benchmark helpers around the real `delayserver` CLI, run as a child process.
 *
 * - {@link startDelayServer} starts `node dist/src/bin/delayserver.js 127.0.0.1 --port 0 ...`,
 *   reads the bound port from its `Listening on http://...` line, and returns a handle with the
 *   output seen so far, `waitForOutput`, the server's open sockets (from /proc/<pid>/fd) and
 *   `stop()` (SIGINT by default, then the exit code). The child does not keep this process alive
 *   and is killed when this process exits, so a failed test neither hangs nor leaves a server
 *   behind.
 * - {@link exchange} sends raw bytes on a fresh TCP connection and collects what comes back until
 *   the server closes or a time limit: for malformed requests, pipelining and close semantics that
 *   `node:http` would hide or refuse to send.
 * - {@link get} is one GET with `node:http` (its own agent unless one is given), timed.
 *
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";
import http from "node:http";
import net from "node:net";

/** The compiled CLI, next to this file's compiled copy (dist/test/util -> dist/src/bin). */
export const DELAYSERVER_BIN = new URL("../../src/bin/delayserver.js", import.meta.url).pathname;

/** Options of {@link startDelayServer}. */
export interface DelayServerStartOptions {
  /** Pass `--quiet` (no request lines). Default true. */
  quiet?: boolean;
  /** `--idle-timeout-ms`. */
  idleTimeoutMs?: number;
  /** `--header-timeout-ms`. */
  headerTimeoutMs?: number;
  /** The host argument. Default "127.0.0.1". */
  host?: string;
  /** More arguments. */
  args?: string[];
  /** How long to wait for the `Listening on` line (ms). Default 10,000. */
  startTimeoutMs?: number;
  /** CPU list for `taskset -c` (benchmarks), if any. */
  cpus?: string;
  /** Run under `ulimit -n fdLimit` (through bash), to test running out of fds. */
  fdLimit?: number;
}

/** A running delay server child. */
export interface DelayServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  /** "127.0.0.1:port" (what `TcpStream.connect` and `Http.get` take). */
  readonly address: string;
  /** "http://127.0.0.1:port". */
  readonly url: string;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the stdout text once `pattern` matches it; rejects after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The server's open socket fds right now (from /proc/<pid>/fd). */
  socketCount(): number;
  /** Sends `signal` (default SIGINT) and resolves with how the child exited (SIGKILL after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  /** Resolves when the child has exited (without signalling it). */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

/**
 * Starts the delay server CLI on an ephemeral port.
 *
 * @example
 * ```ts
 * const server = await startDelayServer({ headerTimeoutMs: 300 });
 * const r = await get(`${server.url}/100/hello`); // { status: 200, body: "hello", ms: ~100 }
 * await server.stop(); // { code: 0, ... }
 * ```
 */
export function startDelayServer(options: DelayServerStartOptions = {}): Promise<DelayServerProcess> {
  const host = options.host ?? "127.0.0.1";
  const args = [DELAYSERVER_BIN, host, "--port", "0"];
  if (options.quiet ?? true) args.push("--quiet");
  if (options.idleTimeoutMs !== undefined) args.push("--idle-timeout-ms", String(options.idleTimeoutMs));
  if (options.headerTimeoutMs !== undefined) args.push("--header-timeout-ms", String(options.headerTimeoutMs));
  // delayserver-inline.test.ts runs the server suites again with the inline reactor.
  const mode = process.env["DELAYSERVER_TEST_REACTOR"];
  if (mode !== undefined && !(options.args ?? []).includes("--reactor")) args.push("--reactor", mode);
  args.push(...(options.args ?? []));
  let command = [process.execPath, ...args];
  if (options.cpus !== undefined) command = ["taskset", "-c", options.cpus, ...command];
  // `exec` keeps one process: the child's pid is node's (taskset execs too).
  if (options.fdLimit !== undefined) command = ["bash", "-c", `ulimit -n ${options.fdLimit} && exec "$@"`, "bash", ...command];
  const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  // The child and its pipes do not keep this process alive: a test that fails with a server
  // still running must not hang its file (the exit handler above kills the server then).
  child.unref();
  (child.stdout as unknown as { unref(): void }).unref();
  (child.stderr as unknown as { unref(): void }).unref();
  let out = "";
  let err = "";
  const watchers = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    for (const w of [...watchers]) w();
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
      for (const w of [...watchers]) w();
    });
  });
  let exitedAlready = false;
  void exit.then(() => {
    exitedAlready = true;
  });

  const waitForOutput = (pattern: RegExp, timeoutMs = 5_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = out.match(pattern);
        if (m !== null) {
          done();
          resolve(m);
        } else if (exitedAlready || child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`delayserver exited before printing ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`delayserver did not print ${pattern} within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        watchers.delete(check);
      };
      watchers.add(check);
      check();
    });

  return waitForOutput(/^Listening on http:\/\/(\[[^\]]+\]|[^\s:]+):(\d+)$/m, options.startTimeoutMs ?? 10_000).then(
    (m) => {
      const port = Number(m[2]);
      const hostPart = m[1]!;
      const pid = child.pid!;
      return {
        child,
        pid,
        host: hostPart.replace(/^\[|\]$/g, ""),
        port,
        address: `${hostPart}:${port}`,
        url: `http://${hostPart}:${port}`,
        stdout: () => out,
        stderr: () => err,
        waitForOutput,
        socketCount: () => socketCount(pid),
        exited: () => exit,
        stop: async (signal: NodeJS.Signals = "SIGINT", timeoutMs = 5_000) => {
          const t0 = performance.now();
          if (!exitedAlready) child.kill(signal);
          const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
          const r = await exit;
          clearTimeout(killer);
          return { ...r, ms: performance.now() - t0 };
        },
      };
    },
    (e: unknown) => {
      child.kill("SIGKILL");
      throw e;
    },
  );
}

/**
 * The number of sockets process `pid` has open (links in /proc/<pid>/fd to `socket:[...]`).
 *
 * @example
 * ```ts
 * socketCount(server.pid); // 1: the listener, when no client is connected
 * ```
 */
export function socketCount(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:")) n++;
    } catch {
      // closed while we looked
    }
  }
  return n;
}

/** What {@link exchange} saw. */
export interface Exchange {
  /** Every byte received, as latin1 text. */
  text: string;
  /** How the connection ended: "end" (the server closed), "reset" (ECONNRESET), "timeout" (we gave up). */
  ended: "end" | "reset" | "timeout";
  /** Time from connect to the end, ms. */
  ms: number;
  /** When each piece arrived: `length` is `text.length` after it, `ms` the time since the first chunk was written. */
  arrivals: { length: number; ms: number }[];
}

/**
 * The time (ms after the first write, from {@link Exchange.arrivals}) at which the received text
 * first reached `length` bytes: when the response ending there had fully arrived.
 */
export function arrivedAt(r: Exchange, length: number): number {
  const mark = r.arrivals.find((a) => a.length >= length);
  if (mark === undefined) throw new Error(`only ${r.text.length} bytes arrived, not ${length}`);
  return mark.ms;
}

/**
 * Opens a connection, writes `chunks` (strings are latin1; a number between chunks is a pause in
 * ms), then reads until the server closes or `timeoutMs`. `halfClose` shuts our side down after
 * the last chunk. `until` stops early once the received text matches.
 *
 * @example
 * ```ts
 * const r = await exchange(server.port, ["GET /0/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
 * r.text.startsWith("HTTP/1.1 200 OK"); // true
 * ```
 */
export function exchange(
  port: number,
  chunks: (string | Uint8Array | number)[],
  options: { timeoutMs?: number; until?: RegExp; halfClose?: boolean } = {},
): Promise<Exchange> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = net.connect({ port, host: "127.0.0.1" });
    let text = "";
    let finished = false;
    let sentAt = t0;
    const arrivals: Exchange["arrivals"] = [];
    const finish = (ended: Exchange["ended"]): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, ended, ms: performance.now() - t0, arrivals });
    };
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    socket.on("data", (d) => {
      text += d.toString("latin1");
      arrivals.push({ length: text.length, ms: performance.now() - sentAt });
      if (options.until !== undefined && options.until.test(text)) finish("end");
    });
    socket.on("end", () => finish("end"));
    socket.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "ECONNRESET" || e.code === "EPIPE") finish("reset");
      else if (!finished) {
        finished = true;
        clearTimeout(timer);
        reject(e);
      }
    });
    socket.on("connect", () => {
      sentAt = performance.now();
      void (async () => {
        for (const c of chunks) {
          if (finished) return;
          if (typeof c === "number") await new Promise((r) => setTimeout(r, c));
          else socket.write(typeof c === "string" ? Buffer.from(c, "latin1") : c);
        }
        if (options.halfClose === true) socket.end();
      })();
    });
  });
}

/** One parsed response out of a byte stream (Content-Length framing only, as the delay server sends). */
export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The offset in the text just after this response (see {@link arrivedAt}). */
  end: number;
}

/**
 * Splits `text` (latin1, as {@link exchange} returns it) into the responses it holds; bodies are
 * decoded as UTF-8. Throws on a response without Content-Length or cut short.
 */
export function parseResponses(text: string): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let pos = 0;
  while (pos < text.length) {
    const end = text.indexOf("\r\n\r\n", pos);
    if (end < 0) throw new Error(`truncated head at ${pos}: ${JSON.stringify(text.slice(pos, pos + 200))}`);
    const lines = text.slice(pos, end).split("\r\n");
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(lines[0]!)?.[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers["content-length"]);
    if (!Number.isInteger(length)) throw new Error(`no Content-Length in ${JSON.stringify(lines)}`);
    const bodyStart = end + 4;
    if (bodyStart + length > text.length) throw new Error("truncated body");
    pos = bodyStart + length;
    out.push({ status, headers, body: Buffer.from(text.slice(bodyStart, pos), "latin1").toString("utf8"), end: pos });
  }
  return out;
}

/** What {@link get} returns. */
export interface GetResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** From the request's start to the end of the body, ms. */
  ms: number;
}

/**
 * One `GET` with `node:http`. Without an `agent`, a fresh connection that is closed afterwards.
 *
 * @example
 * ```ts
 * const { status, body, ms } = await get(`${server.url}/200/hi`);
 * ```
 */
export function get(
  url: string,
  options: { agent?: http.Agent; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent: options.agent ?? false, headers: options.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts).toString("utf8"), ms: performance.now() - t0 }),
      );
      res.on("error", reject);
    });
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
  });
}
