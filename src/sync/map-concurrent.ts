/**
 * `mapConcurrent(items, limit, fn)`: `fn` over every item, at most `limit` at once, outputs in input
 * order: the worker pool people otherwise write by hand.
 *
 * Contract:
 * - The limit is a {@link Semaphore}: pass a number for a fresh one, or a semaphore to share one
 *   limit between several maps (and anything else acquiring from it). Each item holds one permit
 *   from the moment `fn` is called until its future ends.
 * - Items are read from `items` one at a time, as permits come: an iterable may be long (or
 *   generated) and only the items in flight are held. `fn(item, index)` is called when the item's
 *   permit is granted.
 * - The first error (from `fn` or its future) drops the futures in flight, gives their permits
 *   back, and is thrown; no further item is started. Dropping the whole future does the same.
 * - The futures run inside the calling task (as `joinAll`'s do), each with its own waker, so a
 *   wake polls only the item it belongs to.
 *
 * @module
 */
import { PENDING, dropFuture, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { Waker } from "../future/waker.js";
import { Semaphore, type SemaphorePermit } from "./semaphore.js";

/** One item in flight: its future, its permit, and its waker. */
class Slot<R> extends Waker {
  woken = false;

  constructor(
    private readonly owner: MapConcurrent<unknown, R>,
    readonly index: number,
    readonly future: Future<R>,
    readonly permit: SemaphorePermit,
  ) {
    super();
  }

  override wake(): void {
    if (!this.woken) {
      this.woken = true;
      this.owner.slotWoke(this);
    }
  }

  override consumeBudget(): boolean {
    return this.owner.parentBudget();
  }
}

class MapConcurrent<T, R> implements Future<R[]> {
  private readonly items: Iterator<T>;
  private readonly semaphore: Semaphore;
  private nextIndex = 0;
  private exhausted = false;
  private done = false;
  /** The acquire for the next item, and that item. */
  private acquiring: Future<SemaphorePermit> | null = null;
  private pendingItem: T | undefined = undefined;
  private readonly running = new Set<Slot<R>>();
  private woken: Slot<R>[] = [];
  private readonly results: R[] = [];
  private parent: Waker | null = null;

  constructor(
    items: Iterable<T>,
    limit: number | Semaphore,
    private readonly fn: (item: T, index: number) => Future<R>,
  ) {
    this.items = items[Symbol.iterator]();
    this.semaphore = limit instanceof Semaphore ? limit : new Semaphore(limit);
  }

  poll(waker: Waker): Poll<R[]> {
    if (this.done) pollAfterReady("mapConcurrent()");
    this.parent = waker;
    try {
      this.pollWoken();
      this.startMore(waker);
    } catch (e) {
      this.cleanUp();
      throw e;
    }
    if (!this.exhausted || this.running.size > 0) return PENDING;
    this.done = true;
    this.parent = null;
    return this.results;
  }

  drop(): void {
    this.cleanUp();
  }

  /** @internal */
  slotWoke(s: Slot<R>): void {
    this.woken.push(s);
    this.parent?.wake();
  }

  /** @internal */
  parentBudget(): boolean {
    return this.parent === null || this.parent.consumeBudget();
  }

  private pollWoken(): void {
    while (this.woken.length > 0) {
      const list = this.woken;
      this.woken = [];
      for (const s of list) {
        s.woken = false;
        if (this.running.has(s)) this.pollSlot(s);
      }
    }
  }

  /** Starts items while permits come at once. */
  private startMore(waker: Waker): void {
    while (!this.exhausted) {
      if (this.acquiring === null) {
        const next = this.items.next();
        if (next.done === true) {
          this.exhausted = true;
          return;
        }
        this.pendingItem = next.value;
        this.acquiring = this.semaphore.acquire();
      }
      const permit = this.acquiring.poll(waker);
      if (permit === PENDING) return;
      this.acquiring = null;
      const item = this.pendingItem as T;
      this.pendingItem = undefined;
      const index = this.nextIndex++;
      let future: Future<R>;
      try {
        future = this.fn(item, index);
      } catch (e) {
        permit.release();
        throw e;
      }
      const s = new Slot(this as MapConcurrent<unknown, R>, index, future, permit);
      this.running.add(s);
      this.pollSlot(s);
    }
  }

  private pollSlot(s: Slot<R>): void {
    let r: Poll<R>;
    try {
      r = s.future.poll(s);
    } catch (e) {
      this.running.delete(s);
      s.permit.release();
      throw e;
    }
    if (r === PENDING) return;
    this.running.delete(s);
    s.permit.release();
    this.results[s.index] = r;
  }

  private cleanUp(): void {
    this.done = true;
    this.exhausted = true;
    this.parent = null;
    this.woken = [];
    const a = this.acquiring;
    this.acquiring = null;
    this.pendingItem = undefined;
    if (a !== null) dropFuture(a);
    const running = Array.from(this.running);
    this.running.clear();
    for (const s of running) {
      s.permit.release();
      dropFuture(s.future);
    }
  }
}

/**
 * Maps `fn` over `items` with at most `limit` futures in flight (a number, or a shared
 * {@link Semaphore}); completes with the outputs in input order. The first error drops the rest
 * and is thrown. See the module doc for the contract.
 *
 * @example
 * <!-- ts-check
 * declare const urls: string[];
 * declare const xs: string[];
 * declare const ys: number[];
 * declare function fetchX(x: string): Future<string>;
 * declare function fetchY(y: number): Future<number>;
 * -->
 * ```ts
 * const bodies = yield* wait(mapConcurrent(urls, 8, (url) => Http.get(url))); // 8 at a time
 *
 * const shared = new Semaphore(8); // one limit for several maps
 * const [a, b] = yield* wait(join(mapConcurrent(xs, shared, fetchX), mapConcurrent(ys, shared, fetchY)));
 * ```
 */
export function mapConcurrent<T, R>(items: Iterable<T>, limit: number | Semaphore, fn: (item: T, index: number) => Future<R>): Future<R[]> {
  if (!(limit instanceof Semaphore) && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw new RangeError(`mapConcurrent(items, limit, fn): limit must be a whole number >= 1 or a Semaphore, got ${String(limit)}`);
  }
  if (typeof fn !== "function") throw new TypeError("mapConcurrent(items, limit, fn): fn must be a function");
  return new MapConcurrent(items, limit, fn);
}
