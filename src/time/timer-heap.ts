/**
 * The executor's timers: a binary min-heap of deadlines (tokio's time driver keeps a wheel; a heap
 * is simpler and, at 100,000 timers, 17 levels deep). Each executor owns one, so no timer traffic
 * crosses threads; the executor parks with a timeout equal to the earliest deadline.
 *
 * Entries know their heap position, so a dropped `sleep` (a `timeout` whose future won, a `select`
 * loser) is removed at once in O(log n) instead of lingering until its deadline: memory stays
 * bounded by the timers that are really pending.
 *
 * @module
 */
import type { Waker } from "../runtime/waker.js";

/** One pending deadline. `index` is its heap position, -1 once fired or removed. */
export class TimerEntry {
  index = -1;
  constructor(
    public deadline: number,
    public waker: Waker,
  ) {}
}

/** A min-heap of {@link TimerEntry} by deadline (milliseconds on the `performance.now()` clock). */
export class TimerHeap {
  private heap: TimerEntry[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** The earliest deadline, or `Infinity` when empty. */
  nextDeadline(): number {
    const top = this.heap[0];
    return top === undefined ? Infinity : top.deadline;
  }

  insert(entry: TimerEntry): void {
    entry.index = this.heap.length;
    this.heap.push(entry);
    this.up(entry.index);
  }

  remove(entry: TimerEntry): void {
    const i = entry.index;
    if (i < 0) return;
    entry.index = -1;
    const last = this.heap.pop()!;
    if (last === entry) return;
    this.heap[i] = last;
    last.index = i;
    this.down(i);
    this.up(last.index);
  }

  /**
   * Removes every entry due at `now` and wakes it. Wakers run after the entry left the heap, so a
   * waker that inserts a new timer sees a consistent heap. Returns how many fired.
   */
  fire(now: number, onWakeError: (e: unknown) => void): number {
    let n = 0;
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.deadline <= now) {
      const entry = heap[0]!;
      this.remove(entry);
      n++;
      try {
        entry.waker.wake();
      } catch (e) {
        onWakeError(e);
      }
    }
    return n;
  }

  private up(i: number): void {
    const heap = this.heap;
    const e = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = heap[p]!;
      if (pe.deadline <= e.deadline) break;
      heap[i] = pe;
      pe.index = i;
      i = p;
    }
    heap[i] = e;
    e.index = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const e = heap[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && heap[c + 1]!.deadline < heap[c]!.deadline) c++;
      const ce = heap[c]!;
      if (ce.deadline >= e.deadline) break;
      heap[i] = ce;
      ce.index = i;
      i = c;
    }
    heap[i] = e;
    e.index = i;
  }
}
