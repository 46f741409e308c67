/**
 * `executor.run(f)`: the executor's loop taking turns with Node's event loop, so Promises settle,
 * Node's timers fire and its sockets work alongside the tasks.
 *
 * - Busy: the executor polls, and every `EVENT_LOOP_SLICE_MS` of polling gives Node's loop a turn.
 * - Idle: it parks with `Atomics.waitAsync` (a same-thread wake from a Node callback unparks it:
 *   `schedule` notifies while `parkedAsync` is set). With the inline reactor and no `fromPromise`
 *   in flight it waits in `epoll_wait` itself instead, in slices with a loop turn between them.
 * - A pending `waitAsync` does not keep Node alive: a ref'd interval is held while parked on
 *   something that will wake the executor (a real-time timer, an exported waker). Otherwise
 *   Node's `beforeExit` while parked means no callback is left that could wake it: the run is
 *   *stranded*, and the executor either advances its virtual clock or reports a deadlock.
 *
 * Implementation notes:
 * - One `beforeExit` listener per thread serves every run in progress (a listener per run trips
 *   Node's MaxListeners warning with 11 of them).
 * - Node emits `beforeExit` again only if its loop found more to do after the last one. Settling a
 *   stranded run may start another run that parks at once, still stranded; a `setImmediate` after
 *   acting gives the loop that turn, so every deadlock is reported, not only the first.
 *
 * @module
 */
import type { DeadlockError } from "../errors.js";
import { parkAsync } from "./parker.js";

/** Under `run`, the longest stretch (ms) of busy polling before Node's event loop gets a turn. */
const EVENT_LOOP_SLICE_MS = 8;

/**
 * Under `run` with the inline reactor while a `fromPromise` is pending, the longest async park (ms)
 * before epoll is looked at again.
 */
const INLINE_RUN_POLL_MS = 1;

/** What the run loop needs of the executor (the `Executor` implements it). */
export interface RunHost {
  /** The executor's index in the wake hub: its park word. */
  readonly parkIndex: number;
  /** `fromPromise` futures in flight. */
  readonly pendingPromises: number;
  /** True when a task is queued. */
  readonly hasReady: boolean;
  /** True when the inline reactor has a registered source to wait on. */
  readonly waitsOnIo: boolean;
  /** True when something the executor holds will wake it (a real-time timer, an exported waker). */
  readonly expectsWake: boolean;
  /** Set while parked in `Atomics.waitAsync`, so that a same-thread wake unparks it. */
  parkedAsync: boolean;
  /** One round of polling as the thread's current executor: -1 once every task has finished, 0 when more is ready, else how long (ms) it may wait. */
  cycleAsCurrent(): number;
  /** Waits up to `ms` on the inline reactor, then takes wakes and fires due timers. */
  collect(ms: number): void;
  /** Counts a park of up to `ms` and says so (verbose line, trace). */
  parking(ms: number): void;
  /** Node's loop ran dry while parked: advances a virtual clock (returns null), or gives the deadlock. */
  stranded(): DeadlockError | null;
  /** Ends the run: drops the tasks left, releases what the run held. */
  end(): void;
}

/** A run parked in `Atomics.waitAsync`: how to end its park from `beforeExit`. */
class Park {
  resolve: () => void = noop;
  reject: (e: Error) => void = noop;
  constructor(private readonly host: RunHost) {}
  strand(): void {
    const e = this.host.stranded();
    if (e === null) this.resolve();
    else this.reject(e);
  }
}

const parked = new Set<Park>();
let running = 0;

function onBeforeExit(): void {
  if (parked.size === 0) return;
  for (const p of [...parked]) p.strand();
  setImmediate(noop);
}

function noop(): void {}

/** Lets Node's event loop run its pending callbacks once. */
function eventLoopTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Drives `host` until every task has finished (resolves with `finish()`), the main task fails or a
 * deadlock is found (rejects). The run ends (`host.end()`) in the same tick as its last cycle, so no
 * callback can see the executor still running with nobody polling it.
 */
export async function runOnEventLoop<T>(host: RunHost, finish: () => T): Promise<T> {
  const keepAlive = setInterval(noop, 0x7fffffff);
  keepAlive.unref();
  if (running++ === 0) process.on("beforeExit", onBeforeExit);
  const park = new Park(host);
  try {
    let sliceStart = performance.now();
    let slicing = false;
    for (;;) {
      const wait = host.cycleAsCurrent();
      if (wait < 0) return finish();
      if (wait === 0) {
        slicing = false;
        if (performance.now() - sliceStart > EVENT_LOOP_SLICE_MS) {
          await eventLoopTurn();
          sliceStart = performance.now();
        }
        continue;
      }
      const io = host.waitsOnIo;
      if (io && host.pendingPromises === 0) {
        // The inline reactor with nothing expected from Node's loop (no fromPromise pending): wait
        // in epoll_wait itself, as blockOn does, in slices of at most EVENT_LOOP_SLICE_MS with a
        // loop turn between them. I/O is then seen at once (a server), and Node's callbacks
        // (signals, its timers) wait at most a slice; a signal also cuts epoll_wait short.
        // One park (one verbose line, one count) per idle stretch, however many slices it takes.
        const left = EVENT_LOOP_SLICE_MS - (performance.now() - sliceStart);
        if (left > 0) {
          if (!slicing) host.parking(wait);
          host.collect(Math.min(wait, left));
        } else {
          await eventLoopTurn();
          sliceStart = performance.now();
        }
        slicing = !host.hasReady;
        continue;
      }
      // Promises pending: Node's loop must run while we wait, so the inline reactor looks at
      // epoll between short async parks instead: INLINE_RUN_POLL_MS bounds the I/O latency.
      slicing = false;
      const unparked = parkAsync(host.parkIndex, io ? Math.min(wait, INLINE_RUN_POLL_MS) : wait);
      if (unparked === undefined) continue;
      host.parking(wait);
      if (host.expectsWake) keepAlive.ref();
      host.parkedAsync = true;
      parked.add(park);
      try {
        // One promise per park, settled by the unpark or by `beforeExit`: a race against one
        // promise for the whole run would leave a reaction on it per park (a leak in servers).
        await new Promise<void>((resolve, reject) => {
          park.resolve = resolve;
          park.reject = reject;
          unparked.then(resolve, reject);
        });
      } finally {
        parked.delete(park);
        park.resolve = park.reject = noop;
        host.parkedAsync = false;
        keepAlive.unref();
      }
      sliceStart = performance.now();
    }
  } finally {
    if (--running === 0) process.off("beforeExit", onBeforeExit);
    clearInterval(keepAlive);
    host.end();
  }
}
