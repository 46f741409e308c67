/**
 * `sleep(ms)`: a future that completes `ms` milliseconds after its first poll (at most about a
 * millisecond later: deadlines are rounded up to whole milliseconds). The deadline lives in the
 * polling executor's timer heap; the executor parks no longer than the earliest deadline.
 *
 * @module
 */
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { requireExecutor } from "../runtime/context.js";
import type { Executor } from "../runtime/executor.js";
import type { Waker } from "../runtime/waker.js";
import { TimerEntry } from "./timer-heap.js";

class Sleep implements Future<void> {
  private entry: TimerEntry | null = null;
  private executor: Executor | null = null;
  private done = false;

  constructor(private readonly ms: number) {}

  poll(waker: Waker): Poll<void> {
    if (this.done) pollAfterReady("sleep()");
    const entry = this.entry;
    if (entry === null) {
      if (!(this.ms > 0)) {
        this.done = true;
        return undefined;
      }
      const ex = requireExecutor("sleep()");
      this.executor = ex;
      // Deadlines fall on whole milliseconds of the clock, rounded up (never early), as tokio's
      // wheel and Node's timers do: sleeps that end within the same millisecond fire together,
      // after one park, instead of one park each.
      this.entry = new TimerEntry(Math.ceil(performance.now() + this.ms), waker);
      ex.timers.insert(this.entry);
      return PENDING;
    }
    // A fired entry has left the heap; an unfired one may be due already (a poll that came early
    // for another reason, or a late budget check).
    if (entry.index < 0 || entry.deadline <= performance.now()) {
      this.drop();
      this.done = true;
      return undefined;
    }
    entry.waker = waker;
    return PENDING;
  }

  drop(): void {
    const entry = this.entry;
    if (entry !== null && entry.index >= 0) this.executor!.timers.remove(entry);
  }
}

/**
 * A future that completes after `ms` milliseconds, counted from its first poll. Dropping it
 * cancels the timer.
 *
 * @example
 * ```ts
 * new Executor().blockOn(coroutine(function* () {
 *   yield* wait(sleep(100));
 *   console.log("100 ms later");
 * }));
 * ```
 */
export function sleep(ms: number): Future<void> {
  if (typeof ms !== "number" || Number.isNaN(ms)) throw new TypeError(`sleep(ms): ms must be a number, got ${String(ms)}`);
  return new Sleep(ms);
}
