/**
 * `interval(ms)`: ticks every `ms` milliseconds, tokio's `Interval`. The first tick completes at
 * once; tick n is due `n * ms` after the interval was made, on the executor's timers (a tick is
 * never early; like `sleep`, it may be up to a millisecond late, plus however long the executor
 * was busy).
 *
 * Missed ticks: when a tick completes so late that the next one's time has already passed (the
 * task was busy, or did not call `tick()` for a while), the `missedTickBehavior` option decides
 * when the next tick is due (tokio's `MissedTickBehavior`):
 *
 * - `"skip"` (the default): the ticks that were missed are dropped; the next tick is due at the
 *   next time on the original schedule (`start + k * ms`) after now. No burst of catch-up ticks,
 *   and the ticks stay on their grid.
 * - `"burst"`: the missed ticks all come, at once, one per `tick()` call, until the schedule has
 *   caught up (tokio's default; what a rate that must average out wants).
 * - `"delay"`: the schedule restarts from now: the next tick is due `ms` after this one completed.
 *
 * A tick only counts as missed when the following tick's time has passed; a tick that is merely
 * a little late keeps the schedule as it was. `tick()` is cancellation-safe: a tick dropped before
 * it completed changes nothing (the next `tick()` waits for the same time).
 *
 * @module
 */
import { PENDING, dropFuture, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import { sleep } from "./sleep.js";

/**
 * What an {@link Interval} does after missed ticks (see the module doc).
 *
 * @example
 * ```ts
 * const sampler = interval(100, { missedTickBehavior: "burst" satisfies MissedTickBehavior });
 * ```
 */
export type MissedTickBehavior = "skip" | "burst" | "delay";

/**
 * Options of {@link interval}.
 *
 * @example
 * ```ts
 * const options: IntervalOptions = { missedTickBehavior: "delay" };
 * const poll = interval(1_000, options);
 * ```
 */
export interface IntervalOptions {
  /** What to do after missed ticks; default `"skip"`. */
  missedTickBehavior?: MissedTickBehavior;
}

/**
 * When the tick after one due at `due` (and completing at `now >= due`) is due, for `period`
 * and `behavior`. Pure, so the schedule can be checked on a virtual clock.
 */
export function nextTickTime(behavior: MissedTickBehavior, due: number, now: number, period: number): number {
  const next = due + period;
  if (next > now) return next;
  switch (behavior) {
    case "burst":
      return next;
    case "delay":
      return now + period;
    case "skip":
      return due + period * (Math.floor((now - due) / period) + 1);
  }
}

class Tick implements Future<number> {
  private sleeping: Future<void> | null = null;
  private sleepingFor = NaN;
  private done = false;

  constructor(private readonly interval: Interval) {}

  poll(waker: Waker): Poll<number> {
    if (this.done) pollAfterReady("Interval.tick()");
    const due = this.interval.due;
    const now = performance.now();
    if (due > now) {
      // A reset() while waiting moves the due time: wait for the new one.
      if (this.sleeping === null || this.sleepingFor !== due) {
        if (this.sleeping !== null) dropFuture(this.sleeping);
        this.sleeping = sleep(due - now);
        this.sleepingFor = due;
      }
      if (this.sleeping.poll(waker) === PENDING) return PENDING;
      this.sleeping = null;
    }
    this.done = true;
    this.interval.ticked(due, performance.now());
    return due;
  }

  drop(): void {
    this.done = true;
    if (this.sleeping !== null) dropFuture(this.sleeping);
    this.sleeping = null;
  }
}

/**
 * A schedule of ticks every `period` ms. Wait for each with `tick()`, one at a time.
 *
 * @example
 * <!-- ts-check
 * declare function report(): void;
 * -->
 * ```ts
 * const every = interval(1000);
 * for (let i = 0; i < 5; i++) {
 *   yield* wait(every.tick()); // at 0, 1000, 2000, ... ms (the first at once)
 *   report();
 * }
 * ```
 */
export class Interval {
  /** @internal When the next tick is due (`performance.now()` ms). */
  due: number;

  constructor(
    /** Milliseconds between ticks. */
    readonly period: number,
    /** What happens after missed ticks. */
    readonly missedTickBehavior: MissedTickBehavior,
  ) {
    this.due = performance.now();
  }

  /**
   * Completes at the next tick with the time it was due (on `performance.now()`'s clock; compare
   * it with `performance.now()` to see how late it came).
   *
   * @example
   * <!-- ts-check
   * declare const every: Interval;
   * -->
   * ```ts
   * const due = yield* wait(every.tick());
   * const lateMs = performance.now() - due;
   * ```
   */
  tick(): Future<number> {
    return new Tick(this);
  }

  /**
   * Restarts the schedule: the next tick is due one period from now.
   *
   * @example
   * <!-- ts-check
   * declare const every: Interval;
   * -->
   * ```ts
   * every.reset(); // activity seen: push the next heartbeat back
   * ```
   */
  reset(): void {
    this.due = performance.now() + this.period;
  }

  /** @internal The tick due at `due` completed at `now`. */
  ticked(due: number, now: number): void {
    if (this.due === due) this.due = nextTickTime(this.missedTickBehavior, due, now, this.period);
  }
}

/**
 * An {@link Interval} ticking every `ms` milliseconds (more than 0), the first tick at once.
 * Missed ticks are skipped unless `missedTickBehavior` says otherwise (see the module doc).
 *
 * @example
 * <!-- ts-check
 * declare function send(message: string): Future<void>;
 * -->
 * ```ts
 * const heartbeat = interval(5_000, { missedTickBehavior: "delay" });
 * for (;;) {
 *   yield* wait(heartbeat.tick());
 *   yield* wait(send("ping"));
 * }
 * ```
 */
export function interval(ms: number, options: IntervalOptions = {}): Interval {
  if (typeof ms !== "number" || !(ms > 0) || !Number.isFinite(ms)) {
    throw new RangeError(`interval(ms): ms must be a finite number above 0, got ${String(ms)}`);
  }
  const behavior = options.missedTickBehavior ?? "skip";
  if (behavior !== "skip" && behavior !== "burst" && behavior !== "delay") {
    throw new RangeError(`interval(ms, { missedTickBehavior }): expected "skip", "burst" or "delay", got ${String(behavior)}`);
  }
  return new Interval(ms, behavior);
}
