/**
 * `watch(initial)`: a single value that one sender updates and any number of receivers watch,
 * tokio's `watch`. Receivers see the latest value, not every value: a receiver that looks less often
 * than the sender sends skips the values in between.
 *
 * Contract:
 * - Each receiver remembers the version it last saw. `changed()` completes once a newer value
 *   exists (at once if one already does) and marks it seen; `borrowAndUpdate()` marks it seen too,
 *   `borrow()` does not. A new receiver (`subscribe()`, `clone()` of an up-to-date one) has seen
 *   the current value.
 * - When the sender closes, `changed()` still reports a value the receiver has not seen, then
 *   throws `ClosedError`. When every receiver is closed, the sender's `closed()` completes; `send`
 *   still stores the value (`subscribe()` can add a receiver later).
 * - Cancellation: a dropped `changed()` only unlinks itself; it marks nothing seen.
 *
 * @module
 */
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import { RuntimeError } from "../errors.js";
import { ClosedError } from "./closed-error.js";
import { pollToPromise } from "./poll-promise.js";
import { Until, WaitList, Waiter, wakeChain } from "./wait-list.js";

class Core<T> {
  version = 0;
  senderOpen = true;
  receivers = 1;
  readonly changes = new WaitList<Changed<T>>();
  readonly receiversGone = new WaitList<Until>();
  constructor(public value: T) {}
}

const INIT = 0;
const WAITING = 1;
const DONE = 2;

class Changed<T> extends Waiter implements Future<void> {
  declare private state: number;
  declare private readonly core: Core<T>;
  declare private readonly rx: WatchReceiver<T>;

  constructor(core: Core<T>, rx: WatchReceiver<T>) {
    super();
    this.state = INIT;
    this.core = core;
    this.rx = rx;
  }

  poll(waker: Waker): Poll<void> {
    const core = this.core;
    if (this.state === DONE) pollAfterReady("WatchReceiver.changed()");
    if (this.state === WAITING) {
      // Still in the list: nothing was sent since the last poll.
      if (this.waker !== null) {
        this.waker = waker;
        return PENDING;
      }
    }
    if (core.version !== this.rx.seen) {
      this.state = DONE;
      this.rx.seen = core.version;
      return undefined;
    }
    if (!core.senderOpen) {
      this.state = DONE;
      throw new ClosedError("the watch sender is closed");
    }
    core.changes.push(this, waker);
    this.state = WAITING;
    return PENDING;
  }

  drop(): void {
    if (this.state === WAITING && this.waker !== null) {
      this.core.changes.remove(this);
      this.waker = null;
    }
    this.state = DONE;
  }
}

/**
 * A receiver of a {@link watch}: the latest value, and a future of the next change. Also an
 * `AsyncIterable` for Promise code: the current value first, then each change it sees, ending when
 * the sender closes.
 *
 * @example
 * <!-- ts-check
 * declare const config: WatchReceiver<string>;
 * declare function apply(config: string): void;
 * -->
 * ```ts
 * for (;;) {
 *   yield* wait(config.changed()); // throws ClosedError once the sender is gone
 *   apply(config.borrow());
 * }
 * ```
 */
export class WatchReceiver<T> implements Disposable, AsyncIterable<T> {
  /** @internal The version this receiver last saw. */
  seen: number;
  private open = true;

  constructor(private readonly core: Core<T>) {
    this.seen = core.version;
  }

  /** The current value (not marked seen). */
  borrow(): T {
    return this.core.value;
  }

  /** The current value, marked seen. */
  borrowAndUpdate(): T {
    this.seen = this.core.version;
    return this.core.value;
  }

  /** True when a value this receiver has not seen exists. */
  get hasChanged(): boolean {
    return this.core.version !== this.seen;
  }

  /** True once this receiver is closed or the sender is. */
  get isClosed(): boolean {
    return !this.open || !this.core.senderOpen;
  }

  /**
   * Completes when a value newer than the last seen exists, and marks it seen. Throws `ClosedError`
   * when the sender is closed and nothing new is left.
   */
  changed(): Future<void> {
    if (!this.open) throw new RuntimeError("changed() on a closed WatchReceiver");
    return new Changed(this.core, this);
  }

  /** Another receiver, having seen what this one has. */
  clone(): WatchReceiver<T> {
    if (!this.open) throw new RuntimeError("clone of a closed WatchReceiver");
    this.core.receivers++;
    const rx = new WatchReceiver(this.core);
    rx.seen = this.seen;
    return rx;
  }

  /** Closes this receiver; when the last one closes, the sender's `closed()` completes. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    const core = this.core;
    if (--core.receivers === 0) wakeChain(core.receiversGone.takeAll(), () => {});
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    let first = true;
    return {
      next: async (): Promise<IteratorResult<T>> => {
        if (!first) {
          try {
            await pollToPromise(this.changed());
          } catch (e) {
            if (e instanceof ClosedError) return { done: true, value: undefined };
            throw e;
          }
        }
        first = false;
        return { done: false, value: this.borrowAndUpdate() };
      },
    };
  }
}

/**
 * The sending end of a {@link watch}.
 *
 * @example
 * ```ts
 * const [status, _rx] = watch("starting");
 * status.send("ready"); // every receiver's changed() completes
 * ```
 */
export class WatchSender<T> implements Disposable {
  constructor(private readonly core: Core<T>) {}

  /** Stores `value` as the latest and wakes the receivers waiting in `changed()`. Throws `RuntimeError` after `close()`. */
  send(value: T): void {
    const core = this.core;
    if (!core.senderOpen) throw new RuntimeError("send on a closed WatchSender");
    core.value = value;
    core.version++;
    wakeChain(core.changes.takeAll(), () => {});
  }

  /** The current value. */
  borrow(): T {
    return this.core.value;
  }

  /** A new receiver, having seen the current value. */
  subscribe(): WatchReceiver<T> {
    this.core.receivers++;
    return new WatchReceiver(this.core);
  }

  /** Receivers not closed. */
  get receiverCount(): number {
    return this.core.receivers;
  }

  /** True once this sender is closed. */
  get isClosed(): boolean {
    return !this.core.senderOpen;
  }

  /** Completes once every receiver is closed. */
  closed(): Future<void> {
    const core = this.core;
    return new Until(core.receiversGone, () => core.receivers === 0);
  }

  /** Closes the sender: receivers' `changed()` throws `ClosedError` once they have seen the last value. */
  close(): void {
    const core = this.core;
    if (!core.senderOpen) return;
    core.senderOpen = false;
    wakeChain(core.changes.takeAll(), () => {});
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * A watched value: `[sender, receiver]`, starting at `initial`. See the module doc for the contract.
 *
 * @example
 * ```ts
 * const [tx, rx] = watch(0);
 * spawn(coroutine(function* () {
 *   yield* wait(rx.changed());
 *   console.log("now", rx.borrow()); // 2: only the latest value is kept
 * }));
 * tx.send(1);
 * tx.send(2);
 * ```
 */
export function watch<T>(initial: T): [WatchSender<T>, WatchReceiver<T>] {
  const core = new Core(initial);
  return [new WatchSender(core), new WatchReceiver(core)];
}
