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
 *   stranded, and the executor either advances its virtual clock or reports a deadlock.
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
import { unparkIndex } from "./wake-hub.js";

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
  /** Node's loop ran dry while parked: moves a virtual clock to the next timer; false when there is none. */
  advanceIdleClock(): boolean;
  /** The error of a run that nothing can wake any more. */
  deadlock(): DeadlockError;
  /** Ends the run: drops the tasks left, releases what the run held. */
  end(): void;
}

/** A run parked in `Atomics.waitAsync`, and the error to end it with when it is stranded. */
interface Park {
  readonly host: RunHost;
  error: DeadlockError | null;
}

const parked = new Set<Park>();
let running = 0;

/**
 * Node's loop ran dry while runs were parked. A run on a virtual clock with a timer moves on (and
 * may then wake the others); only when none can is every parked run a deadlock. Either way the
 * park ends through its park word (an unpark), never by settling a promise around it: a waiter
 * left behind on the word would take the notification meant for the index's next owner.
 */
function onBeforeExit(): void {
  if (parked.size === 0) return;
  const stranded = [...parked];
  let advanced = false;
  // advanceIdleClock unparks the executors on that clock.
  for (const p of stranded) if (p.host.advanceIdleClock()) advanced = true;
  if (!advanced) {
    for (const p of stranded) {
      p.error = p.host.deadlock();
      unparkIndex(p.host.parkIndex);
    }
  }
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
  const park: Park = { host, error: null };
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
          slicing = !host.hasReady;
        } else {
          // The slice ran out before this stretch parked: the park is counted after the turn.
          await eventLoopTurn();
          sliceStart = performance.now();
        }
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
        await unparked;
      } finally {
        parked.delete(park);
        host.parkedAsync = false;
        keepAlive.unref();
      }
      if (park.error !== null) throw park.error;
      sliceStart = performance.now();
    }
  } finally {
    if (--running === 0) process.off("beforeExit", onBeforeExit);
    clearInterval(keepAlive);
    host.end();
  }
}
