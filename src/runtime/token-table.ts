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
 * | `GEN[t]`               | the thread that registers/deregisters `t`   | generation of token `t`      |
 * | `READER[t]`, `WRITER[t]` | `setWaker`/`deregister` (owner thread)    | waker ref + 1, 0 = none      |
 * | `READY[t]`             | the reactor (sets), the owner (clears)      | readiness, tick, generation  |
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
 * source), so it wakes nobody.
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

const NEXT_TOKEN = 0;
const STOPPED = 1;
const EPFD = 2;
const EVENTFD = 3;
const STARTED = 4;
/** The reactor's counters: `REACTOR_METRICS_WORDS` (7) words, up to `TABLE`. */
const METRICS = 5;
const TABLE = 16;
const CHUNK = 64;

const READ_READY = EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP;
const WRITE_READY = EPOLLOUT | EPOLLERR | EPOLLHUP;
/** Words per token: generation, reader (+1), writer (+2), readiness (+READY). */
const STRIDE = 4;
const READY = 3;

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

  /** Gives a token back (after its source was deregistered); the next user gets a new generation. */
  release(token: number): void {
    Atomics.add(this.words, TABLE + STRIDE * token, 1);
    this.free.push(token);
  }

  generation(token: number): number {
    return Atomics.load(this.words, TABLE + STRIDE * token);
  }

  /** Stores `ref + 1` (or 0) as the token's reader (`dir` 1) or writer (`dir` 2); returns the previous word. */
  swapWaker(token: number, dir: 1 | 2, word: number): number {
    return Atomics.exchange(this.words, TABLE + STRIDE * token + dir, word);
  }

  /**
   * Starts the readiness word of `token` for its current generation, nothing ready: called before
   * the source is added to the epoll set, whose first event may follow at once.
   */
  resetReadiness(token: number): void {
    Atomics.store(this.words, TABLE + STRIDE * token + READY, (this.generation(token) & 0xffff) << GEN_SHIFT);
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

  /** Records and wakes whoever waits on the event `(mask, token, generation)`. */
  dispatch(mask: number, token: number, generation: number): void {
    const at = TABLE + STRIDE * token;
    if (Atomics.load(this.words, at) !== generation) {
      this.counters.stale();
      return;
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
    if ((mask & READ_READY) !== 0) {
      const r = Atomics.load(this.words, at + 1);
      if (r !== 0) wakeRef(r - 1);
    }
    if ((mask & WRITE_READY) !== 0) {
      const w = Atomics.load(this.words, at + 2);
      if (w !== 0) wakeRef(w - 1);
    }
  }

  /**
   * Dispatches the first `n` events of `events` (what one `epoll_wait` returned); returns true if
   * the shutdown eventfd was among them. Used by the reactor thread and the inline driver alike.
   */
  dispatchEvents(events: EpollEvents, n: number): boolean {
    this.counters.turn(n);
    let shutdown = false;
    for (let i = 0; i < n; i++) {
      const token = events.lo(i);
      if (token === SHUTDOWN_TOKEN) shutdown = true;
      else this.dispatch(events.events(i), token, events.hi(i));
    }
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
