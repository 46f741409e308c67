/**
 * What the trace keeps of one executor: its number on this thread's track, the park in progress and
 * the counters last recorded. The executor makes one on its first traced run and calls it from its
 * hooks (each behind `if (tracing)`); the records go through `trace-recorder.ts`.
 *
 * @module
 */
import { ParkEnd } from "./trace-buffer.js";
import { traceCounters, traceExecutorEnd, traceExecutorStart, tracePark, traceNow, traceTask } from "./trace-recorder.js";

let executors = 0;

export class ExecutorTrace {
  /** The executor's number among this thread's executors (records name it by this). */
  readonly id = ++executors;
  private runStart = -1;
  private parkStart = -1;
  private parkTimeout = 0;
  private ready = -1;
  private alive = -1;

  constructor(private readonly name: string) {}

  /** A run (`blockOn`, or `run` when `async`) begins. */
  started(async: boolean): void {
    this.runStart = traceExecutorStart(this.id, this.name, async);
    this.parkStart = -1;
    this.ready = this.alive = -1;
  }

  /** The run ended. */
  ended(): void {
    if (this.runStart >= 0) traceExecutorEnd(this.id, this.runStart);
    this.runStart = -1;
  }

  /** Task `id` named `name` was spawned. */
  spawned(id: number, name: string): void {
    traceTask(id, this.id, name);
  }

  /** The executor parks for up to `timeoutMs`. */
  parking(timeoutMs: number): void {
    this.parkStart = traceNow();
    this.parkTimeout = timeoutMs;
  }

  /** True between {@link parking} and the look that ends the park. */
  get parked(): boolean {
    return this.parkStart >= 0;
  }

  /** The park ended, for the reason `why`. */
  unparked(why: ParkEnd): void {
    tracePark(this.parkStart, this.parkTimeout, this.id, why);
    this.parkStart = -1;
  }

  /** The counters at a look; recorded when they changed. */
  counters(ready: number, alive: number): void {
    if (ready === this.ready && alive === this.alive) return;
    this.ready = ready;
    this.alive = alive;
    traceCounters(this.id, ready, alive);
  }
}
