/**
 * Running `wrk` (W7) and reading its report: requests/s, latency percentiles (`--latency`),
 * socket errors and non-2xx responses.
 *
 * @module
 */
import type { Placement } from "./proc.js";
import { runChild } from "./proc.js";

export interface WrkResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  socketErrors: number;
  socketErrorText: string;
  non2xx: number;
  raw: string;
}

function toMs(value: string, unit: string): number {
  const v = Number(value);
  switch (unit) {
    case "us":
      return v / 1000;
    case "ms":
      return v;
    case "s":
      return v * 1000;
    case "m":
      return v * 60_000;
    default:
      return NaN;
  }
}

export function parseWrk(out: string): WrkResult {
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(out);
    return m ? toMs(m[1]!, m[2]!) : NaN;
  };
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const reqs = /(\d+) requests in/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    requests: reqs ? Number(reqs[1]) : 0,
    rps: rps ? Number(rps[1]) : NaN,
    p50Ms: pct("50"),
    p99Ms: pct("99"),
    socketErrors: sock ? sock.slice(1, 5).reduce((a, b) => a + Number(b), 0) : 0,
    socketErrorText: sock ? sock[0] : "",
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    raw: out,
  };
}

export async function runWrk(url: string, durationS: number, close: boolean, placement: Placement): Promise<WrkResult> {
  const argv = ["wrk", "-t1", "-c100", `-d${durationS}s`, "--latency", ...(close ? ["-H", "Connection: close"] : []), url];
  const r = await runChild(argv, placement, process.env, (durationS + 60) * 1000);
  if (r.code !== 0) throw new Error(`wrk exited with ${r.code ?? r.signal}: ${r.stderr.trim() || r.stdout.trim()}`);
  const res = parseWrk(r.stdout);
  if (!(res.requests > 0) || Number.isNaN(res.rps)) throw new Error(`wrk made no requests:\n${r.stdout}`);
  if (res.non2xx > 0) throw new Error(`wrk: ${res.non2xx} responses were not 2xx/3xx:\n${r.stdout}`);
  return res;
}
