/**
 * `sleep(ms)`: a future that completes `ms` milliseconds after its first poll (at most about a
 * millisecond later: deadlines are rounded up to whole milliseconds). The deadline lives in the
 * polling executor's timer heap, on that executor's clock (real time, or a `VirtualClock`); the
 * executor parks no longer than the earliest deadline.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";
import { describeValue } from "../runtime/arguments.js";
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { requireExecutor } from "../runtime/executor.js";
import { NoopWaker, type Waker } from "../future/waker.js";
import { TimerEntry } from "../runtime/timer-heap.js";

/** The waker slot of a sleep not polled yet (and of one completed). */
const NOBODY = new NoopWaker();

/**
 * The sleep is its own timer-heap entry: one object per sleep instead of two, which counts when
 * 100,000 of them are pending. Until the first poll (`waker` still {@link NOBODY}) `deadline`
 * holds the duration; then the due time; and -Infinity once the sleep has completed. The entry
 * reaches its heap through its bucket, so the sleep keeps no executor of its own (8 bytes each).
 */
class Sleep extends TimerEntry implements Future<void> {
  constructor(ms: number) {
    super(ms > 0 ? ms : 0, NOBODY);
  }

  poll(waker: Waker): Poll<void> {
    const deadline = this.deadline;
    if (deadline === -Infinity) pollAfterReady("sleep()");
    if (this.waker === NOBODY) {
      if (deadline === 0) {
        this.deadline = -Infinity;
        return undefined;
      }
      const timers = requireExecutor("sleep()").timers;
      // Deadlines fall on whole milliseconds of the clock, rounded up (never early), as tokio's
      // wheel and Node's timers do: sleeps that end within the same millisecond fire together,
      // after one park, instead of one park each.
      this.deadline = Math.ceil(timers.clock.now() + deadline);
      this.waker = waker;
      timers.insert(this);
      return PENDING;
    }
    // A fired entry has left the heap; an unfired one may be due already (a poll that came early
    // for another reason, or a late budget check).
    if (this.index < 0 || deadline <= this.bucket!.heap.clock.now()) {
      this.cancel();
      this.deadline = -Infinity;
      this.waker = NOBODY;
      return undefined;
    }
    this.waker = waker;
    return PENDING;
  }

  /** "sleep until +340 ms" (on its executor's clock), "sleep 100 ms (not started)", "sleep (done)". */
  describe(): string {
    const deadline = this.deadline;
    if (deadline === -Infinity) return "sleep (done)";
    if (this.waker === NOBODY) return `sleep ${deadline} ms (not started)`;
    const b = this.bucket;
    if (b === null) return "sleep (due)";
    return `sleep until +${formatMs(deadline - b.heap.clock.now())} ms`;
  }

  drop(): void {
    this.cancel();
  }
}

/** Milliseconds for a description: whole ones, or one decimal below 10. */
function formatMs(ms: number): string {
  return ms < 10 ? String(Math.max(0, Math.round(ms * 10) / 10)) : String(Math.round(ms));
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
  checkDuration("sleep(ms)", ms);
  return new Sleep(ms);
}

/**
 * Throws a clear error unless `ms` is a number of milliseconds (`Infinity` allowed: never; a
 * negative duration counts as 0).
 */
export function checkDuration(what: string, ms: unknown): void {
  if (typeof ms !== "number" || Number.isNaN(ms))
    throw new RuntimeError(`${what}: ms must be a number of milliseconds, got ${describeValue(ms)}`);
}
