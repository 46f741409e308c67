/**
 * The reactor's shared memory: the book's `Mutex<HashMap<usize, Waker>>`, made of numbers so any
 * thread reads and writes it without a lock or a message.
 *
 * | words                  | written by                                  | meaning                      |
 * | ---------------------- | ------------------------------------------- | ---------------------------- |
 * | `NEXT_TOKEN`           | any thread (`Atomics.add`, chunks)          | next never-used token        |
 * | `STOPPED`              | the reactor thread, in a `finally`          | 1 once its loop has exited   |
 * | `STARTED`              | the reactor thread, before its loop         | 1 once it waits on epoll     |
 * | `EPFD`, `EVENTFD`      | `init()`, once                              | the epoll and shutdown fds   |
 * | `METRICS` .. +7        | the thread that waits on epoll              | its counters (`metrics.ts`)  |
 * | `GEN[t]`               | the thread that releases `t`                | generation of token `t`      |
 * | `READER[t]`, `WRITER[t]` | the owner's `Registration` (stores, releases) | waker ref + 1, 0 = none    |
 * | `READY[t]`             | the reactor (sets), the owner (resets, clears) | readiness, tick, generation |
 *
 * Token `t`'s words are at `TABLE + STRIDE * t + GEN | READER | WRITER | READY`. Only
 * `registration.ts` (the owner side) and the two event loops (the reactor thread, the inline
 * driver) use this table.
 *
 * Each waker word is one 32-bit value (a waker ref from the wake hub, plus one), so the reactor
 * thread can never see half of an update.
 *
 * `READY[t]` is tokio's `ScheduledIo` readiness in one word: the readiness bits the events of the
 * source reported (`READABLE`, `WRITABLE`, `ERROR`, `HANGUP`, `READ_CLOSED`, bits 0-7), a tick
 * counting events (bits 8-15) and the low 16 bits of the generation it belongs to (bits 16-31).
 * With it a leaf future knows, without a syscall, that nothing happened since its last `EAGAIN`
 * (no speculative read), that a connect finished (no `getsockopt`/`getpeername`), and that the
 * peer's FIN has already arrived (no read that returns 0). The reactor sets bits with a
 * compare-and-swap that also checks the generation, so a late event of a recycled token cannot
 * mark its next source ready; the owner clears a bit only if the word is still the one it
 * observed before its `EAGAIN` (tick included), so an event in between is never lost.
 *
 * The epoll event of a source carries `(token, generation)`; an event whose generation no longer
 * matches belongs to a source that was deregistered (and whose token may already serve another
 * source), so it wakes nobody. Generations count up and wrap around 2^32; they are compared as
 * 32-bit patterns (epoll hands them back unsigned, the table holds them signed).
 *
 * Tokens are handed out in chunks from the shared counter and recycled by the thread that freed
 * them, so allocation is a local array pop nearly always, and the table stays as large as the
 * most sources alive at once.
 *
 * @module
 */
import { EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, type EpollEvents } from "../sys/index.js";
import { wakeRef } from "./wake-hub.js";
import { ReactorCounters, readReactorCounters, type ReactorMetrics } from "./metrics.js";

/** Sources that can be registered at once, all threads together. */
export const MAX_TOKENS = 1 << 20;
/** Token 0 is the shutdown eventfd's. */
export const SHUTDOWN_TOKEN = 0;

// Header words.
export const NEXT_TOKEN = 0;
export const STOPPED = 1;
export const EPFD = 2;
export const EVENTFD = 3;
export const STARTED = 4;
/** The reactor's counters: `REACTOR_METRICS_WORDS` (7) words, up to `TABLE`. */
export const METRICS = 5;
/** Where the per-token words start: token `t`'s are `TABLE + STRIDE * t + GEN | READER | WRITER | READY`. */
export const TABLE = 16;
/** Words per token. */
export const STRIDE = 4;
export const GEN = 0;
export const READER = 1;
export const WRITER = 2;
export const READY = 3;
const CHUNK = 64;

/** Event bits that concern a reader (and wake the token's reader waker). */
export const READ_EVENTS = EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP;
/** Event bits that concern a writer (and wake the token's writer waker). */
export const WRITE_EVENTS = EPOLLOUT | EPOLLERR | EPOLLHUP;

/**
 * Readiness bits of a `READY` word (see {@link TokenTable.readiness}): epoll's own bits where they
 * fit in the low byte, so recording an event is a mask, plus one for EPOLLRDHUP (0x2000).
 */
export const READABLE = EPOLLIN;
export const WRITABLE = EPOLLOUT;
export const ERROR = EPOLLERR;
export const HANGUP = EPOLLHUP;
/** The peer shut down its sending side (EPOLLRDHUP): whatever it sent before is already queued. */
export const READ_CLOSED = 0x20; // POLLNVAL's bit, which epoll never reports for a registered fd
const TICK = 1 << 8;
const TICK_MASK = 0xff00;
const GEN_SHIFT = 16;

/** The readiness bits of an epoll event mask. */
function readinessOf(mask: number): number {
  return (mask & (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP)) | ((mask & EPOLLRDHUP) !== 0 ? READ_CLOSED : 0);
}

/** A view of the reactor's shared memory; one per thread, all over the same buffer. */
export class TokenTable {
  readonly words: Int32Array;
  /** The counters of the epoll loop, written by the one thread that runs it (see `metrics.ts`). */
  readonly counters: ReactorCounters;
  private readonly free: number[] = [];

  constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
    this.counters = new ReactorCounters(this.words, METRICS);
  }

  /** The reactor's counters, as last published by its epoll loop; any thread. */
  metrics(): ReactorMetrics {
    return readReactorCounters(this.words, METRICS);
  }

  /** Allocates the memory for a new reactor (zeroed; token 0 reserved). */
  static create(epfd: number, eventfd: number): TokenTable {
    const t = new TokenTable(new SharedArrayBuffer((TABLE + STRIDE * MAX_TOKENS) * 4));
    t.words[NEXT_TOKEN] = 1;
    t.words[EPFD] = epfd;
    t.words[EVENTFD] = eventfd;
    return t;
  }

  get epfd(): number {
    return this.words[EPFD]!;
  }

  get eventfd(): number {
    return this.words[EVENTFD]!;
  }

  /** A token no live source uses. */
  allocate(): number {
    if (this.free.length === 0) {
      const first = Atomics.add(this.words, NEXT_TOKEN, CHUNK);
      if (first + CHUNK > MAX_TOKENS) throw new Error(`more than ${MAX_TOKENS} I/O sources registered at once`);
      for (let t = first + CHUNK - 1; t >= first; t--) this.free.push(t);
    }
    return this.free.pop()!;
  }

  /**
   * Gives a token back (after its source was deregistered); the next user gets a new generation.
   * Generations wrap around 2^32 (the Int32Array word goes past 2^31 - 1 to -2^31): compared as
   * 32-bit patterns, they stay distinct however often a token is reused.
   */
  release(token: number): void {
    Atomics.add(this.words, TABLE + STRIDE * token + GEN, 1);
    this.free.push(token);
  }

  /** The generation of `token`, as a signed 32-bit number (what epoll's data carries, reinterpreted). */
  generation(token: number): number {
    return Atomics.load(this.words, TABLE + STRIDE * token + GEN);
  }

  /** Stores `ref + 1` (or 0) as the token's reader (`dir` 1) or writer (`dir` 2); returns the previous word. */
  swapWaker(token: number, dir: 1 | 2, word: number): number {
    return Atomics.exchange(this.words, TABLE + STRIDE * token + dir, word);
  }

  /**
   * Starts the readiness word of `token` for its current generation, with `bits` ready (none, or
   * those assumed until an `EAGAIN` says otherwise, see {@link assumeReady}): called when the
   * token is given to a source, before the source is added to the epoll set, whose first event
   * may follow at once.
   */
  resetReadiness(token: number, bits = 0): void {
    Atomics.store(this.words, TABLE + STRIDE * token + READY, ((this.generation(token) & 0xffff) << GEN_SHIFT) | bits);
  }

  /**
   * Sets `bits` as if an event had reported them (for the current generation): for a source whose
   * state is likely ready but whose first event may come later, such as an accepted connection
   * whose request is usually there already. A wrong guess costs one `EAGAIN`.
   */
  assumeReady(token: number, bits: number): void {
    const at = TABLE + STRIDE * token + READY;
    for (;;) {
      const w = Atomics.load(this.words, at);
      if (Atomics.compareExchange(this.words, at, w, w | bits) === w) return;
    }
  }

  /** The `READY` word of `token`: test it with the readiness bits; pass it to {@link clearReadiness}. */
  readiness(token: number): number {
    return Atomics.load(this.words, TABLE + STRIDE * token + READY);
  }

  /**
   * Clears `bits` if the word is still `observed` (read before the syscall that found nothing).
   * Returns false when an event came in between: the caller tries its syscall again.
   */
  clearReadiness(token: number, observed: number, bits: number): boolean {
    return Atomics.compareExchange(this.words, TABLE + STRIDE * token + READY, observed, observed & ~bits) === observed;
  }

  /**
   * Records the event `(mask, token, generation)` in the token's readiness word; returns false,
   * recording nothing, if the event is stale (its generation is not the token's any more: the
   * source was deregistered, and the token may serve another one).
   *
   * `generation` is compared as a 32-bit pattern: epoll hands it back unsigned, the table holds it
   * signed, and past 2^31 reuses of one token the two differ as numbers.
   */
  record(mask: number, token: number, generation: number): boolean {
    const at = TABLE + STRIDE * token;
    if (Atomics.load(this.words, at + GEN) !== (generation | 0)) {
      this.counters.stale();
      return false;
    }
    // Record the readiness, for this generation only (the CAS fails if the token moved on).
    const bits = readinessOf(mask);
    const tag = generation & 0xffff;
    for (;;) {
      const w = Atomics.load(this.words, at + READY);
      if (w >>> GEN_SHIFT !== tag) break;
      const next = (w & ~TICK_MASK) | ((w + TICK) & TICK_MASK) | bits;
      if (Atomics.compareExchange(this.words, at + READY, w, next) === w) break;
    }
    return true;
  }

  /** Records and wakes, through the wake hub, whoever waits on the event `(mask, token, generation)`. */
  dispatch(mask: number, token: number, generation: number): void {
    if (!this.record(mask, token, generation)) return;
    const at = TABLE + STRIDE * token;
    if ((mask & READ_EVENTS) !== 0) {
      const r = Atomics.load(this.words, at + READER);
      if (r !== 0) wakeRef(r - 1);
    }
    if ((mask & WRITE_EVENTS) !== 0) {
      const w = Atomics.load(this.words, at + WRITER);
      if (w !== 0) wakeRef(w - 1);
    }
  }

  /**
   * Dispatches the first `n` events of `events` (what one `epoll_wait` returned); returns true if
   * the shutdown eventfd was among them. The reactor thread's loop.
   */
  dispatchEvents(events: EpollEvents, n: number): boolean {
    this.counters.turn(n);
    let shutdown = false;
    for (let i = 0; i < n; i++) {
      const token = events.lo(i);
      if (token === SHUTDOWN_TOKEN) shutdown = true;
      else this.dispatch(events.events(i), token, events.hi(i));
    }
    this.counters.publish();
    return shutdown;
  }

  markStarted(): void {
    Atomics.store(this.words, STARTED, 1);
    Atomics.notify(this.words, STARTED);
  }

  /** Waits up to `ms` for the reactor thread to report it started. */
  waitStarted(ms: number): boolean {
    Atomics.wait(this.words, STARTED, 0, ms);
    return Atomics.load(this.words, STARTED) === 1;
  }

  markStopped(): void {
    Atomics.store(this.words, STOPPED, 1);
    Atomics.notify(this.words, STOPPED);
  }

  /** Waits up to `ms` for the reactor thread to report it stopped. */
  waitStopped(ms: number): boolean {
    return Atomics.wait(this.words, STOPPED, 0, ms) !== "timed-out" || Atomics.load(this.words, STOPPED) === 1;
  }
}
