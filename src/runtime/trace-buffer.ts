/**
 * The trace's shared memory: one buffer per traced process, created by the main thread when a
 * trace starts and handed to every worker that loads the runtime (through Node's environment data,
 * so a thread started by any means, `spawnThread`, the reactor, a resolver, gets it). Threads write
 * fixed-size binary records into a ring of their own; the trace writer thread (not an executor)
 * drains the rings into the file.
 *
 * Layout, in 32-bit words:
 *
 * | words                | written by                                  | meaning                                     |
 * | -------------------- | ------------------------------------------- | ------------------------------------------- |
 * | `WAKE`               | any thread (add + notify)                   | "drain now": a ring is half full, a flush   |
 * | `FLUSH_ASKED`        | any thread (`flushTrace`, add)              | flush requests so far                       |
 * | `FLUSH_DONE`         | the writer                                  | the last request it has written out         |
 * | `STOP`, `STOPPED`    | the main thread at exit; the writer         | write the rest and the closing `]`; done    |
 * | `FLOW_SEQ`           | any thread (add)                            | the last flow id handed out                 |
 * | `ORIGIN` (f64)       | the main thread, once                       | the trace's time zero, on the monotonic clock (ms) |
 * | flow side table      | wakers (claim), the woken executor (take)   | see below                                   |
 * | regions              | see below                                   | one ring per thread                         |
 *
 * A region is claimed by a thread with a compare-and-swap on its `CLAIM` word, as the wake hub's
 * executor indices are, the first time the thread records something; untouched regions and the
 * unused tail of a ring are pages never written, which cost address space, not memory. Its header:
 *
 * | word       | written by                         | meaning                                                  |
 * | ---------- | ---------------------------------- | -------------------------------------------------------- |
 * | `CLAIM`    | the thread (claim, close), the writer (free), a parent (close for a dead thread) | 0 free, `CLAIMING`, the owner's `threadId + 1`, or `CLOSED` (the owner has ended: drain, then free) |
 * | `HEAD`     | the owner                          | records written so far (wraps at 2^32; compared for equality only) |
 * | `TAIL`     | the writer                         | records read so far                                      |
 * | `DROPPED`  | the owner                          | records dropped because the ring was full (so far)       |
 * | `OS_TID`   | the owner, at claim                | the thread's Linux tid (the track's `tid`)               |
 * | `NAME_LEN`, name bytes | the owner, at claim        | the thread's name (UTF-8, at most `MAX_NAME_BYTES`)      |
 *
 * **Overflow policy: drop and count.** A thread never waits for the writer: a record that finds its
 * ring full is dropped and counted, and `DROPPED` (which the trace shows as a counter) is brought
 * up to date every few drops, at a flush and at exit. When a ring reaches half full its owner wakes
 * the writer, so drops happen only when records come faster than the writer turns them into JSON
 * (a busy loop of tiny polls, for instance).
 *
 * Records are `RECORD_WORDS` words: two float64 times (`A`, `B`, milliseconds since the trace's
 * origin), a type word (`KIND`: the record type, plus 8 bits of detail above it) and three
 * integers (`X`, `Y`, `Z`). A string (a task or thread name) is a `STRING` record followed by its
 * bytes in as many raw records as it takes; the ring is read record by record, so a string may
 * wrap around its end.
 *
 * **The flow side table.** A wake from another thread (the reactor's, say) sets a bit in the
 * executor's inbox, a bitmap that merges wakes; to draw an arrow from the wake to the poll it causes,
 * the waker also writes the flow's id into this table under the waker ref before it sets the bit,
 * and the executor takes it out when it drains the bit. Entries are pairs `[ref + 1, flow]`, at a
 * hash of the ref; a waker claims an entry with a compare-and-swap from 0 to `WRITING`, writes the
 * flow, then publishes the ref, so a reader that sees its ref also sees the flow. A wake that finds
 * the entry taken (an earlier wake of the same waker not yet drained, or another ref with the same
 * hash) draws no arrow: the poll still shows, with the first wake's arrow if any.
 *
 * @module
 */

/** Regions (threads traced at once): every executor index, plus the reactor and resolver threads. */
export const MAX_REGIONS = 256;
/** Records one ring holds (a power of two). */
export const RING_RECORDS = 1 << 14;
/** Words per record. */
export const RECORD_WORDS = 8;
/** Bytes of a thread's name kept in its region's header. */
export const MAX_NAME_BYTES = 96;
/** Entries of the flow side table (a power of two). */
export const FLOW_ENTRIES = 1 << 16;

// Header words.
export const WAKE = 0;
export const FLUSH_ASKED = 1;
export const FLUSH_DONE = 2;
export const STOP = 3;
export const STOPPED = 4;
export const FLOW_SEQ = 5;
/** Float64 index of the origin (word 8). */
export const ORIGIN_F64 = 4;
const HEADER_WORDS = 16;
export const FLOW_TABLE = HEADER_WORDS;
const REGIONS_START = FLOW_TABLE + 2 * FLOW_ENTRIES;

// Region header words (relative to the region's first word).
export const CLAIM = 0;
export const HEAD = 1;
export const TAIL = 2;
export const DROPPED = 3;
export const OS_TID = 4;
export const NAME_LEN = 5;
export const NAME = 8;
const REGION_HEADER_WORDS = NAME + MAX_NAME_BYTES / 4;
/** Word offset of a region's ring, from the region's first word. */
export const RING = REGION_HEADER_WORDS;
export const REGION_WORDS = RING + RING_RECORDS * RECORD_WORDS;

/** `CLAIM` values besides 0 (free) and an owner's `threadId + 1`. */
export const CLAIMING = -2;
export const CLOSED = -1;
/** A flow side table entry being written. */
export const WRITING = -1;

// Record words (relative to the record's first word); A and B are float64 at words 0 and 2.
export const KIND = 4;
export const X = 5;
export const Y = 6;
export const Z = 7;

/**
 * Record types. Times are `A` (start, or the moment) and `B` (end); `X`, `Y`, `Z` as listed.
 * The detail byte (`KIND >> 8`) is given where used.
 */
export const enum Rec {
  /** A task poll: A..B; X task id, Y executor, Z flow id (0: none); detail: the task's `run` result. */
  Poll = 1,
  /** An executor parked: A..B; X timeout in ms (-1: none), Y executor; detail: {@link ParkEnd}. */
  Park,
  /** Blocked in `epoll_wait`: A..B; X events returned, Y timeout in ms (-1: none). */
  EpollWait,
  /** Handing out the events of one `epoll_wait`: A..B; X events. */
  Dispatch,
  /** A wake that will draw an arrow: A; X flow id, Y executor index woken; detail 1: outside any slice. */
  FlowStart,
  /** A flow whose wake found its task already queued: A; X flow id. */
  FlowMerged,
  /** A task's name: A spawn time; X task id, Y executor, Z name's string id. */
  Task,
  /** A string: X string id, Y byte length; the bytes follow in raw records. */
  String,
  /** An executor began `blockOn`/`run`: A; X executor, Y name's string id; detail 1 for run. */
  ExecutorStart,
  /** That run ended: A start, B end; X executor. */
  ExecutorEnd,
  /** Counters of one executor: A; X executor, Y tasks ready, Z tasks alive. */
  Counters,
  /** Timers fired: A; X how many, Y executor. */
  Timers,
  /** A name lookup on a resolver thread: A..B; X the name's string id, Y status (0 = found). */
  Lookup,
  /** The thread ended: A. */
  ThreadEnd,
}

/** What ended a park (the detail byte of a {@link Rec.Park} record). */
export const enum ParkEnd {
  /** Another thread or the reactor woke a task (the inbox had bits). */
  Wake = 1,
  /** A task was queued on this thread meanwhile (inline I/O events, a Promise callback under `run`). */
  Ready,
  /** A timer came due. */
  Timer,
  /** Its timeout passed with nothing to do, or a spurious return. */
  Timeout,
}

/** Views of one trace buffer. */
export class TraceBuffer {
  readonly i32: Int32Array;
  readonly f64: Float64Array;

  constructor(readonly shared: SharedArrayBuffer) {
    this.i32 = new Int32Array(shared);
    this.f64 = new Float64Array(shared);
  }

  /** A new, zeroed buffer whose time zero is `origin` (monotonic ms). */
  static create(origin: number): TraceBuffer {
    const b = new TraceBuffer(new SharedArrayBuffer((REGIONS_START + MAX_REGIONS * REGION_WORDS) * 4));
    b.f64[ORIGIN_F64] = origin;
    return b;
  }

  get origin(): number {
    return this.f64[ORIGIN_F64]!;
  }

  /** The first word of region `r`. */
  region(r: number): number {
    return REGIONS_START + r * REGION_WORDS;
  }

  /** The first word of record `n` (counted from 0, any integer) of the ring of the region at `base`. */
  record(base: number, n: number): number {
    return base + RING + (n & (RING_RECORDS - 1)) * RECORD_WORDS;
  }

  /** Wakes the writer thread. */
  wakeWriter(): void {
    Atomics.add(this.i32, WAKE, 1);
    Atomics.notify(this.i32, WAKE);
  }
}

/** The flow side table's entry for waker ref `ref` (its first word). */
export function flowEntry(ref: number): number {
  return FLOW_TABLE + 2 * (Math.imul(ref, 0x9e3779b1) >>> (32 - 16));
}

/** The monotonic clock in milliseconds, the same in every thread (unlike `performance.now()`). */
export function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}

/**
 * What to add to this thread's `performance.now()` to get milliseconds since `origin` on the
 * monotonic clock. `performance.now()` counts from each thread's own start; the best of a few
 * paired readings keeps the error well under a microsecond.
 */
export function clockOffset(origin: number): number {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 16; i++) {
    const a = performance.now();
    const m = monotonicMs();
    const b = performance.now();
    if (b - a < best) {
      best = b - a;
      offset = m - (a + b) / 2;
    }
  }
  return offset - origin;
}
