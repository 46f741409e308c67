/**
 * The wakers an executor has *exported* during one run: given a number (a waker ref) so that other
 * threads, and the reactor, can wake them through the wake hub. The executor maps a drained slot
 * back to the waker object here.
 *
 * A table lives for one `blockOn`/`run`; references still held when the run ends (a leaked
 * source) die with it: releasing them later is a no-op instead of corrupting the next run's counts.
 * References are counted per slot, so one waker stored for several sources has one slot; `count`
 * (all references) is how the executor knows another thread may still wake it.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";
import { describeValue } from "./arguments.js";
import { DUMP_SLOT, MAX_SLOTS, wakerRef } from "./wake-hub.js";
import type { Waker } from "../future/waker.js";

export class ExportTable {
  /** References held, over all slots. */
  count = 0;
  private alive = true;
  private readonly slots: (Waker | undefined)[] = [];
  private readonly refs: number[] = [];
  private readonly free: number[] = [];
  /** A side table rather than a field on every waker: most tasks and wakers are never exported. */
  private readonly slotOf = new Map<Waker, number>();

  constructor(
    private readonly index: number,
    private readonly owner: string,
  ) {}

  /** Exports `waker` (one more reference) and returns its ref. */
  export(waker: Waker): number {
    let slot = this.slotOf.get(waker);
    if (slot === undefined) {
      slot = this.free.length > 0 ? this.free.pop()! : this.slots.length;
      // The last slot is the dump request's (see DUMP_SLOT).
      if (slot >= DUMP_SLOT) throw new RuntimeError(`more than ${DUMP_SLOT} wakers exported by executor ${this.owner}`);
      this.slots[slot] = waker;
      this.refs[slot] = 0;
      this.slotOf.set(waker, slot);
    }
    this.refs[slot]!++;
    this.count++;
    return wakerRef(this.index, slot);
  }

  /** Drops one reference of `ref`; the slot is reused once none is left. */
  release(ref: number): void {
    if (!this.alive) return;
    if ((ref | 0) !== ref || ref < 0 || ((ref / MAX_SLOTS) | 0) !== this.index) {
      throw new RuntimeError(`releaseWaker(ref): ${describeValue(ref)} is not a waker ref exported by executor ${this.owner}`);
    }
    const slot = ref % MAX_SLOTS;
    const w = this.slots[slot];
    if (w === undefined) return;
    this.count--;
    if (--this.refs[slot]! === 0) {
      this.slots[slot] = undefined;
      this.slotOf.delete(w);
      this.free.push(slot);
    }
  }

  /** The waker in `slot`, if any (a slot freed since its wake was sent has none). */
  waker(slot: number): Waker | undefined {
    return this.slots[slot];
  }

  /** Ends the table with its run. */
  dispose(): void {
    this.alive = false;
    this.count = 0;
  }
}
