/**
 * `Notify`: wakes tasks without passing a value, tokio's `Notify`.
 *
 * Contract:
 * - `notifyOne()` wakes the longest-waiting `notified()` future; with nobody waiting it stores one
 *   permit (at most one: notifying twice stores one), and the next `notified()` completes at once,
 *   consuming it. So a notification sent just before the waiter starts waiting is not lost.
 * - `notifyAll()` wakes every `notified()` future created before the call (also ones not polled yet:
 *   a future made, then raced against the notify, still sees it), and stores no permit.
 * - Cancellation: dropping a waiting `notified()` unlinks it; dropping one that `notifyOne()` had
 *   already picked (woken, not yet polled) passes the notification on to the next waiter, or back
 *   to the stored permit. A `notifyOne` is never lost to a cancelled waiter.
 *
 * @module
 */
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import { WaitList, Waiter, wakeChain } from "./wait-list.js";

const INIT = 0;
const WAITING = 1;
const NOTIFIED_ONE = 2;
const NOTIFIED_ALL = 3;
const DONE = 4;

class Notified extends Waiter implements Future<void> {
  declare state: number;
  /** `notifyAll` calls seen when this future was made: a later one completes it. */
  declare private readonly calls: number;
  declare private readonly notify: Notify;

  constructor(notify: Notify) {
    super();
    this.state = INIT;
    this.notify = notify;
    this.calls = notify.allCalls;
  }

  poll(waker: Waker): Poll<void> {
    switch (this.state) {
      case INIT: {
        const n = this.notify;
        if (n.allCalls !== this.calls) break;
        if (n.permit) {
          n.permit = false;
          break;
        }
        n.waiters.push(this, waker);
        this.state = WAITING;
        return PENDING;
      }
      case WAITING:
        this.waker = waker;
        return PENDING;
      case NOTIFIED_ONE:
      case NOTIFIED_ALL:
        break;
      default:
        return pollAfterReady("Notify.notified()");
    }
    this.state = DONE;
    return undefined;
  }

  drop(): void {
    const s = this.state;
    this.state = DONE;
    if (s === WAITING) {
      this.notify.waiters.remove(this);
      this.waker = null;
    } else if (s === NOTIFIED_ONE) {
      this.notify.notifyOne();
    }
  }
}

/**
 * Wakes waiting tasks: one (`notifyOne`, with a stored permit when nobody waits) or all
 * (`notifyAll`). See the module doc for the contract.
 *
 * @example
 * ```ts
 * const ready = new Notify();
 * spawn(coroutine(function* () {
 *   yield* wait(ready.notified()); // completes after notifyOne(), even one made before this line
 *   console.log("go");
 * }));
 * ready.notifyOne();
 * ```
 */
export class Notify {
  /** @internal A notifyOne with nobody waiting. */
  permit = false;
  /** @internal How many times notifyAll ran. */
  allCalls = 0;
  /** @internal */
  readonly waiters = new WaitList<Notified>();

  /**
   * A future that completes at the next notification (see the contract). Make it before checking
   * the condition you wait for, then wait on it: a `notifyAll` in between is not missed.
   *
   * @example
   * <!-- ts-check
   * declare let done: boolean;
   * declare const changed: Notify;
   * -->
   * ```ts
   * while (!done) yield* wait(changed.notified());
   * ```
   */
  notified(): Future<void> {
    return new Notified(this);
  }

  /**
   * Wakes the longest-waiting `notified()` future, or stores a permit for the next one.
   *
   * @example
   * <!-- ts-check
   * declare const queue: string[];
   * declare const job: string;
   * declare const jobAdded: Notify;
   * -->
   * ```ts
   * queue.push(job);
   * jobAdded.notifyOne();
   * ```
   */
  notifyOne(): void {
    const w = this.waiters.shift();
    if (w === null) {
      this.permit = true;
      return;
    }
    const waker = w.waker!;
    w.waker = null;
    w.state = NOTIFIED_ONE;
    waker.wake();
  }

  /**
   * Wakes every `notified()` future made before this call; stores no permit. (tokio's
   * `notify_waiters`.)
   *
   * @example
   * <!-- ts-check
   * declare let config: string;
   * declare const next: string;
   * declare const configChanged: Notify;
   * -->
   * ```ts
   * config = next;
   * configChanged.notifyAll();
   * ```
   */
  notifyAll(): void {
    this.allCalls++;
    wakeChain(this.waiters.takeAll(), (w) => (w.state = NOTIFIED_ALL));
  }
}
