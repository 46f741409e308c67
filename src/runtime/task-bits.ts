/**
 * The task's vocabulary: its state bits, what `Task.run` reports, and its budget. `task.ts` owns
 * the state machine (only it sets or clears a bit); the constants live apart because this module
 * imports nothing, and the bundler inlines the constants of such a module at every use (see
 * `scripts/bundle.mjs`): the hot loop then tests bits against literals instead of loading each
 * constant from the module's scope.
 *
 * @module
 */

/**
 * Woken since its last poll began: in the ready queue, or, while `RUNNING`, to be put back when the
 * poll returns. Set by `wake` (not when `DONE`); cleared by `run` as the poll begins, and by `finish`.
 */
export const QUEUED = 1;
/** Its future is being polled right now. Set by `run` as the poll begins; cleared when it returns (`run`, `finish`). */
export const RUNNING = 2;
/** `abort()` came while `RUNNING`: cancel when the poll returns. Set by `abort`; cleared by `finish`. */
export const ABORTING = 4;
/** Finished: `inner` holds the output or error, the future is gone. Set by `finish` only (from `run` or `cancel`); never cleared. */
export const DONE = 8;
/** With `DONE`: the future threw. Set by `finish` (from `run`); never cleared. */
export const FAILED = 16;
/** With `DONE`: aborted, or given up on when its executor ended. Set by `finish` (from `cancel`); never cleared. */
export const CANCELLED = 32;
/**
 * The outcome reached someone: the handle returned or threw it (`poll`), a joiner was waiting when
 * it came (`finish`), or the executor rethrew it (`observe`, the main task). A failure with this
 * clear is reported on stderr. Never cleared.
 */
export const OBSERVED = 64;
/** The handle returned the outcome: polling it again is a bug. Set by `poll` (of the handle); never cleared. */
export const JOINED = 128;

/** What `Task.run` did, for the executor: the task had finished while queued (not polled). */
export const SKIPPED = 0;
/** Polled; pending until something wakes it. */
export const WAITING = 1;
/** Polled; it woke itself during the poll (a yield): queue it again, after a look at timers and I/O. */
export const YIELDED = 2;
/** Polled to completion (or cancelled by an `abort()` from inside the poll). */
export const FINISHED = 3;
/** Polled; the future threw: the task failed. */
export const THREW = 4;

/**
 * Units of cooperative budget a task gets per poll (tokio's figure). A leaf future that loops
 * spends one per unit of work through `Waker.consumeBudget()`.
 */
export const TASK_BUDGET = 128;

/** The state bits are the low 8 bits of a task's word; above them, 1 + its live-task index. */
export const STATE_MASK = 0xff;
export const INDEX_SHIFT = 8;

/** The most polls a task counts (its `polls` saturates there). */
export const MAX_POLL_COUNT = 0x7fffffff;
