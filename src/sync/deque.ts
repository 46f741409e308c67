/**
 * A growable ring buffer: O(1) `push`, `shift` and `unshift` (an `Array`'s `shift` is O(n) once
 * V8 stops trimming it in place). The buffer of the channels and of `JoinSet`'s finished tasks.
 *
 * @module
 */

/** A FIFO of `T`, growing by doubling. */
export class Deque<T> {
  private slots: (T | undefined)[];
  private head = 0;
  private mask: number;
  /** Number of items held. */
  length = 0;

  constructor(initialCapacity = 8) {
    let n = 8;
    while (n < initialCapacity) n *= 2;
    this.slots = new Array<T | undefined>(n);
    this.mask = n - 1;
  }

  push(item: T): void {
    if (this.length === this.slots.length) this.grow();
    this.slots[(this.head + this.length) & this.mask] = item;
    this.length++;
  }

  /** Puts `item` in front of the others (it is the next `shift`). */
  unshift(item: T): void {
    if (this.length === this.slots.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.slots[this.head] = item;
    this.length++;
  }

  /** Removes and returns the oldest item; the deque must not be empty. */
  shift(): T {
    const h = this.head;
    const item = this.slots[h] as T;
    this.slots[h] = undefined;
    this.head = (h + 1) & this.mask;
    this.length--;
    return item;
  }

  /** Drops the newest items until `n` are left. */
  truncate(n: number): void {
    while (this.length > n) {
      this.length--;
      this.slots[(this.head + this.length) & this.mask] = undefined;
    }
  }

  /** Drops every item (so the garbage collector can take them). */
  clear(): void {
    this.slots.fill(undefined);
    this.head = 0;
    this.length = 0;
  }

  private grow(): void {
    const old = this.slots;
    const n = old.length;
    const next = new Array<T | undefined>(n * 2);
    for (let i = 0; i < n; i++) next[i] = old[(this.head + i) & this.mask];
    this.slots = next;
    this.head = 0;
    this.mask = n * 2 - 1;
  }
}
