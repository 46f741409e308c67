/**
 * The wake hub: the shared memory through which any thread wakes any executor. Only numbers cross
 * threads (DESIGN: "cross-thread wakes carry numbers only"), so a waker is named by a *waker ref*:
 * `(executor index << SLOT_BITS) | slot`, where `slot` indexes the owning executor's local table of
 * exported waker objects.
 *
 * Layout, one region per executor index (`MAX_EXECUTORS` of them, preallocated once per process and
 * handed to every worker; untouched pages are never committed, so the reservation costs address
 * space, not memory):
 *
 * | word            | written by                         | meaning                                   |
 * | --------------- | ---------------------------------- | ----------------------------------------- |
 * | `CLAIM`         | the thread creating an executor    | 0 free, else the owner's `threadId + 1`   |
 * | `PARK`          | owner (EMPTY/PARKED), wakers (NOTIFIED) | the three-state park word            |
 * | `OUTPUT_LOCK`   | any thread (region 0's word only)  | held while a dump is written to stderr    |
 * | inbox bitmap    | wakers set bits, owner clears them | one "notified" bit per slot, 4 levels     |
 *
 * The inbox is a hierarchical bitmap rather than a queue: a slot's bit *is* its "notified" flag, so
 * a waker woken a million times before its executor looks is in the inbox once, the inbox can never
 * overflow (memory is bounded by the slot count, whatever the number of wakes), and a thread that
 * wakes never blocks. Level 0 has one bit per slot; each bit of level k+1 says "word i of level k
 * may be non-zero".
 *
 * An executor index belongs to the thread that claimed it, and the claim word says which one, so
 * the index of a thread that died without releasing it (stopped, out of memory) is reclaimed by
 * its parent once the thread is known to be gone ({@link reclaimExecutorIndices}).
 *
 * Implementation notes:
 * - Wake: OR the bit into level 0; climb only while the word was zero before (a non-zero word means
 *   whoever set its first bit is climbing, or the owner is draining top-down and has yet to
 *   exchange this word, so it will see our bit). The waker that sets the top word from zero
 *   unparks the owner. Every set bit is therefore either seen by a drain in progress or followed
 *   by an unpark.
 * - Drain: the owner exchanges words to zero from the top down, so a bit set during a drain is
 *   either taken by it or re-announces itself.
 * - Park/unpark as in tokio's `park.rs`: unpark *swaps* in NOTIFIED (it must not lose a notification
 *   that races with the owner going to sleep), and notifies only if the owner was PARKED.
 *
 * @module
 */
import { threadId } from "node:worker_threads";
import { RuntimeError } from "../errors.js";
import { describeValue } from "./arguments.js";
import "./one-copy.js";
import { traceUndelivered, traceWake, tracing } from "./trace-recorder.js";

/** Executors that can exist at once in one process (all threads together). */
export const MAX_EXECUTORS = 128;
/** Bits of a waker ref that name the slot; the rest name the executor index. */
export const SLOT_BITS = 20;
/** Slots per executor; the last one is {@link DUMP_SLOT}. */
export const MAX_SLOTS = 1 << SLOT_BITS;
/**
 * A slot never given to a waker: waking it asks the executor to print its task dump (the signal
 * dump asks the executors of other threads this way, since only numbers cross threads).
 */
export const DUMP_SLOT = MAX_SLOTS - 1;

/** Park word states. */
export const EMPTY = 0;
export const PARKED = 1;
export const NOTIFIED = 2;

// Word offsets inside one executor's region.
const CLAIM = 0;
const PARK = 1;
/** Process-wide, in region 0 only (its other header words are unused). */
const OUTPUT_LOCK = 2;
const LEVEL_WORDS = [MAX_SLOTS >>> 5, MAX_SLOTS >>> 10, MAX_SLOTS >>> 15, 1]; // 32768, 1024, 32, 1
const LEVELS = LEVEL_WORDS.length;
const LEVEL_OFFSET: number[] = [];
{
  let at = 16; // header words, room to grow
  for (const n of LEVEL_WORDS) {
    LEVEL_OFFSET.push(at);
    at += n;
  }
  LEVEL_OFFSET.push(at);
}
const REGION_WORDS = LEVEL_OFFSET[LEVELS]!;
const TOP = LEVEL_OFFSET[LEVELS - 1]!;
/** What this thread writes in the claim words it takes: Node's thread ids start at 0 (main). */
const OWNER = threadId + 1;

let hub: Int32Array | null = null;

/** The process's hub memory, created on first use; pass it to workers with {@link attachWakeHub}. */
export function wakeHubBuffer(): SharedArrayBuffer {
  return words().buffer as SharedArrayBuffer;
}

/** Adopts the hub created by the main thread (called once at a worker's start). */
export function attachWakeHub(buffer: SharedArrayBuffer): void {
  hub = new Int32Array(buffer);
}

function words(): Int32Array {
  if (hub === null) hub = new Int32Array(new SharedArrayBuffer(MAX_EXECUTORS * REGION_WORDS * 4));
  return hub;
}

/** Claims a free executor index for this thread, or throws when `MAX_EXECUTORS` are alive. */
export function claimExecutorIndex(): number {
  const w = words();
  for (let i = 0; i < MAX_EXECUTORS; i++) {
    if (Atomics.compareExchange(w, i * REGION_WORDS + CLAIM, 0, OWNER) === 0) {
      Atomics.store(w, i * REGION_WORDS + PARK, EMPTY);
      return i;
    }
  }
  throw new Error(`too many executors alive at once (the limit is ${MAX_EXECUTORS})`);
}

/**
 * Gives an executor index of this thread back. Bits still set in its inbox are cleared here, so
 * the next owner starts empty; a wake that races with the release lands as a spurious wake, which
 * is allowed. An index this thread no longer holds (its exit handler reclaimed it already) is left
 * alone: it may belong to another executor by now.
 */
export function releaseExecutorIndex(index: number): void {
  if (Atomics.load(words(), index * REGION_WORDS + CLAIM) === OWNER) free(index);
}

/**
 * Releases every executor index claimed by the thread whose Node `threadId` is `thread`; returns
 * how many. Only for a thread that runs no more executor code: one that has ended, or the calling
 * thread itself in its `exit` handler.
 */
export function reclaimExecutorIndices(thread: number): number {
  const w = words();
  let n = 0;
  for (let i = 0; i < MAX_EXECUTORS; i++) {
    if (Atomics.load(w, i * REGION_WORDS + CLAIM) === thread + 1) {
      free(i);
      n++;
    }
  }
  return n;
}

/** @internal How many executor indices are claimed right now, all threads together. */
export function executorIndicesInUse(): number {
  const w = words();
  let n = 0;
  for (let i = 0; i < MAX_EXECUTORS; i++) if (Atomics.load(w, i * REGION_WORDS + CLAIM) !== 0) n++;
  return n;
}

function free(index: number): void {
  const w = words();
  const base = index * REGION_WORDS;
  // A traced wake left undrained leaves its flow in the trace's side table: it ends here, so the
  // slot's next owner neither inherits the arrow nor loses its own, and no arrow stays open.
  drainInbox(index, tracing ? (slot) => traceUndelivered(wakerRef(index, slot)) : () => {});
  Atomics.store(w, base + PARK, EMPTY);
  Atomics.store(w, base + CLAIM, 0);
}

/** Builds the number that names slot `slot` of executor `index`. */
export function wakerRef(index: number, slot: number): number {
  return index * MAX_SLOTS + slot;
}

/** One past the largest waker ref. */
const REF_LIMIT = MAX_EXECUTORS * MAX_SLOTS;

/**
 * Wakes the waker named by `ref` from any thread: marks its slot notified and unparks its executor
 * if this wake is the one that made the inbox non-empty. Never blocks. A `ref` that is not one
 * `exportWaker` could have given (NaN, a fraction, out of range) throws a `RuntimeError` instead of
 * waking some other slot.
 *
 * @example
 * <!-- ts-check
 * declare const shared: Int32Array;
 * -->
 * ```ts
 * // in a worker thread, with a ref the owning thread got from exportWaker(waker):
 * wakeRef(Atomics.load(shared, 0));
 * ```
 */
export function wakeRef(ref: number): void {
  if ((ref | 0) !== ref || ref < 0 || ref >= REF_LIMIT) {
    throw new RuntimeError(`wakeRef(ref): ${describeValue(ref)} is not a waker ref (an integer from exportWaker, 0..${REF_LIMIT - 1})`);
  }
  const w = words();
  const index = (ref / MAX_SLOTS) | 0;
  // Before the bit: the flow must be in the side table when the owner drains it.
  if (tracing) traceWake(ref, index);
  let bit = ref - index * MAX_SLOTS;
  const base = index * REGION_WORDS;
  for (let level = 0; level < LEVELS; level++) {
    const word = bit >>> 5;
    const old = Atomics.or(w, base + LEVEL_OFFSET[level]! + word, 1 << (bit & 31));
    if (old !== 0) return;
    bit = word;
  }
  unparkIndex(index);
}

/** Swaps NOTIFIED into executor `index`'s park word and wakes it if it was sleeping. */
export function unparkIndex(index: number): void {
  const w = words();
  const at = index * REGION_WORDS + PARK;
  if (Atomics.exchange(w, at, NOTIFIED) === PARKED) Atomics.notify(w, at, 1);
}

/** True when executor `index` may have notified slots (one atomic load: the cheap check). */
export function inboxNonEmpty(index: number): boolean {
  return Atomics.load(words(), index * REGION_WORDS + TOP) !== 0;
}

/** Takes every notified slot of executor `index` out of its inbox, calling `each(slot)` once per slot. */
export function drainInbox(index: number, each: (slot: number) => void): void {
  const w = words();
  const base = index * REGION_WORDS;
  const top = Atomics.exchange(w, base + TOP, 0);
  if (top !== 0) drainWord(w, base, LEVELS - 1, 0, top, each);
}

function drainWord(w: Int32Array, base: number, level: number, word: number, bits: number, each: (slot: number) => void): void {
  while (bits !== 0) {
    const low = bits & -bits;
    bits ^= low;
    const child = word * 32 + (31 - Math.clz32(low));
    if (level === 0) {
      each(child);
    } else {
      const below = Atomics.exchange(w, base + LEVEL_OFFSET[level - 1]! + child, 0);
      if (below !== 0) drainWord(w, base, level - 1, child, below, each);
    }
  }
}

/** The process-wide word that serialises dumps written to stderr by several threads. */
export function outputLockWord(): { words: Int32Array; at: number } {
  return { words: words(), at: OUTPUT_LOCK };
}

/**
 * Calls `each(index, threadId)` for every claimed executor index, with the Node `threadId` of the
 * thread that owns it.
 */
export function forEachExecutorIndex(each: (index: number, threadId: number) => void): void {
  const w = words();
  for (let i = 0; i < MAX_EXECUTORS; i++) {
    const owner = Atomics.load(w, i * REGION_WORDS + CLAIM);
    if (owner !== 0) each(i, owner - 1);
  }
}

/** The Int32Array and word index of executor `index`'s park word, for `Atomics.wait`/`waitAsync`. */
export function parkWord(index: number): { words: Int32Array; at: number } {
  return { words: words(), at: index * REGION_WORDS + PARK };
}
