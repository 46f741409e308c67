/**
 * Spawning contender and server processes: pinned to a core with `taskset` (when it exists and
 * the machine has two cores or more), with the fd limit raised through bash's `ulimit` (Node cannot
 * raise its own), each in its own process group so a hung one can be killed with its children.
 *
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";

/** Raise the soft fd limit to 65536, or to the hard limit when that is lower. */
const ULIMIT = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"';

export interface Placement {
  /** Core to pin to (0 = servers, 1 = clients), or null for no pinning. */
  core: number | null;
  /** Raise the fd limit first. */
  raiseFd: boolean;
}

let tasksetPath: string | null | undefined;
export function taskset(): string | null {
  if (tasksetPath === undefined) {
    const r = spawnSync("sh", ["-c", "command -v taskset"], { encoding: "utf8" });
    tasksetPath = r.status === 0 ? r.stdout.trim() : null;
  }
  return tasksetPath;
}

/** The argv that runs `argv` with the given placement. */
export function placed(argv: readonly string[], p: Placement): string[] {
  let out = [...argv];
  if (p.raiseFd) out = ["bash", "-c", `${ULIMIT}; exec "$@"`, "bench", ...out];
  if (p.core !== null && taskset() !== null) out = [taskset()!, "-c", String(p.core), ...out];
  return out;
}

/** The soft fd limit a raised child gets. */
export function raisedFdLimit(): number {
  const r = spawnSync("bash", ["-c", `${ULIMIT}; ulimit -n`], { encoding: "utf8" });
  return Number(r.stdout.trim());
}

const live = new Set<ChildProcess>();

/** Kills a child's whole process group (it was spawned detached, so its pid is the group id). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

/** Kills every child still running (harness exit, Ctrl-C). */
export function killAll(): void {
  for (const c of live) killGroup(c);
}

export function spawnPlaced(argv: readonly string[], p: Placement, env: NodeJS.ProcessEnv): ChildProcess {
  const full = placed(argv, p);
  const child = spawn(full[0]!, full.slice(1), { stdio: ["ignore", "pipe", "pipe"], detached: true, env });
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The last JSON object line on stdout, if any. */
  json: Record<string, unknown> | null;
  timedOut: boolean;
  /** It printed its result but had not exited `graceMs` later (killed then). */
  hungAtExit: boolean;
  elapsedMs: number;
}

/**
 * Runs a contender to completion. Killed after `timeoutMs`; also killed if it has printed its JSON
 * line but not exited `graceMs` later (a process that cannot exit is a bug worth seeing).
 */
export function runChild(
  argv: readonly string[],
  p: Placement,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  graceMs = 15_000,
): Promise<ChildResult> {
  const t0 = performance.now();
  const child = spawnPlaced(argv, p, env);
  let stdout = "";
  let stderr = "";
  let timedOut = false;
  let hungAtExit = false;
  let graceTimer: NodeJS.Timeout | null = null;
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    if (graceTimer === null && stdout.includes("}\n")) {
      graceTimer = setTimeout(() => {
        hungAtExit = true;
        killGroup(child);
      }, graceMs);
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child);
  }, timeoutMs);
  return new Promise((resolve) => {
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (graceTimer !== null) clearTimeout(graceTimer);
      let json: Record<string, unknown> | null = null;
      for (const line of stdout.split("\n").reverse()) {
        const t = line.trim();
        if (t.startsWith("{")) {
          try {
            json = JSON.parse(t) as Record<string, unknown>;
            break;
          } catch {
            /* not ours */
          }
        }
      }
      resolve({ code, signal, stdout, stderr, json, timedOut, hungAtExit, elapsedMs: performance.now() - t0 });
    });
  });
}

/** CPU seconds (utime + stime) of a process from /proc (Linux), or NaN. */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / clockTicks();
  } catch {
    return NaN;
  }
}

/** Peak RSS (VmHWM) of a process in MiB from /proc, or NaN. */
export function procPeakRssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
    ticks = Number(r.stdout.trim()) || 100;
  }
  return ticks;
}
