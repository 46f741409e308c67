/**
 * A thread channel's shared memory: one `SharedArrayBuffer` that every thread holding an end of
 * the channel maps, with no lock in it. A thread can die at any instruction (`terminate()`, out of
 * memory), so nothing here may be left half-done by a dead thread in a way that stops the others:
 * every shared change is one atomic word, and a thread's state is in its own entry, which whoever
 * learns of its death reclaims as a whole.
 *
 * Layout (32-bit words, then bytes):
 *
 * | words                  | written by                                   | meaning                                     |
 * | ---------------------- | -------------------------------------------- | ------------------------------------------- |
 * | `ID0`, `ID1`           | the creator                                  | the channel's identity in every thread      |
 * | `CAPACITY`, `BYTES`, `THREADS` | the creator                          | the limits (see below)                      |
 * | `HIGH`                 | claimers (compare-and-swap up)               | one past the highest entry ever claimed     |
 * | `VERSION`              | whoever changes an entry's `TAG`             | tells watchers to look at the table again   |
 * | `TX_GONE`, `RX_GONE`   | whoever sees the last sender / receiver go   | 1 for good: every sender / receiver is gone |
 * | `RECV_WAITING`         | receivers (+1 before storing a ref), wakers (-1 after taking one) | at least the number of `RECV_REF`s set |
 * | entry `e` (48 words)   | its holder thread, except as said            | one per thread holding ends                 |
 * | slots of entry `e`     | its holder (the producer)                    | `(start, length)` of each record in its ring|
 * | bytes of entry `e`     | its holder (the producer)                    | the records' bytes                          |
 *
 * An entry's words: `TAG` (0 free; `threadId + 1` of the holder; `-(creator's tag)` while it waits
 * for a thread being started to adopt it; `BUSY` while claimed or reclaimed; `DRAINING` once its
 * holder is gone with records left in its ring), `SENDERS`/`RECEIVERS` (the ends the holder
 * holds), `RECV_REF`/`SEND_REF`/`CLOSED_REF` (waker ref + 1 of the holder's first waiting
 * `recv`/`send`/`closed()`, 0 none; the holder stores them, anyone takes them by exchange),
 * `TID`/`START` (the holder's kernel thread id and start time, so that others can watch it end),
 * `HEAD` (the next record to take: consumers advance it by compare-and-swap) and `TAIL` (one past
 * the last record: only the holder advances it).
 *
 * Each holder sends into its own ring (single producer, many consumers): a record is written,
 * then published by one store of `TAIL`; a consumer copies a record out, then takes it by moving
 * `HEAD` with a compare-and-swap (a copy made while another consumer took the record fails its
 * swap and is thrown away). So `capacity` and `bytes` bound what each sending thread buffers.
 *
 * Wakes never get lost because each side stores before it looks and looks after it stores (all
 * of these are sequentially consistent): a receiver stores `RECV_REF`, then looks at the rings; a
 * sender publishes `TAIL`, then looks for a `RECV_REF` to take. A sender stores `SEND_REF`, then
 * looks at `HEAD`; a consumer moves `HEAD`, then looks at the producer's `SEND_REF`. The last
 * sender (receiver) to go sets `TX_GONE` (`RX_GONE`), then wakes every waiter of the other side;
 * a waiter stores its ref, then reads the flag.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";
import { wakeRef } from "../runtime/wake-hub.js";
import type { Bytes } from "./thread-codec.js";

const ID0 = 0;
const ID1 = 1;
const CAPACITY = 2;
const BYTES = 3;
const THREADS = 4;
const HIGH = 5;
const VERSION = 6;
const TX_GONE = 8;
const RX_GONE = 9;
/** On a cache line of its own: receivers write it when they wait, every send reads it. */
const RECV_WAITING = 16;
const HEADER_WORDS = 32;

const TAG = 0;
const SENDERS = 1;
const RECEIVERS = 2;
const RECV_REF = 3;
const SEND_REF = 4;
const CLOSED_REF = 5;
const TID = 6;
const START = 7;
/**
 * `TAIL` (written by the producer at every send) and `HEAD` (written by a consumer at every take)
 * each have a cache line of their own, apart from the words both sides only read, so that the two
 * threads do not keep taking one line from each other.
 */
const TAIL = 16;
const HEAD = 32;
const ENTRY_WORDS = 48;

/** `TAG` of an entry being claimed or reclaimed: its counts do not count. */
const BUSY = -0x80000000;
/** `TAG` of an entry whose holder is gone, with records left for the consumers. */
const DRAINING = BUSY + 1;
const FREE = 0;

/** The most threads that can hold ends of one channel at once. */
export const MAX_THREADS = 128;
/** The largest shared buffer one channel may use. */
const MAX_TOTAL_BYTES = 2 ** 31 - 1;

/** Whether `tag` is an entry made for a thread being started, not adopted yet (`-(creator's tag)`). */
export function isPending(tag: number): boolean {
  return tag < 0 && tag > DRAINING;
}

/** Whether `tag` is an entry whose ends count (a holder's, or one waiting for its thread). */
function counts(tag: number): boolean {
  return tag !== FREE && tag !== BUSY && tag !== DRAINING;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** This thread's view of one channel's shared memory (see the module doc). */
export class SharedChannel {
  readonly words: Int32Array;
  readonly bytes: Uint8Array;
  readonly capacity: number;
  /** Bytes of each ring: a power of two. */
  readonly ringBytes: number;
  readonly maxThreads: number;
  private readonly slotMask: number;
  private readonly slotsAt: number;
  /** Where this thread's next record goes in its ring (a position that only grows, modulo 2^32). */
  private writePos = 0;
  /**
   * The ring this thread writes (-1: none yet), its `TAIL` (only this thread moves it) and the last
   * `HEAD` read from it: consumers only move `HEAD` forward, so an old value can only make the
   * ring look fuller than it is, and is read again only then.
   */
  private putEntry = -1;
  private putTail = 0;
  private putHead = 0;
  /** The last `TAIL` read of each ring: read again only when the ring looks empty. */
  private readonly tails: Int32Array;
  /** Where this thread looks first for a record, and for a receiver to wake. */
  private takeCursor = 0;
  private wakeCursor = 0;

  /** A new channel's memory. */
  static create(capacity: number, ringBytes: number, maxThreads: number): SharedChannel {
    const { total } = SharedChannel.layout(capacity, ringBytes, maxThreads);
    if (total > MAX_TOTAL_BYTES) {
      throw new RangeError(
        `threadChannel: ${maxThreads} threads x (${capacity} values, ${ringBytes} bytes) need ${total} bytes of shared memory; ` +
          `the limit is ${MAX_TOTAL_BYTES}: lower capacity, bytes or threads`,
      );
    }
    const buffer = new SharedArrayBuffer(total);
    const w = new Int32Array(buffer, 0, HEADER_WORDS);
    w[ID0] = (Math.random() * 2 ** 32) | 0;
    w[ID1] = (Math.random() * 2 ** 32) | 0;
    w[CAPACITY] = capacity;
    w[BYTES] = ringBytes;
    w[THREADS] = maxThreads;
    return new SharedChannel(buffer);
  }

  private static layout(capacity: number, ringBytes: number, maxThreads: number): { slotsAt: number; bytesAt: number; total: number } {
    const slotsAt = HEADER_WORDS + maxThreads * ENTRY_WORDS;
    const bytesAt = (slotsAt + maxThreads * nextPowerOfTwo(capacity) * 2) * 4;
    return { slotsAt, bytesAt, total: bytesAt + maxThreads * ringBytes };
  }

  /** Maps the memory of an existing channel (in a thread it was moved to). */
  constructor(readonly buffer: SharedArrayBuffer) {
    const head = new Int32Array(buffer, 0, HEADER_WORDS);
    this.capacity = head[CAPACITY]!;
    this.ringBytes = head[BYTES]!;
    this.maxThreads = head[THREADS]!;
    const { slotsAt, bytesAt } = SharedChannel.layout(this.capacity, this.ringBytes, this.maxThreads);
    this.words = new Int32Array(buffer, 0, bytesAt / 4);
    this.bytes = new Uint8Array(buffer, bytesAt);
    this.slotMask = nextPowerOfTwo(this.capacity) - 1;
    this.slotsAt = slotsAt;
    this.tails = new Int32Array(this.maxThreads);
  }

  /** The channel's identity, the same in every thread. */
  get id(): string {
    return `${this.words[ID0]}:${this.words[ID1]}`;
  }

  get txGone(): boolean {
    return Atomics.load(this.words, TX_GONE) !== 0;
  }

  get rxGone(): boolean {
    return Atomics.load(this.words, RX_GONE) !== 0;
  }

  get version(): number {
    return Atomics.load(this.words, VERSION);
  }

  /** @internal At least the number of receivers registered as waiting (tests look). */
  get receiversWaiting(): number {
    return Atomics.load(this.words, RECV_WAITING);
  }

  get high(): number {
    return Atomics.load(this.words, HIGH);
  }

  private at(e: number): number {
    return HEADER_WORDS + e * ENTRY_WORDS;
  }

  /** An entry's word (`TAG`, `TID`, ...), read atomically. */
  tag(e: number): number {
    return Atomics.load(this.words, this.at(e) + TAG);
  }

  holderThread(e: number): { tid: number; start: number } {
    const at = this.at(e);
    return { tid: Atomics.load(this.words, at + TID), start: Atomics.load(this.words, at + START) };
  }

  // --- entries --------------------------------------------------------------------------------

  /**
   * Claims a free entry for `tag` holding `senders` and `receivers`; -1 when `THREADS` entries are
   * taken. (A drained entry of a gone holder is free too.)
   */
  claim(tag: number, senders: number, receivers: number): number {
    const w = this.words;
    for (let e = 0; e < this.maxThreads; e++) {
      const at = this.at(e);
      const t = Atomics.load(w, at + TAG);
      if (t !== FREE && !(t === DRAINING && this.ringLength(e) === 0)) continue;
      if (Atomics.compareExchange(w, at + TAG, t, BUSY) !== t) continue;
      Atomics.store(w, at + SENDERS, senders);
      Atomics.store(w, at + RECEIVERS, receivers);
      Atomics.store(w, at + RECV_REF, 0);
      Atomics.store(w, at + SEND_REF, 0);
      Atomics.store(w, at + CLOSED_REF, 0);
      Atomics.store(w, at + TID, 0);
      Atomics.store(w, at + START, 0);
      Atomics.store(w, at + TAG, tag);
      // This thread may have written the same ring before, under an earlier claim: what it
      // remembers of it is stale now (another thread may have written the ring since).
      this.putEntry = -1;
      let high = Atomics.load(w, HIGH);
      while (e >= high) {
        const seen = Atomics.compareExchange(w, HIGH, high, e + 1);
        if (seen === high) break;
        high = seen;
      }
      Atomics.add(w, VERSION, 1);
      return e;
    }
    return -1;
  }

  /** Moves entry `e` from `from` (a pending tag) to `to`; false if it holds another tag. */
  retag(e: number, from: number, to: number): boolean {
    this.putEntry = -1;
    const seen = Atomics.compareExchange(this.words, this.at(e) + TAG, from, to);
    if (seen !== from) return seen === to;
    Atomics.add(this.words, VERSION, 1);
    return true;
  }

  /** Publishes the holder's kernel thread (after it adopted `e`), for watchers. */
  setHolderThread(e: number, tid: number, start: number): void {
    const at = this.at(e);
    Atomics.store(this.words, at + START, start);
    Atomics.store(this.words, at + TID, tid);
    Atomics.add(this.words, VERSION, 1);
  }

  senders(e: number): number {
    return Atomics.load(this.words, this.at(e) + SENDERS);
  }

  receivers(e: number): number {
    return Atomics.load(this.words, this.at(e) + RECEIVERS);
  }

  /** The holder of `e` now holds `senders` and `receivers` (only the holder calls this). */
  setCounts(e: number, senders: number, receivers: number): void {
    const at = this.at(e);
    Atomics.store(this.words, at + SENDERS, senders);
    Atomics.store(this.words, at + RECEIVERS, receivers);
  }

  /**
   * Releases entry `e` if it still holds `tag`: its ends stop counting (setting `TX_GONE` /
   * `RX_GONE` if they were the last), its waker refs are dropped, and it is freed (or left
   * draining, records left in its ring). Returns false if another thread released it first.
   */
  release(e: number, tag: number): boolean {
    const w = this.words;
    const at = this.at(e);
    if (Atomics.compareExchange(w, at + TAG, tag, BUSY) !== tag) return false;
    const s = Atomics.exchange(w, at + SENDERS, 0);
    const r = Atomics.exchange(w, at + RECEIVERS, 0);
    if (Atomics.exchange(w, at + RECV_REF, 0) !== 0) Atomics.sub(w, RECV_WAITING, 1);
    Atomics.store(w, at + SEND_REF, 0);
    Atomics.store(w, at + CLOSED_REF, 0);
    Atomics.store(w, at + TID, 0);
    Atomics.store(w, at + START, 0);
    Atomics.store(w, at + TAG, this.ringLength(e) === 0 ? FREE : DRAINING);
    Atomics.add(w, VERSION, 1);
    this.endsDropped(s > 0, r > 0);
    return true;
  }

  /**
   * Releases every entry held by one of `threads` (Node `threadId`s, ended), or waiting for one of
   * them to adopt it; returns how many.
   */
  releaseThreads(threads: readonly number[]): number {
    let n = 0;
    const high = this.high;
    for (let e = 0; e < high; e++) {
      const t = this.tag(e);
      if (!counts(t)) continue;
      const thread = t > 0 ? t - 1 : -t - 1;
      if (threads.includes(thread) && this.release(e, t)) n++;
    }
    return n;
  }

  /** Some ends stopped counting: sets the flags whose side has none left, and wakes the other side. */
  endsDropped(senders: boolean, receivers: boolean): void {
    if (senders && !this.txGone && this.sumEnds(SENDERS) === 0) this.markGone(TX_GONE);
    if (receivers && !this.rxGone && this.sumEnds(RECEIVERS) === 0) this.markGone(RX_GONE);
  }

  private sumEnds(word: number): number {
    let n = 0;
    const high = this.high;
    for (let e = 0; e < high; e++) {
      const at = this.at(e);
      if (counts(Atomics.load(this.words, at + TAG))) n += Atomics.load(this.words, at + word);
    }
    return n;
  }

  private markGone(flag: number): void {
    if (Atomics.exchange(this.words, flag, 1) !== 0) return;
    if (flag === TX_GONE) this.wakeAll(RECV_REF);
    else {
      this.wakeAll(SEND_REF);
      this.wakeAll(CLOSED_REF);
    }
  }

  /** Wakes every waiter of every kind (after a holder was found dead: it may have taken a wake). */
  wakeEveryone(): void {
    this.wakeAll(RECV_REF);
    this.wakeAll(SEND_REF);
    this.wakeAll(CLOSED_REF);
  }

  private wakeAll(word: number): void {
    const high = this.high;
    for (let e = 0; e < high; e++) {
      const ref = Atomics.exchange(this.words, this.at(e) + word, 0);
      if (ref === 0) continue;
      if (word === RECV_REF) Atomics.sub(this.words, RECV_WAITING, 1);
      wakeRef(ref - 1);
    }
  }

  // --- waker refs (each stored by the entry's holder only) -------------------------------------

  /** Stores `ref` as entry `e`'s waiting receiver. */
  setRecvRef(e: number, ref: number): void {
    const w = this.words;
    const at = this.at(e) + RECV_REF;
    const cur = Atomics.load(w, at);
    if (cur === ref + 1) return;
    if (cur !== 0 && Atomics.exchange(w, at, 0) !== 0) Atomics.sub(w, RECV_WAITING, 1);
    // Counted before it is stored, so the count is never below the refs a sender could find.
    Atomics.add(w, RECV_WAITING, 1);
    Atomics.store(w, at, ref + 1);
  }

  /** Takes entry `e`'s receiver ref back; false when a sender took it first (the receiver was woken). */
  clearRecvRef(e: number): boolean {
    if (Atomics.exchange(this.words, this.at(e) + RECV_REF, 0) === 0) return false;
    Atomics.sub(this.words, RECV_WAITING, 1);
    return true;
  }

  setRef(e: number, kind: "send" | "closed", ref: number): void {
    Atomics.store(this.words, this.at(e) + (kind === "send" ? SEND_REF : CLOSED_REF), ref + 1);
  }

  /** Takes a send / closed ref back; false when someone took it first (the waiter was woken). */
  clearRef(e: number, kind: "send" | "closed"): boolean {
    return Atomics.exchange(this.words, this.at(e) + (kind === "send" ? SEND_REF : CLOSED_REF), 0) !== 0;
  }

  /** Wakes one waiting receiver, if any waits (after a record was published). */
  wakeOneReceiver(): void {
    const w = this.words;
    if (Atomics.load(w, RECV_WAITING) <= 0) return;
    const high = this.high;
    for (let k = 0; k < high; k++) {
      let e = this.wakeCursor + k;
      if (e >= high) e -= high;
      const at = this.at(e) + RECV_REF;
      if (Atomics.load(w, at) === 0) continue;
      const ref = Atomics.exchange(w, at, 0);
      if (ref === 0) continue;
      Atomics.sub(w, RECV_WAITING, 1);
      this.wakeCursor = e + 1;
      wakeRef(ref - 1);
      return;
    }
  }

  // --- rings ----------------------------------------------------------------------------------

  /** Records in entry `e`'s ring. */
  ringLength(e: number): number {
    const at = this.at(e);
    return (Atomics.load(this.words, at + TAIL) - Atomics.load(this.words, at + HEAD)) | 0;
  }

  /** Records buffered in every ring. */
  length(): number {
    let n = 0;
    const high = this.high;
    for (let e = 0; e < high; e++) n += this.ringLength(e);
    return n;
  }

  /**
   * Appends `n` bytes of `src` to entry `e`'s ring (this thread's own): false when the ring holds
   * `capacity` records or lacks the room.
   */
  put(e: number, src: Uint8Array, n: number): boolean {
    const w = this.words;
    const at = this.at(e);
    if (e !== this.putEntry) {
      this.putEntry = e;
      this.putTail = Atomics.load(w, at + TAIL);
      this.putHead = Atomics.load(w, at + HEAD);
    }
    const tail = this.putTail;
    if (((tail - this.putHead) | 0) >= this.capacity) {
      this.putHead = Atomics.load(w, at + HEAD);
      if (((tail - this.putHead) | 0) >= this.capacity) return false;
    }
    const slots = this.slotsAt + e * (this.slotMask + 1) * 2;
    const size = this.ringBytes;
    const index = this.writePos & (size - 1);
    // A record never wraps: one that does not fit before the end starts at the beginning.
    const skip = index + n > size ? size - index : 0;
    if (!this.hasRoom(w, at, slots, skip + n)) return false;
    const start = (this.writePos + skip) | 0;
    copy(src, 0, this.bytes, e * size + (start & (size - 1)), n);
    const slot = slots + (tail & this.slotMask) * 2;
    w[slot] = start;
    w[slot + 1] = n;
    this.writePos = (start + n) | 0;
    this.putTail = (tail + 1) | 0;
    Atomics.store(w, at + TAIL, this.putTail);
    return true;
  }

  /** Whether `need` more bytes fit this thread's ring: the bytes in use run from the oldest record not taken to the write position. */
  private hasRoom(w: Int32Array, at: number, slots: number, need: number): boolean {
    for (let fresh = false; ; fresh = true) {
      const head = this.putHead;
      const oldest = head === this.putTail ? this.writePos : w[slots + (head & this.slotMask) * 2]!;
      if (((this.writePos - oldest) | 0) + need <= this.ringBytes) return true;
      if (fresh) return false;
      this.putHead = Atomics.load(w, at + HEAD);
    }
  }

  /**
   * Takes the oldest record of entry `e`'s ring into `out` (from position 0): its length, or 0
   * when the ring is empty.
   */
  take(e: number, out: Bytes): number {
    const w = this.words;
    const at = this.at(e);
    const size = this.ringBytes;
    const slots = this.slotsAt + e * (this.slotMask + 1) * 2;
    for (;;) {
      const head = Atomics.load(w, at + HEAD);
      // Records are there up to a TAIL this thread read (TAIL only grows); past it, read it again.
      if (((this.tails[e]! - head) | 0) <= 0) {
        const tail = Atomics.load(w, at + TAIL);
        if (tail === head) return 0;
        this.tails[e] = tail;
      }
      const slot = slots + (head & this.slotMask) * 2;
      const start = w[slot]!;
      const n = w[slot + 1]!;
      // A slot read while other consumers took the record and the producer reused the slot may
      // be torn: this copy's swap fails then.
      if (n > 0 && n <= size && (start & (size - 1)) + n <= size) {
        out.at = 0;
        out.reserve(n);
        copy(this.bytes, e * size + (start & (size - 1)), out.buf, 0, n);
        if (Atomics.compareExchange(w, at + HEAD, head, (head + 1) | 0) === head) return n;
      } else if (Atomics.load(w, at + HEAD) === head) {
        throw new RuntimeError(`thread channel: record ${head} of ring ${e} is corrupt (start ${start}, length ${n})`);
      }
    }
  }

  /**
   * Takes the oldest record of any ring, looking first where this thread last found one (the rings
   * are visited in turn, so that no sending thread is starved): its length, or 0. Wakes the
   * ring's producer if it waits for room.
   */
  takeAny(out: Bytes): number {
    const high = this.high;
    for (let k = 0; k < high; k++) {
      let e = this.takeCursor + k;
      if (e >= high) e -= high;
      const n = this.take(e, out);
      if (n === 0) continue;
      this.takeCursor = e + 1 >= high ? 0 : e + 1;
      const at = this.at(e) + SEND_REF;
      if (Atomics.load(this.words, at) !== 0) {
        const ref = Atomics.exchange(this.words, at, 0);
        if (ref !== 0) wakeRef(ref - 1);
      }
      return n;
    }
    return 0;
  }
}

/** Copies `n` bytes; small records byte by byte (no subarray objects), large ones natively. */
function copy(src: Uint8Array, from: number, dst: Uint8Array, to: number, n: number): void {
  if (n <= 64) {
    for (let i = 0; i < n; i++) dst[to + i] = src[from + i]!;
  } else {
    dst.set(src.subarray(from, from + n), to);
  }
}
