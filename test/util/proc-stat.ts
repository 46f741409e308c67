/**
 * The scheduling policy and nice value of this process's threads, from /proc (fields 41 and 19 of
 * `stat`, counted after the ")" that closes the thread's name, which may hold spaces).
 */
import { readdirSync, readFileSync } from "node:fs";

export const SCHED_OTHER = 0;
export const SCHED_BATCH = 3;

export interface ThreadSched {
  policy: number;
  nice: number;
}

function parse(stat: string): ThreadSched {
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { policy: Number(f[41 - 3]), nice: Number(f[19 - 3]) };
}

/** Every thread of this process. */
export function threads(): ThreadSched[] {
  return readdirSync("/proc/self/task").map((tid) => parse(readFileSync(`/proc/self/task/${tid}/stat`, "utf8")));
}

/** The calling thread. */
export function thisThread(): ThreadSched {
  return parse(readFileSync("/proc/thread-self/stat", "utf8"));
}
