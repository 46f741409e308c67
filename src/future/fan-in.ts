/**
 * What `joinAll`, `join` and `select` share: many child futures behind one parent, each child with
 * its own readiness flag, so a wake re-polls that child only. (The book's `join_all` re-polls every
 * child on every wake, which is quadratic at scale; Rust's futures crate fixed the same complaint
 * this way.)
 *
 * Implementation notes:
 * - Each pending child gets a `ChildWaker` that records its index in the `woken` list (once, thanks
 *   to the flag) and wakes the parent's most recent waker.
 * - On the first poll every child is polled. A child that finishes at once no longer needs its
 *   waker, so the same waker object is handed to the next child: joining a million finished
 *   handles allocates one waker, not a million. A stale wake from such a finished child can only
 *   flag another child, i.e. cause a spurious poll, which the Future contract allows; finished
 *   children are never polled again.
 *
 * @module
 */
import { PENDING, describeFuture, dropFuture, type Future } from "./future.js";
import { Waker } from "./waker.js";

class ChildWaker extends Waker {
  constructor(
    private readonly owner: FanIn<unknown>,
    public index: number,
  ) {
    super();
  }
  override wake(): void {
    this.owner.childWoke(this.index);
  }
  override consumeBudget(): boolean {
    return this.owner.parentBudget();
  }
}

/** Base of the fan-in combinators; subclasses say what to do with each finished child. */
export abstract class FanIn<T> {
  protected readonly futures: (Future<T> | null)[];
  protected done = false;
  private readonly wakers: (ChildWaker | undefined)[];
  private readonly flags: Uint8Array;
  private woken: number[] = [];
  private spare: number[] = [];
  private parent: Waker | null = null;
  private started = false;

  constructor(futures: Iterable<Future<T>>) {
    this.futures = Array.from(futures);
    this.wakers = new Array<ChildWaker | undefined>(this.futures.length);
    this.flags = new Uint8Array(this.futures.length);
  }

  /** @internal Called by a child's waker. */
  childWoke(i: number): void {
    if (this.flags[i] === 0 && this.futures[i] !== null) {
      this.flags[i] = 1;
      this.woken.push(i);
    }
    this.parent?.wake();
  }

  /** @internal Called by a child's waker: the budget is the parent task's. */
  parentBudget(): boolean {
    return this.parent === null || this.parent.consumeBudget();
  }

  /** Called with each child's output as it finishes; return true to stop polling the others. */
  protected abstract childReady(index: number, value: T): boolean;

  /**
   * Polls every child that may progress. Returns true if `childReady` asked to stop. An error
   * thrown by a child drops the others and propagates.
   */
  protected pollChildren(waker: Waker): boolean {
    this.parent = waker;
    if (!this.started) {
      this.started = true;
      let w: ChildWaker | null = null;
      for (let i = 0; i < this.futures.length; i++) {
        if (w === null) w = new ChildWaker(this, i);
        else w.index = i;
        const r = this.pollChild(i, w);
        if (r === STOP) return true;
        if (r === STILL_PENDING) {
          this.wakers[i] = w;
          w = null;
        }
      }
      return false;
    }
    const list = this.woken;
    this.woken = this.spare;
    for (let k = 0; k < list.length; k++) {
      const i = list[k]!;
      this.flags[i] = 0;
      if (this.futures[i] !== null && this.pollChild(i, this.wakers[i]!) === STOP) {
        list.length = 0;
        this.spare = list;
        return true;
      }
    }
    list.length = 0;
    this.spare = list;
    return false;
  }

  /** Drops every child still pending. */
  protected dropPending(): void {
    this.done = true;
    this.parent = null;
    for (let i = 0; i < this.futures.length; i++) {
      const f = this.futures[i];
      if (f != null) {
        this.futures[i] = null;
        dropFuture(f);
      }
    }
  }

  drop(): void {
    this.dropPending();
  }

  /**
   * For task dumps: `kind`, how many children are pending, and what the first few of them wait
   * on ("joinAll: 2 of 3 pending: sleep until +340 ms; TcpStream.read fd 12").
   */
  protected describeAs(kind: string): string {
    const futures = this.futures;
    if (!this.started) return `${kind} of ${futures.length}: not started`;
    const shown: string[] = [];
    let pending = 0;
    for (const f of futures) {
      if (f === null) continue;
      if (++pending <= DESCRIBED_CHILDREN) shown.push(describeFuture(f));
    }
    if (pending === 0) return `${kind}: done`;
    const more = pending > DESCRIBED_CHILDREN ? `; +${pending - DESCRIBED_CHILDREN} more` : "";
    return `${kind}: ${pending} of ${futures.length} pending: ${shown.join("; ")}${more}`;
  }

  private pollChild(i: number, w: ChildWaker): number {
    let r;
    try {
      r = this.futures[i]!.poll(w);
    } catch (e) {
      this.futures[i] = null;
      this.dropPending();
      throw e;
    }
    if (r === PENDING) return STILL_PENDING;
    this.futures[i] = null;
    this.wakers[i] = undefined;
    return this.childReady(i, r) ? STOP : FINISHED;
  }
}

/** Children a description names before it only counts the rest. */
const DESCRIBED_CHILDREN = 3;

const STILL_PENDING = 0;
const FINISHED = 1;
const STOP = 2;
