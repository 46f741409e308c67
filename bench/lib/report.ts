/**
 * What every contender process uses to measure itself and report: one JSON line on stdout.
 *
 * - `startMeasure()` takes the wall clock, CPU (user+sys, all threads: `process.cpuUsage()` is
 *   getrusage(RUSAGE_SELF)) and RSS right before the workload; `report()` takes them again after
 *   it and prints `{ ...fields, wallMs, cpuMs, cpuUserMs, cpuSysMs, cpuTotalMs, maxRssMiB, rssBeforeMiB }`.
 * - `cpuMs` is the CPU spent during the measured workload only (module loading, `init()`, and other
 *   one-time setup before `startMeasure()` are excluded); `cpuTotalMs` is the whole process so far.
 * - `maxRssMiB` is the process's peak resident set (`resourceUsage().maxRSS`, KiB from the kernel),
 *   which includes Node's own ~40-50 MiB baseline; `rssBeforeMiB` shows that baseline.
 * - The line is written with `fs.writeSync` (retrying `EAGAIN` on a non-blocking pipe), so it is
 *   out before anything can hang at exit.
 *
 * @module
 */
import { writeSync } from "node:fs";

export interface Measure {
  t0: bigint;
  cpu0: NodeJS.CpuUsage;
  rss0: number;
}

export function startMeasure(): Measure {
  const rss0 = process.memoryUsage.rss();
  const cpu0 = process.cpuUsage();
  return { t0: process.hrtime.bigint(), cpu0, rss0 };
}

export interface Measured {
  wallMs: number;
  cpuMs: number;
  cpuUserMs: number;
  cpuSysMs: number;
  cpuTotalMs: number;
  maxRssMiB: number;
  rssBeforeMiB: number;
}

/** Stops the clocks (call right after the workload). */
export function stopMeasure(m: Measure): Measured {
  const wallNs = process.hrtime.bigint() - m.t0;
  const cpu = process.cpuUsage(m.cpu0);
  const total = process.cpuUsage();
  return {
    wallMs: Number(wallNs) / 1e6,
    cpuMs: (cpu.user + cpu.system) / 1000,
    cpuUserMs: cpu.user / 1000,
    cpuSysMs: cpu.system / 1000,
    cpuTotalMs: (total.user + total.system) / 1000,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    rssBeforeMiB: m.rss0 / (1024 * 1024),
  };
}

/** Prints one JSON line on stdout, synchronously. */
export function emit(fields: Record<string, unknown>): void {
  const line = Buffer.from(JSON.stringify(fields) + "\n");
  let off = 0;
  while (off < line.length) {
    try {
      off += writeSync(1, line, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
    }
  }
}

/** Reads `--name value` pairs and positionals from argv. */
export function parseArgs(argv: string[]): { positional: string[]; flags: Map<string, string> } {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) flags.set(a.slice(2), argv[++i]!);
      else flags.set(a.slice(2), "true");
    } else positional.push(a);
  }
  return { positional, flags };
}

/** A deterministic PRNG (mulberry32), so every contender gets the same "random" inputs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
