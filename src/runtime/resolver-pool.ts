/**
 * The resolver pool: a small pool of our own worker threads that run getaddrinfo for lookups the
 * calling thread cannot answer itself, so no executor ever blocks on a name server. Internal:
 * users call `lookup()` (`net/dns/lookup.ts`), which answers IP literals, `localhost` and
 * /etc/hosts in the calling thread and comes here for the rest.
 *
 * Contract:
 * - Each thread that looks names up has its own pool of at most `RESOLVER_THREADS` threads,
 *   started on demand (the first lookups start them) and kept, idle, for later ones. A lookup
 *   takes a free slot (one per thread) or waits, first come first served, for one to free up.
 * - The outcome comes back through shared memory (`resolver-slots.ts`) and wakes the lookup's
 *   task through the wake hub, wherever its executor waits: parked (`blockOn`, `run`), or in
 *   `epoll_wait` with the inline reactor, where the resolver thread also writes an eventfd that
 *   sits in the epoll set for that purpose. Node's event loop plays no part.
 * - A lookup dropped while its job runs leaves the job to its thread, which gives up on it and
 *   frees the slot within one wait slice (`resolver-thread.ts`).
 * - The threads never keep the process alive (unref'd), and a process exits at most one wait
 *   slice after it would have without them, even with a lookup that never returns.
 * - A resolver thread that dies fails the lookup it ran with a `RuntimeError`; the next job on its
 *   slot starts a new one. A thread that cannot start (out of fds, threads or memory) is given up
 *   on after `THREAD_START_TIMEOUT_MS`, also under `blockOn`. A death after the start travels by
 *   Node's events only, so a lookup awaited under `blockOn` learns it once the event loop runs
 *   again (wrap it in `timeout`).
 *
 * Implementation notes: the lookup stores its waker in the slot, then re-reads the state; the
 * thread writes the state, then reads the waker (the order `thread-outcome.ts` uses). A lookup
 * waiting for a slot is woken from this thread when a lookup finishes here, and from a resolver
 * thread when that thread frees the slot of a dropped one: for that, the first waiting lookup's
 * waker is exported to the `QUEUE_WAKER` word.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { RuntimeError } from "../errors.js";
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import type { IpAddress } from "../sys/addr.js";
import { dnsError, EAI } from "../sys/dns-error.js";
import { eventfd, eventfdRead } from "../sys/eventfd.js";
import { close } from "../sys/io.js";
import { requireExecutor, type Executor } from "./executor.js";
import { reactor, reactorMode } from "./init.js";
import { Interest } from "./reactor.js";
import { TimerEntry } from "./timer-heap.js";
import { ABANDONED, BUSY, DONE, FREE, ResolverSlots, THREAD_FAILED, type ResolverJob } from "./resolver-slots.js";
import { wakeHubBuffer, wakeRef } from "./wake-hub.js";

/** Resolver threads one thread's pool starts at most: lookups in flight at once, per thread. */
export const RESOLVER_THREADS = 4;

/** How long (ms) a lookup waits for a new resolver thread to start before it fails. */
export const THREAD_START_TIMEOUT_MS = 10_000;

/** @internal How a pool is built (tests change it with {@link resetResolverPool}). */
export interface ResolverPoolOptions {
  /** Threads at most; default {@link RESOLVER_THREADS}. */
  threads?: number;
  /** Use the blocking getaddrinfo even where getaddrinfo_a exists (what musl gets). */
  blocking?: boolean;
  /** Default {@link THREAD_START_TIMEOUT_MS}. */
  startTimeoutMs?: number;
}

class ResolverPool {
  readonly slots: ResolverSlots;
  /** Threads started so far. */
  started = 0;
  /** The most jobs that ran at once. */
  peakBusy = 0;
  /** The eventfd resolver threads write after a wake (inline reactor only), or -1. */
  wakeFd = -1;
  private wakeId = -1;
  private readonly threads: (Worker | undefined)[];
  private readonly failures: (Error | undefined)[];
  /** Lookups waiting for a slot, first come first served. */
  private readonly waiting: PoolLookup[] = [];
  private queueExporter: Executor | null = null;
  private queueStored: Waker | null = null;

  constructor(
    readonly size: number,
    private readonly blocking: boolean,
    readonly startTimeoutMs: number,
  ) {
    this.slots = ResolverSlots.create(size);
    this.threads = new Array<Worker | undefined>(size).fill(undefined);
    this.failures = new Array<Error | undefined>(size).fill(undefined);
  }

  /** A free slot for `lookup`, now BUSY; -1 when none is free or others wait before it. */
  claim(lookup: PoolLookup): number {
    if (this.waiting.length > 0 && this.waiting[0] !== lookup) return -1;
    for (let slot = 0; slot < this.size; slot++) {
      if (this.slots.state(slot) !== FREE) continue;
      this.slots.setState(slot, BUSY);
      if (this.waiting.length > 0) this.leave(lookup);
      return slot;
    }
    return -1;
  }

  /**
   * Hands `job` to the thread of `slot` (claimed), starting the thread if it has none. If that
   * fails (no fd for the wake eventfd, no thread to be had), the slot is free again and the error
   * is thrown.
   */
  submit(slot: number, job: ResolverJob): void {
    try {
      this.openWakeFd();
      const thread = this.threads[slot] ?? this.startThread(slot);
      thread.postMessage(job);
    } catch (e) {
      this.slots.setState(slot, FREE);
      this.slotFreed();
      throw e;
    }
    let busy = 0;
    for (let i = 0; i < this.size; i++) if (this.slots.state(i) !== FREE) busy++;
    if (busy > this.peakBusy) this.peakBusy = busy;
  }

  /** Queues `lookup` until a slot frees up; `waker` is what to wake then. */
  wait(lookup: PoolLookup, waker: Waker): void {
    lookup.waker = waker;
    if (!this.waiting.includes(lookup)) this.waiting.push(lookup);
    if (this.waiting[0] === lookup) this.exportQueueWaker(waker);
  }

  /** Takes `lookup` out of the queue, if it is in it; the next one takes over the queue's waker. */
  leave(lookup: PoolLookup): void {
    const i = this.waiting.indexOf(lookup);
    if (i < 0) return;
    this.waiting.splice(i, 1);
    lookup.waker = null;
    if (i !== 0) return;
    const next = this.waiting[0];
    this.exportQueueWaker(next?.waker ?? null);
    // A slot may still be free (several freed at once): let the new first one look.
    next?.waker?.wake();
  }

  /** A slot was freed in this thread: the first waiting lookup may take it. */
  slotFreed(): void {
    this.waiting[0]?.waker?.wake();
  }

  /** Reads the wake eventfd down to zero, so its next write is an edge epoll reports again. */
  drainWakeFd(): void {
    if (this.wakeFd >= 0) eventfdRead(this.wakeFd);
  }

  /** The error a lookup on `slot` throws when that slot's thread died. */
  threadError(slot: number): RuntimeError {
    return new RuntimeError(`the resolver thread failed: ${this.failures[slot]?.message ?? "unknown error"}`);
  }

  /**
   * The thread of `slot` has not started in time: if it still has not, it never will be used (it
   * ends by itself should it start after all), and true is returned; the next job on the slot
   * starts a new one.
   */
  giveUpStart(slot: number): boolean {
    if (!this.slots.settleStart(slot, -1)) return false;
    const worker = this.threads[slot];
    this.threads[slot] = undefined;
    void worker?.terminate();
    this.failures[slot] = new Error(`it did not start within ${this.startTimeoutMs} ms`);
    return true;
  }

  /** Ends the idle threads and closes the wake eventfd (tests); refused while a job runs. */
  close(): void {
    for (let slot = 0; slot < this.size; slot++) {
      if (this.slots.state(slot) !== FREE) throw new RuntimeError("the resolver pool is busy");
    }
    for (const t of this.threads) void t?.terminate();
    this.threads.fill(undefined);
    if (this.wakeFd >= 0) {
      reactor().deregister({ fd: this.wakeFd }, this.wakeId);
      close(this.wakeFd);
      this.wakeFd = -1;
    }
  }

  private exportQueueWaker(waker: Waker | null): void {
    if (waker === this.queueStored) return;
    const ex = waker === null ? null : requireExecutor("lookup()");
    const ref = ex === null ? -1 : ex.exportWaker(waker!);
    const old = this.slots.swapQueueWaker(ref + 1);
    if (old !== 0) this.queueExporter?.releaseWaker(old - 1);
    this.queueExporter = ex;
    this.queueStored = waker;
  }

  /**
   * With the inline reactor the executor waits in `epoll_wait`, which a wake through the hub
   * does not interrupt: an eventfd in the epoll set (with no waker of its own) does.
   */
  private openWakeFd(): void {
    if (this.wakeFd >= 0 || reactorMode() !== "inline") return;
    const fd = eventfd();
    const r = reactor();
    const id = r.nextId();
    r.register({ fd }, Interest.READABLE, id);
    this.wakeFd = fd;
    this.wakeId = id;
    this.slots.setWakeFd(fd);
  }

  private startThread(slot: number): Worker {
    this.slots.resetStart(slot);
    const worker = new Worker(new URL("./resolver-thread.js", import.meta.url), {
      name: `resolver-${slot}`,
      workerData: { hub: wakeHubBuffer(), slots: this.slots.buffer, slot, blocking: this.blocking },
      // It needs none of the process's flags, and some are refused in a worker (see init.ts).
      execArgv: [],
    });
    worker.unref();
    // Without an 'error' listener a worker's error would crash this thread.
    worker.on("error", (e: Error) => this.threadEnded(worker, slot, e));
    worker.on("exit", (code: number) => this.threadEnded(worker, slot, new Error(`it exited with code ${code}`)));
    this.threads[slot] = worker;
    this.started++;
    return worker;
  }

  /** A thread died: the job it ran, if any, fails (or its slot is freed if nobody waits). */
  private threadEnded(worker: Worker, slot: number, error: Error): void {
    if (this.threads[slot] !== worker) return;
    this.threads[slot] = undefined;
    this.failures[slot] = error;
    // The thread is gone, so this thread is the only one left writing the slot; and this runs
    // from Node's event loop, so the executor is not inside epoll_wait: the hub alone wakes it.
    const state = this.slots.state(slot);
    if (state === BUSY) {
      this.slots.writeOutcome(slot, { status: THREAD_FAILED, errno: 0, addresses: [] });
      this.slots.setState(slot, DONE);
      const ref = this.slots.waker(slot);
      if (ref !== 0) wakeRef(ref - 1);
    } else if (state === ABANDONED) {
      this.slots.setState(slot, FREE);
      this.slotFreed();
    }
  }
}

/** A lookup on the pool: waits for a slot, hands the job over, waits for the outcome. */
class PoolLookup implements Future<IpAddress[]> {
  /** While waiting for a slot: what to wake when one frees up. */
  waker: Waker | null = null;
  private slot = -1;
  private exporter: Executor | null = null;
  private stored: Waker | null = null;
  /** While the slot's thread has not started: the deadline for it to. */
  private startTimer: TimerEntry | null = null;
  private done = false;

  constructor(
    private readonly pool: ResolverPool,
    private readonly job: ResolverJob,
    private readonly hostname: string,
  ) {}

  poll(waker: Waker): Poll<IpAddress[]> {
    if (this.done) pollAfterReady("lookup()");
    const pool = this.pool;
    pool.drainWakeFd();
    if (this.slot < 0) {
      let slot = pool.claim(this);
      if (slot < 0) {
        pool.wait(this, waker);
        // Look again: a resolver thread that freed a slot before the waker was stored in the
        // queue's word read none, and wakes nobody.
        slot = pool.claim(this);
        if (slot < 0) return PENDING;
      }
      pool.submit(slot, this.job);
      this.slot = slot;
    }
    if (pool.slots.state(this.slot) !== DONE) {
      this.storeWaker(waker);
      if (pool.slots.state(this.slot) !== DONE) {
        if (pool.slots.started(this.slot) === 0) {
          this.awaitStart(waker);
        } else if (this.startTimer !== null) {
          this.startTimer.cancel();
          this.startTimer = null;
        }
        return PENDING;
      }
    }
    return this.finish();
  }

  /** Arms (or re-arms with this waker) the start deadline; past it, gives up on the thread. */
  private awaitStart(waker: Waker): void {
    const timer = this.startTimer;
    if (timer === null) {
      // On the executor's clock, as every entry of its timer heap.
      const ex = requireExecutor("lookup()");
      const entry = new TimerEntry(Math.ceil(ex.clock.now() + this.pool.startTimeoutMs), waker);
      ex.timers.insert(entry);
      this.startTimer = entry;
      return;
    }
    timer.waker = waker;
    if (timer.deadline > requireExecutor("lookup()").clock.now() || !this.pool.giveUpStart(this.slot)) return;
    // Nobody will run the job: the lookup fails with the thread's error, as if it had died.
    this.pool.slots.writeOutcome(this.slot, { status: THREAD_FAILED, errno: 0, addresses: [] });
    this.pool.slots.setState(this.slot, DONE);
    waker.wake();
  }

  drop(): void {
    if (this.done) return;
    this.done = true;
    this.startTimer?.cancel();
    const pool = this.pool;
    pool.leave(this);
    const slot = this.slot;
    if (slot < 0) return;
    this.slot = -1;
    this.releaseWaker(slot);
    if (pool.slots.transition(slot, BUSY, ABANDONED) === DONE) {
      pool.slots.setState(slot, FREE);
      pool.slotFreed();
    }
  }

  private finish(): IpAddress[] {
    const pool = this.pool;
    const slot = this.slot;
    const outcome = pool.slots.readOutcome(slot);
    this.startTimer?.cancel();
    this.releaseWaker(slot);
    pool.slots.setState(slot, FREE);
    this.slot = -1;
    this.done = true;
    pool.slotFreed();
    if (outcome.status === THREAD_FAILED) throw pool.threadError(slot);
    if (outcome.status !== 0) throw dnsError(outcome.status, outcome.errno, this.hostname);
    // getaddrinfo succeeded with no address a TCP connect can use.
    if (outcome.addresses.length === 0) throw dnsError(EAI.NODATA, 0, this.hostname);
    return outcome.addresses;
  }

  private storeWaker(waker: Waker): void {
    if (waker === this.stored) return;
    const ex = requireExecutor("lookup()");
    const ref = ex.exportWaker(waker);
    const old = this.pool.slots.swapWaker(this.slot, ref + 1);
    if (old !== 0) this.exporter?.releaseWaker(old - 1);
    this.exporter = ex;
    this.stored = waker;
  }

  private releaseWaker(slot: number): void {
    const old = this.pool.slots.swapWaker(slot, 0);
    if (old !== 0) this.exporter?.releaseWaker(old - 1);
    this.exporter = null;
    this.stored = null;
  }
}

let pool: ResolverPool | null = null;
let poolOptions: Required<ResolverPoolOptions> = { threads: RESOLVER_THREADS, blocking: false, startTimeoutMs: THREAD_START_TIMEOUT_MS };

/**
 * Looks `name` (ASCII) up on this thread's resolver pool, for addresses of `family` (0 = both), in
 * the order getaddrinfo gives them. Errors name `hostname` (the name as the user wrote it).
 *
 * @throws DnsError (`ENOTFOUND`, `EAI_AGAIN`, ...) from the returned future.
 */
export function resolveInPool(name: string, family: 0 | 4 | 6, hostname: string = name): Future<IpAddress[]> {
  pool ??= new ResolverPool(poolOptions.threads, poolOptions.blocking, poolOptions.startTimeoutMs);
  return new PoolLookup(pool, { name, family }, hostname);
}

/**
 * @internal Ends this thread's pool (its threads must be idle) and sets how the next one is built.
 */
export function resetResolverPool(options: ResolverPoolOptions = {}): void {
  pool?.close();
  pool = null;
  poolOptions = {
    threads: options.threads ?? RESOLVER_THREADS,
    blocking: options.blocking ?? false,
    startTimeoutMs: options.startTimeoutMs ?? THREAD_START_TIMEOUT_MS,
  };
}

/** @internal What this thread's pool did so far (threads started, most jobs at once) and its wake eventfd (-1: none). */
export function resolverPoolStats(): { started: number; peakBusy: number; wakeFd: number } {
  return { started: pool?.started ?? 0, peakBusy: pool?.peakBusy ?? 0, wakeFd: pool?.wakeFd ?? -1 };
}
