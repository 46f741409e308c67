/**
 * Task dumps: what `executor.dump()` returns and how it reads as text (the `DeadlockError`
 * message, the signal dump). One entry per live task: id, name, state, what it waits on (its
 * future's `describe()`, see `describeFuture`), its polls so far, the executor cycles since its
 * last poll, and, with diagnostics on, where it was spawned.
 *
 * Nothing here runs unless a dump is asked for, except {@link captureSpawnSite}, which an executor
 * with diagnostics on calls at each spawn; diagnostics are off by default for what that costs (a
 * stack capture per spawn, a microsecond or more). The polls are counted always, by the task
 * itself (`Task.run`), in two fields.
 *
 * Implementation notes: a task keeps the cycle of its last poll as the executor's *cycle tag*, a
 * small integer. When the tag reaches {@link CYCLE_TAG_LIMIT} the executor moves every live task's
 * tag down by {@link CYCLE_TAG_SHIFT} ({@link rebasedTag}), keeping none below minus that: a gap is
 * exact below 2^29 cycles and shown as at least that beyond.
 *
 * @module
 */
import type { ExecutorDump, TaskDump } from "../errors.js";
import { describeFuture } from "../future/future.js";
import type { Task } from "./task.js";

export type { ExecutorDump, TaskDump };

/** The cycle tag's ceiling: at it, tags move down by {@link CYCLE_TAG_SHIFT}. */
export const CYCLE_TAG_LIMIT = 1 << 30;
/** How far tags move down at a rebase. */
export const CYCLE_TAG_SHIFT = 1 << 29;

/** A task's last-poll tag after the executor's tag moved down by {@link CYCLE_TAG_SHIFT}. */
export function rebasedTag(tag: number): number {
  return Math.max(tag - CYCLE_TAG_SHIFT, -CYCLE_TAG_SHIFT);
}

/** A spawn site: the stack is captured at spawn and formatted only when a dump reads it. */
export interface SpawnSite {
  readonly stack?: string;
}

/**
 * Captures the stack of a `spawn`, leaving out the frames from `above` up (the runtime's own).
 * V8 formats the frames only when `stack` is read.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- Error.captureStackTrace takes any function
export function captureSpawnSite(above: Function): SpawnSite {
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, above);
  return site;
}

/** What the executor counts of a task, for its dump entry (`spawnedAt` with diagnostics on only). */
export interface TaskStatsEntry {
  readonly polls: number;
  readonly cyclesSincePoll: number;
  readonly spawnedAt: SpawnSite | undefined;
}

/** The dump entry of `task`, with what its executor counted of it. */
export function dumpTask(task: Task<unknown>, stats: TaskStatsEntry): TaskDump {
  const state = task.dumpState;
  const future = task.future;
  const entry: { -readonly [K in keyof TaskDump]: TaskDump[K] } = {
    id: task.id,
    name: task.name,
    state,
    polls: stats.polls,
    cyclesSincePoll: stats.cyclesSincePoll,
  };
  if (state !== "running" && future !== null) entry.waitingOn = describeFuture(future);
  const stack = stats.spawnedAt?.stack;
  if (stack !== undefined) entry.spawnedAt = spawnFrames(stack);
  return entry;
}

/**
 * The frames of a spawn site, one per line: from the `spawn` call down to the poll of the task
 * that spawned it. The frames below that are the executor's own (`Task.run`, its loop), the same
 * for every task spawned from a poll.
 */
function spawnFrames(stack: string): string {
  const frames = stack
    .split("\n")
    .slice(1)
    .map((line) => line.trim());
  const end = frames.findIndex((f) => f.startsWith("at Task.run "));
  return (end < 0 ? frames : frames.slice(0, end)).join("\n");
}

/**
 * A dump as text: a header line, then a line per task, its spawn site indented below it (spawn
 * sites with diagnostics on only).
 *
 * ```text
 * executor "main" (thread 0), cycle 12: 3 tasks
 *   #1 main: running, 3 polls, last 0 cycles ago
 *   #2 sleeper: pending, 1 poll, last 2 cycles ago: sleep until +340 ms
 *   #3 reader: ready, 0 polls, spawned 1 cycle ago: TcpStream.read fd 12
 * ```
 *
 * @example
 * <!-- ts-check
 * declare const executor: Executor;
 * -->
 * ```ts
 * console.error(formatDump(executor.dump()));
 * ```
 */
export function formatDump(dump: ExecutorDump): string {
  const n = dump.tasks.length;
  const lines = [`executor "${dump.executor}" (thread ${dump.threadId}), cycle ${dump.cycles}: ${n} ${n === 1 ? "task" : "tasks"}`];
  for (const t of dump.tasks) {
    let line = `  #${t.id} ${t.name}: ${t.state}`;
    line += `, ${plural(t.polls, "poll")}, ${t.polls === 0 ? "spawned" : "last"} ${plural(t.cyclesSincePoll, "cycle")} ago`;
    if (t.waitingOn !== undefined) line += `: ${t.waitingOn}`;
    lines.push(line);
    if (t.spawnedAt !== undefined) lines.push(`    spawned at:\n${t.spawnedAt.replace(/^/gm, "      ")}`);
  }
  return lines.join("\n");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
