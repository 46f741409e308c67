/**
 * The shared memory between a thread's resolver pool and the resolver threads it starts: one
 * slot per thread, through which a lookup's outcome and its wake-up travel. Only numbers cross
 * (the name goes over in the job message, before anyone waits).
 *
 * Header:
 *
 * | word          | written by                  | meaning                                             |
 * | ------------- | --------------------------- | --------------------------------------------------- |
 * | `QUEUE_WAKER` | the pool's thread           | waker ref + 1 of the first lookup waiting for a slot, 0 none |
 * | `WAKE_FD`     | the pool's thread, once     | eventfd + 1 to write after each wake (inline reactor), 0 none |
 *
 * Per slot:
 *
 * | word      | written by                                                        | meaning |
 * | --------- | ----------------------------------------------------------------- | ------- |
 * | `STATE`   | pool: FREE→BUSY, BUSY→ABANDONED, DONE→FREE; thread: BUSY→DONE, ABANDONED→FREE | see below |
 * | `WAKER`   | the pool's thread                                                 | waker ref + 1 of the lookup, 0 none |
 * | `STARTED` | pool: 0 when it starts a thread, -1 if it gives up on it; thread: 0→1 as it starts | see below |
 * | `STATUS`, `ERRNO`, `COUNT`, addresses | the resolver thread, before `STATE` becomes DONE | the outcome |
 *
 * States: FREE (no job), BUSY (a job runs), DONE (its outcome is in the slot), ABANDONED (the
 * lookup was dropped while the job ran: the thread frees the slot when it is done with it).
 * Every transition out of BUSY is a compare-and-swap, so a drop and a finish that race agree on
 * who frees the slot.
 *
 * A thread that cannot start (no fds or memory for its event loop) says so only through Node's
 * events, which `blockOn` never lets run; so the thread marks `STARTED` as it starts, and a
 * lookup whose thread has not started in time gives up on it. Both are compare-and-swaps from 0:
 * a thread that starts too late finds -1 and ends without touching the slot.
 *
 * Wake-up protocol (thread-outcome's): the lookup stores its waker, then re-reads `STATE`; the
 * thread writes `STATE`, then reads `WAKER`. Whichever comes second sees the other.
 *
 * @module
 */
import type { IpAddress } from "../sys/addr.js";

export const FREE = 0;
export const BUSY = 1;
export const DONE = 2;
export const ABANDONED = 3;

/** Addresses one lookup returns at most: a name server's answer can hold more, the rest are dropped. */
export const MAX_ADDRESSES = 64;
/** `STATUS` of a job whose resolver thread failed (not an `EAI_*` value: those are 0 or negative). */
export const THREAD_FAILED = 1;

const QUEUE_WAKER = 0;
const WAKE_FD = 1;
const HEADER = 4;

const STATE = 0;
const WAKER = 1;
const STATUS = 2;
const ERRNO = 3;
const COUNT = 4;
const STARTED = 5;
const FAMILIES = 6;
const BYTES = FAMILIES + MAX_ADDRESSES; // 16 bytes (4 words) per address
const SLOT_WORDS = BYTES + MAX_ADDRESSES * 4;

/** A job, as the pool posts it to a resolver thread: an ASCII name and the family asked for (0 = both). */
export interface ResolverJob {
  name: string;
  family: 0 | 4 | 6;
}

/** A lookup's outcome as it crosses: status 0 and the addresses, or an `EAI_*` status. */
export interface SlotOutcome {
  status: number;
  errno: number;
  addresses: IpAddress[];
}

export class ResolverSlots {
  readonly words: Int32Array;
  private readonly bytes: Uint8Array;

  /** Slots for `count` threads, in fresh shared memory. */
  static create(count: number): ResolverSlots {
    return new ResolverSlots(new SharedArrayBuffer((HEADER + count * SLOT_WORDS) * 4));
  }

  /** Adopts the memory a pool created (in a resolver thread). */
  constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
    this.bytes = new Uint8Array(buffer);
  }

  state(slot: number): number {
    return Atomics.load(this.words, HEADER + slot * SLOT_WORDS + STATE);
  }

  setState(slot: number, state: number): void {
    Atomics.store(this.words, HEADER + slot * SLOT_WORDS + STATE, state);
  }

  /** Moves `slot` from `from` to `to` if it is in `from`; returns the state it was in. */
  transition(slot: number, from: number, to: number): number {
    return Atomics.compareExchange(this.words, HEADER + slot * SLOT_WORDS + STATE, from, to);
  }

  /** Swaps the waker word of `slot` (ref + 1, 0 = none); returns the previous one. */
  swapWaker(slot: number, word: number): number {
    return Atomics.exchange(this.words, HEADER + slot * SLOT_WORDS + WAKER, word);
  }

  waker(slot: number): number {
    return Atomics.load(this.words, HEADER + slot * SLOT_WORDS + WAKER);
  }

  /** 0 before the slot's thread started, 1 once it did, -1 once the pool gave up on it. */
  started(slot: number): number {
    return Atomics.load(this.words, HEADER + slot * SLOT_WORDS + STARTED);
  }

  /** Sets `STARTED` of `slot` to `to` if it is still 0; true if it was. */
  settleStart(slot: number, to: 1 | -1): boolean {
    return Atomics.compareExchange(this.words, HEADER + slot * SLOT_WORDS + STARTED, 0, to) === 0;
  }

  /** A new thread is starting on `slot`. */
  resetStart(slot: number): void {
    Atomics.store(this.words, HEADER + slot * SLOT_WORDS + STARTED, 0);
  }

  /** Swaps the queue's waker word (ref + 1, 0 = none); returns the previous one. */
  swapQueueWaker(word: number): number {
    return Atomics.exchange(this.words, QUEUE_WAKER, word);
  }

  queueWaker(): number {
    return Atomics.load(this.words, QUEUE_WAKER);
  }

  setWakeFd(fd: number): void {
    Atomics.store(this.words, WAKE_FD, fd + 1);
  }

  /** The eventfd to write after a wake, or -1. */
  wakeFd(): number {
    return Atomics.load(this.words, WAKE_FD) - 1;
  }

  /** Writes `outcome` into `slot` (plain writes: the `STATE` change that follows publishes them). */
  writeOutcome(slot: number, outcome: SlotOutcome): void {
    const base = HEADER + slot * SLOT_WORDS;
    const w = this.words;
    w[base + STATUS] = outcome.status;
    w[base + ERRNO] = outcome.errno;
    const n = Math.min(outcome.addresses.length, MAX_ADDRESSES);
    w[base + COUNT] = n;
    for (let i = 0; i < n; i++) {
      const a = outcome.addresses[i]!;
      w[base + FAMILIES + i] = a.family;
      this.bytes.set(a.bytes, (base + BYTES + i * 4) * 4);
    }
  }

  /** Reads the outcome in `slot` (after `STATE` was seen DONE). */
  readOutcome(slot: number): SlotOutcome {
    const base = HEADER + slot * SLOT_WORDS;
    const w = this.words;
    const n = w[base + COUNT]!;
    const addresses: IpAddress[] = [];
    for (let i = 0; i < n; i++) {
      const family = w[base + FAMILIES + i] === 6 ? 6 : 4;
      const at = (base + BYTES + i * 4) * 4;
      addresses.push({ family, bytes: this.bytes.slice(at, at + (family === 6 ? 16 : 4)) });
    }
    return { status: w[base + STATUS]!, errno: w[base + ERRNO]!, addresses };
  }
}
