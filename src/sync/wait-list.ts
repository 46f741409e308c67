/**
 * The queue of waiting futures every primitive in `sync/` parks its waiters in: an intrusive,
 * doubly linked FIFO list, as tokio's `batch_semaphore` and `Notify` keep theirs. The waiting future
 * *is* the list node, so waiting allocates nothing beyond the future itself, and a future that is
 * dropped while it waits unlinks itself in O(1) (the cancellation path is as cheap as the wake path).
 *
 * Invariants:
 * - A node is in at most one list, and only while its owner's state says it waits; the owner
 *   removes it (`remove`) when it is dropped in that state.
 * - `waker` is the most recent waker the node was polled with, non-null while it waits.
 * - Whoever takes a node off the list (`shift`, `takeAll`) first updates the primitive's state,
 *   then wakes: a waker may poll synchronously (a promise bridge does), and must see the state
 *   that caused the wake.
 *
 * Implementation notes: the futures made per operation (the waiters, permits and guards of this
 * folder) declare their fields (`declare x: T`) and assign them in the constructor, instead of
 * class fields or parameter properties. Under ES2022 semantics a class field is *defined* on the
 * object, not assigned, and on Node 20 constructing a subclass whose base classes define fields is
 * markedly slower; these are made once per `send`, `recv` or `acquire`.
 *
 * @module
 */
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";

/** A node of a {@link WaitList}: extended by the futures that wait in one. */
export abstract class Waiter {
  /** @internal */
  declare prev: Waiter | null;
  /** @internal */
  declare next: Waiter | null;
  /** @internal The waker to call when this waiter is taken off the list. */
  declare waker: Waker | null;

  constructor() {
    this.prev = null;
    this.next = null;
    this.waker = null;
  }
}

/** A FIFO list of waiting futures (see the module doc). */
export class WaitList<W extends Waiter> {
  private head: W | null = null;
  private tail: W | null = null;
  /** Number of waiters in the list. */
  length = 0;

  /** The longest-waiting node, or null. */
  get first(): W | null {
    return this.head;
  }

  /** Appends `w` (not in any list), remembering `waker`. */
  push(w: W, waker: Waker): void {
    w.waker = waker;
    w.prev = this.tail;
    w.next = null;
    if (this.tail === null) this.head = w;
    else this.tail.next = w;
    this.tail = w;
    this.length++;
  }

  /** Unlinks `w`, which must be in this list. */
  remove(w: W): void {
    const p = w.prev as W | null;
    const n = w.next as W | null;
    if (p === null) this.head = n;
    else p.next = n;
    if (n === null) this.tail = p;
    else n.prev = p;
    w.prev = w.next = null;
    this.length--;
  }

  /** Takes the longest-waiting node off the list, or returns null. Its `waker` is left for the caller. */
  shift(): W | null {
    const w = this.head;
    if (w !== null) this.remove(w);
    return w;
  }

  /**
   * Empties the list and returns its nodes in order, still chained through `next` (read `next`
   * before waking a node: the wake may put it in a list again). For wake-all: nodes pushed while
   * the caller walks the chain land in the fresh list, not in the chain being walked.
   */
  takeAll(): W | null {
    const h = this.head;
    this.head = this.tail = null;
    this.length = 0;
    if (h !== null) h.prev = null;
    return h;
  }
}

/**
 * Wakes every node of a chain `takeAll` returned, after `mark` has set each one's state. `mark`
 * runs for a node before its waker is called.
 */
export function wakeChain<W extends Waiter>(chain: W | null, mark: (w: W) => void): void {
  let w = chain;
  while (w !== null) {
    const next = w.next as W | null;
    w.next = w.prev = null;
    const waker = w.waker;
    w.waker = null;
    mark(w);
    waker?.wake();
    w = next;
  }
}

/**
 * A future that completes once `done()` returns true, waking on {@link WaitList} `list`: the
 * `closed()` futures of the channels' ends. The owner calls `wakeChain(list.takeAll(), ...)` when
 * the condition may have become true.
 */
export class Until extends Waiter implements Future<void> {
  /** 0 not polled, 1 waiting, 2 done. */
  declare private state: number;
  declare private readonly list: WaitList<Until>;
  declare private readonly done: () => boolean;

  constructor(list: WaitList<Until>, done: () => boolean) {
    super();
    this.state = 0;
    this.list = list;
    this.done = done;
  }

  poll(waker: Waker): Poll<void> {
    if (this.state === 2) pollAfterReady("closed()");
    if (this.done()) {
      if (this.state === 1 && this.waker !== null) this.list.remove(this);
      this.state = 2;
      this.waker = null;
      return undefined;
    }
    if (this.waker === null) this.list.push(this, waker);
    else this.waker = waker;
    this.state = 1;
    return PENDING;
  }

  drop(): void {
    if (this.state === 1 && this.waker !== null) this.list.remove(this);
    this.state = 2;
    this.waker = null;
  }
}
