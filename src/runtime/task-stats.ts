/**
 * Per-task poll counters for task dumps, kept by the executor beside its array of live tasks, not
 * on the task objects: a task stays as small as it was, and the counters take 8 bytes a live task
 * in one typed array,
 * outside the JS heap, where the garbage collector neither copies nor scans them.
 *
 * Slot `i` belongs to the task at index `i` of the executor's live-task array and moves with it
 * (the array's swap-remove). Its two words are the task's polls, saturating at
 * {@link MAX_POLL_COUNT}, and the executor's cycle tag at the task's last poll, or at its spawn
 * (see `dump.ts` for the tag).
 *
 * @module
 */

/** The most polls a task counts. */
export const MAX_POLL_COUNT = 0x7fffffff;

const INITIAL_TASKS = 1024;

export class TaskStats {
  /** `[polls, polledAt]` per slot; replaced by a larger copy when it fills (see {@link added}). */
  words = new Int32Array(2 * INITIAL_TASKS);

  /** A task was spawned into slot `i` at cycle tag `tag`. */
  added(i: number, tag: number): void {
    let w = this.words;
    if (2 * i >= w.length) {
      const larger = new Int32Array(w.length * 2);
      larger.set(w);
      this.words = w = larger;
    }
    w[2 * i] = 0;
    w[2 * i + 1] = tag;
  }

  /** The task in slot `from` moved to slot `to` (the one in `to` finished). */
  moved(from: number, to: number): void {
    const w = this.words;
    w[2 * to] = w[2 * from]!;
    w[2 * to + 1] = w[2 * from + 1]!;
  }

  /**
   * Counts a poll of the task in slot `i` at cycle tag `tag` (`i` is -1 for a task that finished
   * while queued: it is not polled). The array is read each time: a poll that spawns may have
   * replaced it with a larger one.
   */
  polled(i: number, tag: number): void {
    if (i < 0) return;
    const w = this.words;
    const at = 2 * i;
    const p = w[at]!;
    if (p !== MAX_POLL_COUNT) w[at] = p + 1;
    w[at + 1] = tag;
  }

  /** Polls of the task in slot `i`. */
  polls(i: number): number {
    return this.words[2 * i]!;
  }

  /** The cycle tag of the last poll (or the spawn) of the task in slot `i`. */
  polledAt(i: number): number {
    return this.words[2 * i + 1]!;
  }

  /** Moves the tags of the first `n` slots down by `shift`, keeping none below `-shift`. */
  rebase(n: number, shift: number): void {
    const w = this.words;
    for (let i = 0; i < n; i++) w[2 * i + 1] = Math.max(w[2 * i + 1]! - shift, -shift);
  }

  /** Every task has finished: lets go of what a crowd of them made the table grow to. */
  clear(): void {
    if (this.words.length > 2 * INITIAL_TASKS) this.words = new Int32Array(2 * INITIAL_TASKS);
  }
}
