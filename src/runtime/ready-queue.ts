/**
 * The executor's ready queue: the tasks woken and waiting for a poll, first in, first out, in a
 * ring buffer that doubles when full (a push is a store and a mask, no allocation).
 *
 * A task that woke itself during its poll (it *yielded*: `yieldNow()`, a leaf future out of
 * cooperative budget, a self-waking future) goes to the back like any other, and the queue
 * remembers where the first such task since the executor last looked at its timers, inbox and
 * reactor sits: `pop` stops there. So a task that yields is never polled again before the executor
 * has looked, however long each of its polls takes, and a due timer fires at the yield. What the
 * look wakes is then moved ahead of the yielded tasks, so the timer's task runs before the yielder
 * takes another turn (tokio defers a yielding task's wake until after its driver was polled, to the
 * same end).
 *
 * Implementation notes: the move is a rotation of the ring's tail segment, paid only when a look
 * woke something while yielded tasks were waiting; a task that merely yields costs one comparison.
 *
 * @module
 */
import type { Task } from "./task.js";

const INITIAL_SIZE = 1024;

export class ReadyQueue {
  private ring = new Array<Task<unknown> | undefined>(INITIAL_SIZE);
  private head = 0;
  private tail = 0;
  private mask = INITIAL_SIZE - 1;
  /** Ring index of the first task queued by a yield since the last look, or -1. */
  private yielded = -1;
  /** Ring index of the tail when the current look began, or -1 outside a look. */
  private lookFrom = -1;

  /** True when no task is queued. */
  get isEmpty(): boolean {
    return this.head === this.tail;
  }

  /** How many tasks are queued (a stale entry of a task that finished while queued included). */
  get length(): number {
    return (this.tail - this.head) & this.mask;
  }

  /** Queues a woken task. */
  push(task: Task<unknown>): void {
    const tail = this.tail;
    this.ring[tail] = task;
    this.tail = (tail + 1) & this.mask;
    if (this.tail === this.head) this.grow();
  }

  /** Queues a task that woke itself during its poll: it waits for the executor's next look. */
  pushYielded(task: Task<unknown>): void {
    if (this.yielded < 0) this.yielded = this.tail;
    this.push(task);
  }

  /**
   * The next task to poll; undefined when the queue is empty, or when the next task yielded since
   * the executor last looked at its timers and I/O (see {@link endLook}).
   */
  pop(): Task<unknown> | undefined {
    const head = this.head;
    if (head === this.tail || head === this.yielded) return undefined;
    const ring = this.ring;
    const task = ring[head];
    ring[head] = undefined;
    this.head = (head + 1) & this.mask;
    return task;
  }

  /** The executor begins to look at its timers, inbox and reactor: what it wakes is queued next. */
  beginLook(): void {
    this.lookFrom = this.tail;
  }

  /**
   * The executor has looked: the tasks the look woke go ahead of the tasks that yielded since the
   * last look, which may then run again.
   */
  endLook(): void {
    const y = this.yielded;
    const from = this.lookFrom;
    if (y >= 0 && from !== this.tail) this.rotate(y, from);
    this.yielded = -1;
    this.lookFrom = -1;
  }

  /** Forgets every queued task. */
  clear(): void {
    this.ring.fill(undefined);
    this.head = this.tail = 0;
    this.yielded = this.lookFrom = -1;
  }

  /** Moves the segment [from, tail) of the ring ahead of the segment [start, from). */
  private rotate(start: number, from: number): void {
    const ring = this.ring;
    const mask = this.mask;
    const moved: (Task<unknown> | undefined)[] = [];
    for (let i = start; i !== from; i = (i + 1) & mask) moved.push(ring[i]);
    let at = start;
    for (let i = from; i !== this.tail; i = (i + 1) & mask) {
      ring[at] = ring[i];
      at = (at + 1) & mask;
    }
    for (const t of moved) {
      ring[at] = t;
      at = (at + 1) & mask;
    }
  }

  private grow(): void {
    // The ring is full (tail caught up with head): unroll it into an array twice the size.
    const old = this.ring;
    const n = old.length;
    const head = this.head;
    const next = new Array<Task<unknown> | undefined>(n * 2);
    for (let i = 0; i < n; i++) next[i] = old[(head + i) & this.mask];
    if (this.yielded >= 0) this.yielded = (this.yielded - head) & this.mask;
    if (this.lookFrom >= 0) this.lookFrom = (this.lookFrom - head) & this.mask;
    this.ring = next;
    this.head = 0;
    this.tail = n;
    this.mask = n * 2 - 1;
  }
}
