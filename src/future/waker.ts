/**
 * The book's `Waker`: the handle a pending future keeps so that it can tell its executor "poll me
 * again".
 *
 * A `Waker` object lives on the thread that created it (objects never cross threads) and `wake()` is
 * always a same-thread call. To be woken from another thread, a waker is exported as a number
 * (`exportWaker`, done for you by the reactor's `setWaker`): the other thread sets that number's bit
 * in the owning executor's shared-memory inbox, and the owning executor calls `wake()` here.
 *
 * Subclass `Waker` to write your own (combinators do: `joinAll` gives each child its own waker that
 * marks the child ready, then wakes the parent).
 *
 * @module
 */

/**
 * Something that can be woken: `wake()` makes the executor poll the task behind it again. Waking
 * more than once before the poll is the same as waking once; waking a finished task does nothing.
 *
 * @example
 * ```ts
 * class CountingWaker extends Waker {
 *   count = 0;
 *   constructor(private inner: Waker) { super(); }
 *   override wake(): void { this.count++; this.inner.wake(); }
 * }
 * ```
 */
export abstract class Waker {
  abstract wake(): void;

  /**
   * Spends one unit of the cooperative budget of the task behind this waker (tokio's coop budget):
   * true while the task may go on, false once it has used its share of the current turn. A leaf
   * future that gets false wakes this waker and returns `PENDING` instead of doing more work, so
   * one busy task cannot starve the others, the timers or I/O. A waker that stands for no task
   * (this default) never runs out; combinators' child wakers ask their parent's.
   */
  consumeBudget(): boolean {
    return true;
  }
}

/** A waker that does nothing: for polling a future by hand when no wake-up is wanted. */
export class NoopWaker extends Waker {
  override wake(): void {}
}
