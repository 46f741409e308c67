/**
 * Happy Eyeballs connection attempts (RFC 8305 section 5), as a future over any kind of attempt:
 * the first candidate is tried alone; each further one starts when the attempt delay has passed
 * since the last start, or at once when an attempt fails; the first attempt to succeed wins and
 * every other one still running is dropped. So one address that black-holes (an IPv6 route that
 * swallows SYNs) costs one attempt delay, not a connect timeout, and a refused one costs nothing.
 *
 * It knows nothing of sockets: an attempt is any future (the connect future for one address, whose
 * `drop()` closes its socket), which keeps the race testable on a virtual clock.
 *
 * @module
 */
import { PENDING, dropFuture, pollAfterReady, type Future, type Poll } from "../../future/future.js";
import type { Waker } from "../../future/waker.js";
import { sleep } from "../../time/sleep.js";
import { CONNECTION_ATTEMPT_DELAY_MS } from "./address-order.js";

/** Options of {@link happyEyeballs}. */
export interface HappyEyeballsOptions {
  /** How long an attempt runs alone before the next one starts; default 250 ms (RFC 8305). */
  readonly delayMs?: number;
  /** Whether an attempt's error lets the next candidate be tried (default: every error does); else it ends the race. */
  readonly retryable?: (error: unknown) => boolean;
  /** The delay future (default `sleep`): tests pass one they complete by hand. */
  readonly delay?: (ms: number) => Future<void>;
}

class HappyEyeballs<C, S> implements Future<S> {
  private readonly running: Future<S>[] = [];
  private next = 0;
  private timer: Future<void> | null = null;
  private lastError: unknown = null;
  private done = false;
  private readonly delayMs: number;
  private readonly retryable: (error: unknown) => boolean;
  private readonly delay: (ms: number) => Future<void>;

  constructor(
    private readonly candidates: readonly C[],
    private readonly attempt: (candidate: C) => Future<S>,
    options: HappyEyeballsOptions,
  ) {
    if (candidates.length === 0) throw new RangeError("happyEyeballs needs at least one candidate");
    this.delayMs = options.delayMs ?? CONNECTION_ATTEMPT_DELAY_MS;
    if (!(this.delayMs >= 0)) throw new RangeError(`delayMs must be 0 or more, got ${this.delayMs}`);
    this.retryable = options.retryable ?? (() => true);
    this.delay = options.delay ?? sleep;
  }

  poll(waker: Waker): Poll<S> {
    if (this.done) pollAfterReady("happyEyeballs()");
    try {
      if (this.next === 0) this.start();
      for (;;) {
        let failed = false;
        for (let i = 0; i < this.running.length;) {
          let r: Poll<S>;
          try {
            r = this.running[i]!.poll(waker);
          } catch (e) {
            if (!this.retryable(e)) throw e;
            this.lastError = e;
            this.running.splice(i, 1);
            failed = true;
            continue;
          }
          if (r !== PENDING) {
            this.running.splice(i, 1);
            this.finish();
            return r;
          }
          i++;
        }
        const more = this.next < this.candidates.length;
        if (!more && this.running.length === 0) throw this.lastError;
        // A failure starts the next attempt at once; otherwise the delay since the last start does.
        if (more && failed) {
          this.start();
          continue;
        }
        if (!more) return PENDING;
        this.timer ??= this.delay(this.delayMs);
        if (this.timer.poll(waker) === PENDING) return PENDING;
        this.timer = null;
        this.start();
      }
    } catch (e) {
      this.finish();
      throw e;
    }
  }

  drop(): void {
    if (!this.done) this.finish();
  }

  private start(): void {
    if (this.timer !== null) dropFuture(this.timer);
    this.timer = null;
    let f: Future<S>;
    try {
      f = this.attempt(this.candidates[this.next++]!);
    } catch (e) {
      // An attempt that cannot even start (no socket to be had) fails like any other.
      f = {
        poll(): Poll<S> {
          throw e;
        },
      };
    }
    this.running.push(f);
  }

  /** Drops whatever still runs: the losers and the delay. */
  private finish(): void {
    this.done = true;
    if (this.timer !== null) dropFuture(this.timer);
    this.timer = null;
    for (const f of this.running.splice(0)) dropFuture(f);
  }
}

/**
 * Races connection attempts to `candidates` (in the order to try them: see
 * `interleaveFamilies`) the Happy Eyeballs way and completes with the first success; the other
 * attempts are dropped. If every attempt fails, the last error is thrown; an error that
 * `options.retryable` refuses ends the race at once.
 *
 * @example
 * ```ts
 * const stream = yield* wait(happyEyeballs(interleaveFamilies(addresses), (a) => connectTo(a)));
 * ```
 */
export function happyEyeballs<C, S>(
  candidates: readonly C[],
  attempt: (candidate: C) => Future<S>,
  options: HappyEyeballsOptions = {},
): Future<S> {
  return new HappyEyeballs(candidates, attempt, options);
}
