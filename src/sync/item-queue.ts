/**
 * The receiving half every queue in `sync/` shares: a buffer of items and the futures waiting to
 * take one. A bounded channel's receivers and `JoinSet.joinNext` are both takers of an
 * `ItemQueue`.
 *
 * Contract (what `recv` and `joinNext` inherit):
 * - Takers are served in FIFO order, without barging: an item pushed while takers wait is
 *   reserved for the first of them (it is taken off the list and woken), and a taker that comes
 *   later cannot take a reserved item.
 * - Cancellation-safe: a taker dropped while it waits unlinks itself; one dropped after it was
 *   handed a reservation but before it took the item passes the reservation on to the next
 *   taker. An item is only removed by the poll that returns it, so a dropped take loses nothing.
 * - `end()` says no more items will come: takers that find the buffer empty then complete with
 *   their "ended" output instead of waiting (a channel's `recv` gives `undefined`).
 *
 * @module
 */
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import { Deque } from "./deque.js";
import { WaitList, Waiter, wakeChain } from "./wait-list.js";

const INIT = 0;
const WAITING = 1;
/** Holds a reservation: the buffer's front item is this taker's. */
const NOTIFIED = 2;
/** Woken by `end()`: looks again, as a first poll does. */
const RECHECK = 3;
const DONE = 4;

/** A future taking one item from an {@link ItemQueue}; subclasses say what it completes with. */
export abstract class Take<T, R> extends Waiter implements Future<R> {
  /** @internal */
  declare state: number;
  declare protected readonly queue: ItemQueue<T>;

  constructor(queue: ItemQueue<T>) {
    super();
    this.state = INIT;
    this.queue = queue;
  }

  /** The output for a taken item. */
  protected abstract taken(item: T): R;
  /** The output when the queue has ended and holds nothing for this taker. */
  protected abstract ended(): R;
  /** Named in the error when polled after it finished. */
  protected abstract what(): string;

  poll(waker: Waker): Poll<R> {
    const q = this.queue;
    switch (this.state) {
      case INIT:
      case RECHECK:
        if (q.items.length > q.reserved) {
          if (this.state === INIT && !waker.consumeBudget()) {
            waker.wake();
            return PENDING;
          }
          this.state = DONE;
          return this.taken(q.items.shift());
        }
        if (q.ended) {
          this.state = DONE;
          return this.ended();
        }
        q.waiting.push(this, waker);
        this.state = WAITING;
        return PENDING;
      case WAITING:
        this.waker = waker;
        return PENDING;
      case NOTIFIED:
        this.state = DONE;
        q.reserved--;
        return this.taken(q.items.shift());
      default:
        return pollAfterReady(this.what());
    }
  }

  drop(): void {
    const s = this.state;
    this.state = DONE;
    if (s === WAITING) {
      this.queue.waiting.remove(this);
      this.waker = null;
    } else if (s === NOTIFIED) {
      this.queue.reserved--;
      this.queue.notifyOne();
    }
  }
}

/** A buffer of items and the takers waiting for them (see the module doc). */
export class ItemQueue<T> {
  readonly items: Deque<T>;
  /** Items at the front of `items` promised to woken takers that have not taken them yet. */
  reserved = 0;
  /** No more items will come (until `reopen()`). */
  ended = false;
  readonly waiting = new WaitList<Take<T, unknown>>();

  constructor(initialCapacity?: number) {
    this.items = new Deque<T>(initialCapacity);
  }

  /** Adds an item and hands it to the first waiting taker, if any. */
  push(item: T): void {
    this.items.push(item);
    this.notifyOne();
  }

  /** Takes an item no taker holds a reservation for, or returns undefined. */
  tryTake(): T | undefined {
    return this.items.length > this.reserved ? this.items.shift() : undefined;
  }

  /** Reserves an unreserved item for the first waiting taker and wakes it. */
  notifyOne(): void {
    if (this.items.length <= this.reserved) return;
    const w = this.waiting.shift();
    if (w === null) return;
    this.reserved++;
    const waker = w.waker!;
    w.waker = null;
    w.state = NOTIFIED;
    waker.wake();
  }

  /** No more items will come: waiting takers look again (and end, the buffer being empty). */
  end(): void {
    this.ended = true;
    wakeChain(this.waiting.takeAll(), (w) => (w.state = RECHECK));
  }

  /** Items may come again (`JoinSet.spawn` after the set emptied). */
  reopen(): void {
    this.ended = false;
  }

  /** Drops the buffered items nobody holds a reservation for. */
  discard(): void {
    this.items.truncate(this.reserved);
  }
}
