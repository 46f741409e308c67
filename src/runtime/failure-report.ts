/**
 * Reports of failures nobody else will see, on stderr (as Node reports an unhandled rejection):
 *
 * - a task that failed with no joiner attached, at the end of the executor cycle in which it
 *   failed, once. An executor that serves forever never ends, so waiting for its end would mean
 *   never. The task keeps its error: a handle awaited later still throws it.
 * - an error thrown by a waker or a `drop()` the executor called; the executor goes on.
 *
 * @module
 */
import { writeLine } from "./output.js";
import type { Task } from "./task.js";

/** The failed tasks of one executor's current cycle. */
export class FailureReports {
  private failed: Task<unknown>[] = [];

  constructor(private readonly executor: string) {}

  /** True when a task failed in this cycle. */
  get pending(): boolean {
    return this.failed.length > 0;
  }

  /** Records a task whose future threw. */
  add(task: Task<unknown>): void {
    this.failed.push(task);
  }

  /** Ends the cycle: reports each recorded failure that reached nobody, and forgets them all. */
  flush(): void {
    const failed = this.failed;
    this.failed = [];
    for (const t of failed) {
      if (t.failureUnobserved) {
        writeLine(
          2,
          `reactor-executor: ${this.executor}: task #${t.id} (${t.name}) failed and nobody awaited its JoinHandle: ${describe(t.error)}`,
        );
      }
    }
  }

  /** Reports an error thrown by a waker or a `drop()`. */
  wakerThrew(e: unknown): void {
    writeLine(2, `reactor-executor: ${this.executor}: a waker or drop() threw: ${describe(e)}`);
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  return String(e);
}
