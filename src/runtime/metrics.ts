/**
 * Runtime metrics, tokio's `RuntimeMetrics` in spirit: plain counters, readable at any time.
 *
 * - Per executor ({@link ExecutorMetrics}, `executor.metrics()`): fields of the executor, each a
 *   field increment where it happens (or an addition once per cycle), read on the executor's own
 *   thread.
 * - Per reactor ({@link ReactorMetrics}, `reactor().metrics()`): counted by the one thread that
 *   waits on the epoll set (the reactor thread, or the executor driving the inline reactor) and
 *   published in words of the token table's header, so any thread can read them.
 *
 * Implementation notes — the reactor's words: each counter is two 32-bit words (low, high), so it
 * counts past 2^32 (a busy server gets there in hours); a 64-bit float or integer word could be
 * read torn across threads, and `Atomics` on `BigInt64Array` allocate. The writer bumps a sequence
 * word to odd, stores the words, and bumps it back to even; a reader retries while the sequence is
 * odd or moved (a seqlock). The writer publishes once per `epoll_wait` it returns from, before it
 * wakes anyone, so a task woken by an event sees that event counted.
 *
 * @module
 */

/**
 * An executor's counters since it was created (`executor.metrics()`).
 *
 * @example
 * ```ts
 * const ex = new Executor({ clock: new VirtualClock() });
 * ex.blockOn(sleep(1000)); // the clock jumps to the deadline: no park
 * ex.metrics(); // { polls: 2, cycles: 2, parks: 0, wakes: 1, timersFired: 1, tasksSpawned: 1, tasksAlive: 0, ... }
 * ```
 */
export interface ExecutorMetrics {
  /** Task polls. */
  readonly polls: number;
  /** Cycles: each polls what is ready (up to a batch), then looks at the inbox, timers and I/O. */
  readonly cycles: number;
  /** Times the executor parked its thread (or, under `run`, waited for Node's loop) with nothing ready. */
  readonly parks: number;
  /**
   * Wake-ups that queued a task for a poll, from any thread, including a task waking itself while
   * polled (a yield). A task woken again before its poll counts once; a spawn is not a wake.
   */
  readonly wakes: number;
  /** Wakes that came through the inbox: from the reactor, from other threads, of exported wakers. */
  readonly inboxWakes: number;
  /** Tasks spawned, the main task of each `blockOn`/`run` included. */
  readonly tasksSpawned: number;
  /** Tasks not finished yet. */
  readonly tasksAlive: number;
  /** Polls that ran out of cooperative budget (a leaf future was cut short to let others run). */
  readonly budgetExhaustions: number;
  /** Timers (`sleep`, `timeout`) that fired. */
  readonly timersFired: number;
}

/**
 * The reactor's counters since `init()` (`reactor().metrics()`), all threads together.
 *
 * @example
 * ```ts
 * const { epollWaits, events, staleEvents } = reactor().metrics();
 * ```
 */
export interface ReactorMetrics {
  /** `epoll_wait` calls that returned (with events, or at their timeout). */
  readonly epollWaits: number;
  /** Events those calls returned. */
  readonly events: number;
  /** Events dropped as stale: their source had been deregistered, its token maybe reused since. */
  readonly staleEvents: number;
}

/** Words the reactor's counters take in the token table's header, from the offset it gives. */
export const REACTOR_METRICS_WORDS = 7;

const SEQ = 0;
const WAITS = 1;
const EVENTS = 3;
const STALE = 5;
const TWO_32 = 2 ** 32;

/** The epoll thread's counters: kept in plain fields, published to the shared words per turn. */
export class ReactorCounters {
  private epollWaits = 0;
  private events = 0;
  private staleEvents = 0;

  /** `words[at .. at + REACTOR_METRICS_WORDS)` are the counters' shared words. */
  constructor(
    private readonly words: Int32Array,
    private readonly at: number,
  ) {}

  /** Counts an `epoll_wait` that returned `n` events (published by {@link publish}). */
  turn(n: number): void {
    this.epollWaits++;
    this.events += n;
  }

  /** Counts an event dropped as stale (published by {@link publish}). */
  stale(): void {
    this.staleEvents++;
  }

  /**
   * Publishes the counts, once a turn's events are all dispatched: a reader sees a turn whole,
   * never its wait counted without the stale events it dropped.
   */
  publish(): void {
    const w = this.words;
    const at = this.at;
    Atomics.add(w, at + SEQ, 1);
    store(w, at + WAITS, this.epollWaits);
    store(w, at + EVENTS, this.events);
    store(w, at + STALE, this.staleEvents);
    Atomics.add(w, at + SEQ, 1);
  }
}

function store(w: Int32Array, at: number, value: number): void {
  Atomics.store(w, at, (value % TWO_32) | 0);
  Atomics.store(w, at + 1, Math.floor(value / TWO_32));
}

function load(w: Int32Array, at: number): number {
  return (Atomics.load(w, at) >>> 0) + Atomics.load(w, at + 1) * TWO_32;
}

const backoff = new Int32Array(new SharedArrayBuffer(4));

/** Reads the counters published in `words[at ..]`, from any thread. */
export function readReactorCounters(words: Int32Array, at: number): ReactorMetrics {
  for (let tries = 0; ; tries++) {
    const seq = Atomics.load(words, at + SEQ);
    if ((seq & 1) === 0) {
      const m = { epollWaits: load(words, at + WAITS), events: load(words, at + EVENTS), staleEvents: load(words, at + STALE) };
      if (Atomics.load(words, at + SEQ) === seq) return m;
    }
    // The writer is between its two bumps: a few stores, unless its thread lost the core there.
    if (tries >= 100) Atomics.wait(backoff, 0, 0, 0.05);
  }
}

/** The counters on one line, for the signal dump. */
export function formatExecutorMetrics(m: ExecutorMetrics): string {
  return (
    `${m.polls} polls, ${m.cycles} cycles, ${m.parks} parks, ${m.wakes} wakes (${m.inboxWakes} through the inbox), ` +
    `${m.tasksSpawned} tasks spawned, ${m.tasksAlive} alive, ${m.budgetExhaustions} budget exhaustions, ${m.timersFired} timers fired`
  );
}

/** The reactor's counters on one line, for the signal dump. */
export function formatReactorMetrics(m: ReactorMetrics): string {
  return `${m.epollWaits} epoll_wait calls, ${m.events} events, ${m.staleEvents} stale events dropped`;
}
