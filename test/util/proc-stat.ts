/**
 * Fields of /proc `stat` files: CPU ticks of a process, scheduling policy and nice value of
 * threads. Fields are numbered as in proc(5) and counted after the ")" that closes the name,
 * which may hold spaces.
 */
import { readdirSync, readFileSync } from "node:fs";

export const SCHED_OTHER = 0;
export const SCHED_BATCH = 3;

export interface ThreadSched {
  policy: number;
  nice: number;
}

/** Field `n` (proc(5) numbering, from 3 on) of the stat file at `path`. */
function fields(path: string): (n: number) => number {
  const stat = readFileSync(path, "utf8");
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (n) => Number(rest[n - 3]);
}

function sched(path: string): ThreadSched {
  const f = fields(path);
  return { policy: f(41), nice: f(19) };
}

/** CPU time of process `pid` so far, all threads, in clock ticks (100 a second): utime + stime. */
export function cpuTicks(pid: number): number {
  const f = fields(`/proc/${pid}/stat`);
  return f(14) + f(15);
}

/** Every thread of this process. */
export function threads(): ThreadSched[] {
  return threadIds().map((tid) => sched(`/proc/self/task/${tid}/stat`));
}

/** How many threads this process has, Node's own included. */
export function threadCount(): number {
  return threadIds().length;
}

function threadIds(): string[] {
  return readdirSync("/proc/self/task");
}

/** The calling thread. */
export function thisThread(): ThreadSched {
  return sched("/proc/thread-self/stat");
}
