/**
 * The entry of a resolver thread: one of the small pool of worker threads a thread's resolver
 * starts (`resolver-pool.ts`). It takes one job at a time from its pool's messages, runs
 * getaddrinfo, writes the outcome into its slot of shared memory and wakes the lookup through
 * the wake hub (and, with the inline reactor, through the eventfd in the epoll set, since that
 * executor waits in `epoll_wait`, not on its park word).
 *
 * How it waits, and why that bounds exit: a lookup runs as a glibc `getaddrinfo_a` request on
 * glibc's own thread, and this thread waits for it in `gai_suspend` slices of `SLICE_MS`,
 * returning to its event loop between two. Node stops a worker at a return to JavaScript, never
 * inside a native call, and waits for every worker at exit; so a process whose lookup hangs
 * exits within a slice (glibc's thread ends with the process). Between slices the thread also
 * sees a lookup that was dropped, gives up on its request, and frees the slot for the next job.
 * Where the C library has no `getaddrinfo_a` (musl), the blocking `getaddrinfo` is used: exit and
 * dropped lookups then wait for it to return.
 *
 * @module
 */
import { writeSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { EAI } from "../sys/dns-error.js";
import { eventfdWrite } from "../sys/eventfd.js";
import { GaiRequest, getaddrinfoSync, hasGetaddrinfoA, type GaiOutcome } from "../sys/getaddrinfo.js";
import { ABANDONED, BUSY, DONE, FREE, MAX_ADDRESSES, ResolverSlots, type ResolverJob } from "./resolver-slots.js";
import { attachWakeHub, wakeRef } from "./wake-hub.js";
import { traceLookupEnd, traceLookupStart, traceThreadName, tracing } from "./trace-recorder.js";

/** The longest this thread stays inside a native call. */
const SLICE_MS = 50;

interface ResolverThreadData {
  hub: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  slot: number;
  blocking: boolean;
}

const data = workerData as ResolverThreadData;
attachWakeHub(data.hub);
const slots = new ResolverSlots(data.slots);
const slot = data.slot;
traceThreadName(`resolver-${slot}`);
const blocking = data.blocking || !hasGetaddrinfoA();
const encoder = new TextEncoder();
// Too late: the lookup that started this thread gave up on it, and the slot may serve another.
if (!slots.settleStart(slot, 1)) process.exit(0);

/** The request memory for the next job (reused from job to job). */
let request: GaiRequest | null = null;
/** Requests given up on while glibc still runs them: their memory is freed once they finish. */
const abandoned: GaiRequest[] = [];

parentPort!.on("message", (job: ResolverJob) => {
  freeFinished();
  if (tracing) traceLookupStart(job.name);
  try {
    if (blocking) {
      finish(getaddrinfoSync(job.name, job.family, MAX_ADDRESSES));
      return;
    }
    request ??= new GaiRequest();
    const status = request.start(encoder.encode(job.name), job.family);
    if (status === 0) waitSlice();
    else finish({ status, errno: 0, addresses: [] });
  } catch (e) {
    fail(e);
  }
});

/** One `gai_suspend` slice, then the outcome, the drop, or the next slice from the event loop. */
function waitSlice(): void {
  try {
    const req = request!;
    if (req.wait(SLICE_MS) !== EAI.INPROGRESS) {
      finish(req.finish(MAX_ADDRESSES));
    } else if (slots.state(slot) === ABANDONED) {
      if (req.cancel()) {
        req.finish(0);
      } else {
        abandoned.push(req);
        request = null;
      }
      finish(null);
    } else {
      setImmediate(waitSlice);
    }
  } catch (e) {
    fail(e);
  }
}

/**
 * Publishes `outcome` (null: none, the lookup is gone) and wakes whoever waits: the lookup when
 * it is still there, else the first lookup waiting for a slot, since this one is free again.
 */
function finish(outcome: GaiOutcome | null): void {
  if (outcome !== null) slots.writeOutcome(slot, outcome);
  // The lookup's slice ends before the wake: the woken program may exit at once, and a record
  // written after the trace's last drain is lost.
  if (tracing) traceLookupEnd(outcome === null ? -1 : outcome.status);
  let ref: number;
  if (slots.transition(slot, BUSY, DONE) === BUSY) {
    ref = slots.waker(slot);
  } else {
    slots.setState(slot, FREE);
    ref = slots.queueWaker();
  }
  if (ref !== 0) wakeRef(ref - 1);
  const fd = slots.wakeFd();
  if (fd >= 0) eventfdWrite(fd);
}

/** An unexpected error in this thread: said on stderr, and the lookup fails with `EAI_SYSTEM`. */
function fail(e: unknown): void {
  try {
    writeSync(2, `reactor-executor: resolver thread ${slot}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  } finally {
    finish({ status: EAI.SYSTEM, errno: 0, addresses: [] });
  }
}

function freeFinished(): void {
  for (let i = abandoned.length - 1; i >= 0; i--) {
    const req = abandoned[i]!;
    if (req.status() === EAI.INPROGRESS) continue;
    req.finish(0);
    req.free();
    abandoned.splice(i, 1);
  }
}
