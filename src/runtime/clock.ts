/**
 * The clock an executor's timers run on: real time (`performance.now()`) by default, or a
 * {@link VirtualClock} that moves only when told to (tokio's paused time, undici's fake timers).
 *
 * On a virtual clock an executor that has nothing to poll and nothing else that could wake it (no
 * waker exported to the reactor or another thread, no `fromPromise` in flight) does not park: it
 * moves the clock to its next timer's deadline and fires it (tokio's auto-advance). A test of a
 * one-minute timeout therefore runs in microseconds, and deadlines hold exactly. While something
 * else may still wake the executor, virtual time stands still until it does (or `advance` is called).
 *
 * @module
 */
import { RuntimeError } from "../errors.js";
import { describeValue } from "./arguments.js";

/**
 * What the executor reads the time from: milliseconds, on any origin, never going backwards.
 *
 * @example
 * ```ts
 * // A clock that runs at real speed but starts at 0.
 * const t0 = performance.now();
 * const fromZero: Clock = { now: () => performance.now() - t0 };
 * ```
 */
export interface Clock {
  now(): number;
}

/** The default clock: `performance.now()`. */
export const REAL_CLOCK: Clock = { now: () => performance.now() };

/**
 * A clock that moves only when told: by {@link advance}, or by an executor using it that would
 * otherwise sit idle (it jumps to the next timer's deadline). Give it to an executor with
 * `new Executor({ clock })`; several executors may share one.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * new Executor({ clock }).blockOn(coroutine(function* () {
 *   yield* wait(sleep(60_000)); // returns at once: nothing else could wake the executor
 *   console.log(clock.now()); // 60000
 * }));
 * ```
 */
export class VirtualClock implements Clock {
  private time: number;
  private readonly watchers = new Set<() => void>();

  /** @param start the time (ms) the clock shows at first; default 0. */
  constructor(start = 0) {
    checkTime("new VirtualClock(start)", start);
    this.time = start;
  }

  /** The clock's time in milliseconds. */
  now(): number {
    return this.time;
  }

  /**
   * Moves the clock `ms` milliseconds forward. Executors running on it look at their timers again
   * (a parked one is unparked), so timers due by the new time fire.
   */
  advance(ms: number): void {
    checkTime("VirtualClock.advance(ms)", ms);
    if (ms < 0) throw new RuntimeError(`VirtualClock.advance(ms): ms must not be negative, got ${ms}`);
    if (ms === 0) return;
    this.time += ms;
    this.moved();
  }

  /**
   * @internal Moves the clock to `time` if that is later (an executor's auto-advance); the other
   * executors on the clock look at their timers too.
   */
  advanceTo(time: number): void {
    if (time <= this.time) return;
    this.time = time;
    this.moved();
  }

  /** @internal Calls `onAdvance` each time the clock moves; returns the unsubscribe function. */
  watch(onAdvance: () => void): () => void {
    this.watchers.add(onAdvance);
    return () => this.watchers.delete(onAdvance);
  }

  private moved(): void {
    for (const w of this.watchers) w();
  }
}

function checkTime(what: string, ms: unknown): void {
  if (typeof ms !== "number" || !Number.isFinite(ms))
    throw new RuntimeError(`${what}: expected a finite number of milliseconds, got ${describeValue(ms)}`);
}
