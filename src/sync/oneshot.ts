/**
 * `oneshot()`: one value, sent once, from one place to another; tokio's `oneshot`.
 *
 * Contract: the receiver is itself the future of the value. `send` never waits; it returns false
 * (and the value is dropped) when the receiver is already closed. A sender closed (or dropped by
 * `using`) without sending makes the receiver throw `ClosedError`, so a waiting task learns that
 * the answer will never come. Dropping the receiver future (it lost a `select`, its task was
 * aborted) closes it, as dropping tokio's `Receiver` does: the sender sees `isClosed`, and its
 * `closed()` future completes, so the work producing the value can stop.
 *
 * @module
 */
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import { ClosedError } from "./closed-error.js";
import { Until, WaitList, wakeChain } from "./wait-list.js";

const EMPTY = 0;
const SENT = 1;
/** The sender closed without sending. */
const SENDER_CLOSED = 2;
/** The receiver took the value, threw, or was closed. */
const FINISHED = 3;

/**
 * The receiving end of a {@link oneshot}: a future of the value. Throws `ClosedError` if the sender
 * closed without sending.
 *
 * @example
 * ```ts
 * const [tx, rx] = oneshot<number>();
 * spawn(coroutine(function* () { yield* wait(sleep(10)); tx.send(42); }));
 * const answer = yield* wait(rx); // 42
 * ```
 */
export class OneshotReceiver<T> implements Future<T>, Disposable {
  /** @internal */
  state = EMPTY;
  /** @internal */
  value: T | undefined = undefined;
  /** @internal */
  waker: Waker | null = null;
  /** @internal The sender's `closed()` futures. */
  readonly closedWaiters = new WaitList<Until>();

  /** True once the receiver finished or was closed. */
  get isClosed(): boolean {
    return this.state === FINISHED;
  }

  poll(waker: Waker): Poll<T> {
    switch (this.state) {
      case EMPTY:
        this.waker = waker;
        return PENDING;
      case SENT: {
        const v = this.value as T;
        this.finish();
        return v;
      }
      case SENDER_CLOSED:
        this.finish();
        throw new ClosedError("the oneshot sender closed without sending");
      default:
        return pollAfterReady("oneshot receiver");
    }
  }

  /**
   * The value if it has been sent (the receiver is then finished); else undefined.
   *
   * @example
   * <!-- ts-check
   * declare const rx: OneshotReceiver<number>;
   * -->
   * ```ts
   * const v = rx.tryRecv(); // undefined while nothing was sent
   * ```
   */
  tryRecv(): T | undefined {
    if (this.state !== SENT) return undefined;
    const v = this.value as T;
    this.finish();
    return v;
  }

  /** Closes the receiver: a later `send` returns false. */
  close(): void {
    if (this.state !== FINISHED) this.finish();
  }

  /** Dropping the receiver future closes it. */
  drop(): void {
    this.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private finish(): void {
    this.state = FINISHED;
    this.value = undefined;
    this.waker = null;
    wakeChain(this.closedWaiters.takeAll(), () => {});
  }
}

/**
 * The sending end of a {@link oneshot}.
 *
 * @example
 * ```ts
 * const [tx, rx] = oneshot<string>();
 * if (!tx.send("done")) console.log("nobody was waiting any more");
 * ```
 */
export class OneshotSender<T> implements Disposable {
  private used = false;

  constructor(private readonly rx: OneshotReceiver<T>) {}

  /** True once the receiver is closed (a `send` would be dropped). */
  get isClosed(): boolean {
    return this.rx.state === FINISHED;
  }

  /**
   * Sends the value and wakes the receiver: true; false if the receiver is closed, or if this
   * sender already sent or closed (one value per oneshot).
   */
  send(value: T): boolean {
    if (this.used) return false;
    this.used = true;
    const rx = this.rx;
    if (rx.state !== EMPTY) return false;
    rx.state = SENT;
    rx.value = value;
    const w = rx.waker;
    rx.waker = null;
    w?.wake();
    return true;
  }

  /** Closes without sending (if nothing was sent): the receiver throws `ClosedError`. Harmless after `send`. */
  close(): void {
    if (this.used) return;
    this.used = true;
    const rx = this.rx;
    if (rx.state !== EMPTY) return;
    rx.state = SENDER_CLOSED;
    const w = rx.waker;
    rx.waker = null;
    w?.wake();
  }

  /**
   * Completes once the receiver is closed or finished: the value is no longer wanted.
   *
   * @example
   * <!-- ts-check
   * declare const work: Future<string>;
   * declare const tx: OneshotSender<string>;
   * -->
   * ```ts
   * const { index } = yield* wait(select([work, tx.closed()])); // stop if the asker gave up
   * ```
   */
  closed(): Future<void> {
    const rx = this.rx;
    return new Until(rx.closedWaiters, () => rx.state === FINISHED);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * A channel for one value: `[sender, receiver]`; the receiver is a future of the value. See the
 * module doc for the contract.
 *
 * @example
 * <!-- ts-check
 * declare function compute(): Future<number>;
 * -->
 * ```ts
 * const [tx, rx] = oneshot<number>();
 * spawn(coroutine(function* () {
 *   using reply = tx;             // closed if this task ends without sending
 *   reply.send(yield* wait(compute()));
 * }));
 * const result = yield* wait(rx);
 * ```
 */
export function oneshot<T>(): [OneshotSender<T>, OneshotReceiver<T>] {
  const rx = new OneshotReceiver<T>();
  return [new OneshotSender(rx), rx];
}
