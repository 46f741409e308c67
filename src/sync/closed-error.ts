/**
 * `ClosedError`: the other side of a channel, semaphore or oneshot is gone.
 *
 * @module
 */

/**
 * Sending on a channel whose receivers are all closed, acquiring from a closed `Semaphore`, awaiting
 * a oneshot whose sender closed without sending, or `changed()` on a `watch` whose sender closed.
 * `code` is `"ECLOSED"`. (Receiving from a channel whose senders are all closed is not an error:
 * `recv()` gives `undefined` once the buffer is drained.)
 *
 * @example
 * ```ts
 * const [tx, rx] = channel<number>(1);
 * rx.close();
 * try { yield* wait(tx.send(1)); } catch (e) { (e as ClosedError).code; } // "ECLOSED"
 * ```
 */
export class ClosedError extends Error {
  override readonly name = "ClosedError";
  readonly code = "ECLOSED";
  constructor(message = "closed") {
    super(message);
  }
}
