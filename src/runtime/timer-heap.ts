/**
 * The executor's timers: entries grouped in buckets by deadline, and a binary min-heap of the
 * buckets. Each executor owns one, so no timer traffic crosses threads; the executor parks with a
 * timeout equal to the earliest deadline.
 *
 * Deadlines are whole milliseconds (`sleep` rounds up), so 100,000 timers spread over a second
 * make about 1,000 buckets: adding a timer to an existing bucket, cancelling one and firing one are
 * O(1), and only a new deadline pays the heap's O(log buckets) — the effect of tokio's wheel,
 * in a structure that also takes any other deadline.
 *
 * Entries know their place, so a dropped `sleep` (a `timeout` whose future won, a `select` loser)
 * is removed at once instead of lingering until its deadline: memory stays bounded by the timers
 * that are really pending.
 *
 * Deadlines are on the heap's {@link Clock} (the executor's: real time, or a `VirtualClock`).
 *
 * @module
 */
import type { Waker } from "../future/waker.js";
import type { Clock } from "./clock.js";

/** One pending deadline. `index` is its place in its bucket, -1 once fired or removed. */
export class TimerEntry {
  index = -1;
  /** @internal */
  bucket: Bucket | null = null;
  constructor(
    public deadline: number,
    public waker: Waker,
  ) {}

  /** Takes the entry out of the heap it is in, if any (the same as that heap's `remove`). */
  cancel(): void {
    const b = this.bucket;
    if (b !== null) b.heap.remove(this);
  }
}

/** The entries that share one deadline, the bucket's place in the heap, and the heap. */
class Bucket {
  readonly entries: TimerEntry[] = [];
  heapIndex = -1;
  constructor(
    readonly deadline: number,
    readonly heap: TimerHeap,
  ) {}
}

/** Pending timers by deadline (milliseconds on `clock`). */
export class TimerHeap {
  private readonly heap: Bucket[] = [];
  private readonly byDeadline = new Map<number, Bucket>();
  private count = 0;

  constructor(readonly clock: Clock) {}

  /** How many timers are pending. */
  get size(): number {
    return this.count;
  }

  /** The earliest deadline, or `Infinity` when empty. */
  nextDeadline(): number {
    const top = this.heap[0];
    return top === undefined ? Infinity : top.deadline;
  }

  insert(entry: TimerEntry): void {
    let b = this.byDeadline.get(entry.deadline);
    if (b === undefined) {
      b = new Bucket(entry.deadline, this);
      this.byDeadline.set(entry.deadline, b);
      b.heapIndex = this.heap.length;
      this.heap.push(b);
      this.up(b.heapIndex);
    }
    entry.bucket = b;
    entry.index = b.entries.length;
    b.entries.push(entry);
    this.count++;
  }

  remove(entry: TimerEntry): void {
    const b = entry.bucket;
    if (b === null) return;
    const entries = b.entries;
    const last = entries.pop()!;
    if (last !== entry) {
      entries[entry.index] = last;
      last.index = entry.index;
    }
    entry.index = -1;
    entry.bucket = null;
    this.count--;
    if (entries.length === 0) this.removeBucket(b);
  }

  /**
   * Removes every entry due by the clock's time and wakes it, earliest deadline first. Each bucket
   * leaves the heap before its wakers run, so a waker that inserts a new timer sees a consistent
   * structure. Returns how many fired.
   */
  fire(onWakeError: (e: unknown) => void): number {
    const now = this.clock.now();
    let n = 0;
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.deadline <= now) {
      const b = heap[0]!;
      this.removeBucket(b);
      const entries = b.entries;
      this.count -= entries.length;
      n += entries.length;
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        entry.index = -1;
        entry.bucket = null;
        try {
          entry.waker.wake();
        } catch (e) {
          onWakeError(e);
        }
      }
    }
    return n;
  }

  private removeBucket(b: Bucket): void {
    this.byDeadline.delete(b.deadline);
    const i = b.heapIndex;
    b.heapIndex = -1;
    const last = this.heap.pop()!;
    if (last === b) return;
    this.heap[i] = last;
    last.heapIndex = i;
    this.down(i);
    this.up(last.heapIndex);
  }

  private up(i: number): void {
    const heap = this.heap;
    const b = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pb = heap[p]!;
      if (pb.deadline <= b.deadline) break;
      heap[i] = pb;
      pb.heapIndex = i;
      i = p;
    }
    heap[i] = b;
    b.heapIndex = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const b = heap[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && heap[c + 1]!.deadline < heap[c]!.deadline) c++;
      const cb = heap[c]!;
      if (cb.deadline >= b.deadline) break;
      heap[i] = cb;
      cb.heapIndex = i;
      i = c;
    }
    heap[i] = b;
    b.heapIndex = i;
  }
}
