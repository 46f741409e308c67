/**
 * Task dumps: what `executor.dump()` returns and how it reads as text (the `DeadlockError`
 * message, the signal dump). One entry per live task: id, name, state, what it waits on (its
 * future's `describe()`, see `describeFuture`), polls so far, executor cycles since its last poll,
 * and, with diagnostics on, where it was spawned.
 *
 * Nothing here runs unless a dump is asked for, except {@link captureSpawnSite}, which an executor
 * with diagnostics on calls at each spawn (a stack capture: about a microsecond or more, which is
 * why diagnostics are off by default).
 *
 * Implementation notes: cycles are counted per task as the executor's *cycle tag*, a small integer
 * (a V8 small integer keeps `Task.polledAt` an unboxed field). When the tag reaches
 * {@link CYCLE_TAG_LIMIT} the executor moves every live task's tag down by {@link CYCLE_TAG_SHIFT}
 * ({@link rebaseCycleTags}), clamping at {@link LONG_AGO}: a gap is exact below 2^29 cycles and
 * shown as at least that beyond.
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
/** The lowest tag a task keeps: polled at least 2^29 cycles ago. */
const LONG_AGO = -CYCLE_TAG_SHIFT;

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

/** Moves every task's cycle tag down by {@link CYCLE_TAG_SHIFT} (see the module notes). */
export function rebaseCycleTags(tasks: readonly Task<unknown>[]): void {
  for (const t of tasks) t.polledAt = Math.max(t.polledAt - CYCLE_TAG_SHIFT, LONG_AGO);
}

/** The dump entry of `task`, at the executor's cycle tag `tag`. */
export function dumpTask(task: Task<unknown>, tag: number, site: SpawnSite | undefined): TaskDump {
  const state = task.dumpState;
  const future = task.future;
  const entry: { -readonly [K in keyof TaskDump]: TaskDump[K] } = {
    id: task.id,
    name: task.name,
    state,
    polls: task.polls,
    cyclesSincePoll: tag - task.polledAt,
  };
  if (state !== "running" && future !== null) entry.waitingOn = describeFuture(future);
  const stack = site?.stack;
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
 * A dump as text: a header line, then a line per task, its spawn site indented below it.
 *
 * ```text
 * executor "main" (thread 0), cycle 12: 3 tasks
 *   #1 main: running, 3 polls, last 0 cycles ago
 *   #2 sleeper: pending, 1 poll, last 2 cycles ago: sleep until +340 ms
 *   #3 reader: ready, 0 polls, spawned 1 cycle ago: TcpStream.read fd 12
 * ```
 *
 * @example
 * ```ts
 * console.error(formatDump(executor.dump()));
 * ```
 */
export function formatDump(dump: ExecutorDump): string {
  const n = dump.tasks.length;
  const lines = [`executor "${dump.executor}" (thread ${dump.threadId}), cycle ${dump.cycles}: ${n} ${n === 1 ? "task" : "tasks"}`];
  for (const t of dump.tasks) {
    const since = t.polls === 0 ? "spawned" : "last";
    let line = `  #${t.id} ${t.name}: ${t.state}, ${plural(t.polls, "poll")}, ${since} ${plural(t.cyclesSincePoll, "cycle")} ago`;
    if (t.waitingOn !== undefined) line += `: ${t.waitingOn}`;
    lines.push(line);
    if (t.spawnedAt !== undefined) lines.push(`    spawned at:\n${t.spawnedAt.replace(/^/gm, "      ")}`);
  }
  return lines.join("\n");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
