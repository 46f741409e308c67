/**
 * The trace's producer side, one per thread: the `tracing` flag the runtime's hooks test, and the
 * functions that write this thread's records into its ring of the shared trace buffer
 * (`trace-buffer.ts`). The writer thread turns them into JSON later; nothing here formats,
 * allocates per record or makes a system call.
 *
 * Contract:
 * - Off (no trace started in this process), `tracing` is false and stays false: every hook in the
 *   runtime is one predictable branch on it, and this module does nothing else.
 * - On, a thread claims its region on its first record and writes each record with plain stores,
 *   then publishes it by storing its new `HEAD` (one atomic store per record). A full ring drops
 *   the record and counts it (`trace-buffer.ts`: drop and count); a ring reaching half full wakes the
 *   writer.
 * - Times are milliseconds since the trace's origin on the monotonic clock, which every thread
 *   shares, so tracks line up to well under a microsecond (`clockOffset`).
 * - Strings (task and thread names) are sent once per thread, as records, and named by number after.
 *
 * Implementation notes: a worker finds the buffer in Node's environment data, which every
 * `Worker` inherits from the thread that starts it, so threads started by any means are traced
 * without being told. Flows (arrows from a wake to the poll it causes) cross threads through the
 * side table of `trace-buffer.ts`; within a thread, the waking code sets `incoming` around the
 * wake and the executor's `schedule` hands it to the task it queues (`traceScheduled`).
 *
 * @module
 */
import { readlinkSync } from "node:fs";
import { getEnvironmentData, isMainThread, threadId } from "node:worker_threads";
import {
  CLAIM,
  CLAIMING,
  CLOSED,
  DROPPED,
  FLOW_SEQ,
  HEAD,
  KIND,
  MAX_NAME_BYTES,
  MAX_REGIONS,
  NAME,
  NAME_LEN,
  OS_TID,
  RECORD_WORDS,
  RING,
  RING_RECORDS,
  Rec,
  TAIL,
  TraceBuffer,
  WRITING,
  X,
  Y,
  Z,
  clockOffset,
  flowEntry,
} from "./trace-buffer.js";

/** After a record found the ring full, how many more are dropped before it is looked at again. */
const RETRY_AFTER_DROPS = 63;

/** The key of the trace buffer in Node's environment data (inherited by every new `Worker`). */
export const ENVIRONMENT_KEY = "reactor-executor:trace";

/**
 * True while this thread records a trace. The runtime's hooks read it before doing anything, so
 * tracing off costs one branch per hook.
 */
export let tracing = false;

let buffer: TraceBuffer | null = null;
let i32: Int32Array = new Int32Array(0);
let f64: Float64Array = new Float64Array(0);
/** First word of this thread's region; -1 before the claim, -2 when none was free. */
let region = -1;
/** Records written (this thread's `HEAD`). */
let head = 0;
/** `head` may grow up to here before the writer's `TAIL` is looked at again. */
let limit = 0;
/** The `head` at which the ring is half full: the writer is woken there. */
let wakeAt = -1;
/** The `TAIL` the writer was last woken for from {@link refill}. */
let wokeFor = -1;
/** Records dropped (a full ring), and how many of them `DROPPED` says. */
let lost = 0;
let published = 0;
/** Records still to drop without looking at the ring again. */
let skip = 0;
let offset = 0;
let threadName = isMainThread ? "main" : `worker-${threadId}`;
/** The thread calls {@link traceThreadExit} itself, last in its own exit handler. */
let closesOwnRegion = false;
const strings = new Map<string, number>();
let nextString = 1;
const encoder = new TextEncoder();

/**
 * Whether this thread is inside something its track will show as a slice (polls, the reactor's
 * handling of events, a lookup): an arrow's start needs one to attach to, and gets its own
 * otherwise.
 */
let inSlice = false;

/** The flow a wake on this thread is delivering right now (0: none); see {@link traceScheduled}. */
let incoming = 0;
/** Flows delivered to tasks not yet polled, by task. */
const taskFlows = new Map<object, number>();

/** Starts recording into `b` on this thread. */
export function startRecording(b: TraceBuffer): void {
  if (buffer !== null) return;
  buffer = b;
  i32 = b.i32;
  f64 = b.f64;
  offset = clockOffset(b.origin);
  tracing = true;
}

/** The trace buffer this thread records into, or null. */
export function traceBuffer(): TraceBuffer | null {
  return buffer;
}

/**
 * Names this thread's track (before its first record: the name is read when the track appears).
 * `closesItself`: the thread calls {@link traceThreadExit} last in its exit handler, after its
 * last record (otherwise an exit handler of this module does, which may run before others).
 */
export function traceThreadName(name: string, closesItself = false): void {
  threadName = name;
  closesOwnRegion = closesItself;
}

/** Now, in milliseconds since the trace's origin. */
export function traceNow(): number {
  return performance.now() + offset;
}

/** Claims a region for this thread; false when none is free (said once, as a process warning). */
function claim(): boolean {
  if (region !== -1) return region >= 0;
  const b = buffer!;
  for (let r = 0; r < MAX_REGIONS; r++) {
    const base = b.region(r);
    if (Atomics.compareExchange(i32, base + CLAIM, 0, CLAIMING) !== 0) continue;
    const name = encoder.encode(threadName).subarray(0, MAX_NAME_BYTES);
    new Uint8Array(b.shared, (base + NAME) * 4, MAX_NAME_BYTES).set(name);
    Atomics.store(i32, base + NAME_LEN, name.length);
    Atomics.store(i32, base + OS_TID, osTid());
    Atomics.store(i32, base + HEAD, 0);
    Atomics.store(i32, base + CLAIM, threadId + 1);
    region = base;
    head = 0;
    limit = 0;
    lost = published = skip = 0;
    // A worker's region is given back when it ends; one that ends without running its exit
    // handlers (terminate, out of memory) has it given back by its parent (`closeTraceRegions`).
    if (!isMainThread && !closesOwnRegion) process.on("exit", traceThreadExit);
    return true;
  }
  region = -2;
  process.emitWarning(`trace: all ${MAX_REGIONS} trace regions are taken; thread ${threadName} is not traced`);
  return false;
}

/** The Linux thread id, for the track (what `top -H` and `perf` show); a made-up one without /proc. */
function osTid(): number {
  try {
    return Number(readlinkSync("/proc/thread-self").split("/").pop());
  } catch {
    return process.pid * 1000 + threadId;
  }
}

/**
 * Room for `n` more records: looks at the writer's `TAIL` again when the known room is used up.
 * Counts `n` dropped records and returns false when the ring is full (or there is no region).
 */
function room(n: number): boolean {
  return ((limit - head) | 0) >= n || refill(n);
}

/**
 * The slow path of {@link room}. A full ring stays full for a while (the writer formats far
 * slower than a busy thread records), so after a drop the next `RETRY_AFTER_DROPS` records are
 * dropped without looking, and the count is published every so often rather than per record.
 */
function refill(n: number): boolean {
  if (region < 0 && !claim()) return false;
  if (skip > 0) {
    skip--;
    lost += n;
    return false;
  }
  const tail = Atomics.load(i32, region + TAIL);
  limit = (tail + RING_RECORDS) | 0;
  const half = (tail + RING_RECORDS / 2) | 0;
  if (((half - head) | 0) > 0) {
    wakeAt = half;
  } else if (wokeFor !== tail) {
    // Half full already: wake the writer now, once for this tail.
    wokeFor = tail;
    wakeAt = -1;
    buffer!.wakeWriter();
  }
  if (((limit - head) | 0) >= n) {
    if (lost !== published) publishDrops();
    return true;
  }
  lost += n;
  skip = RETRY_AFTER_DROPS;
  publishDrops();
  return false;
}

function publishDrops(): void {
  published = lost;
  Atomics.store(i32, region + DROPPED, lost);
}

/** Makes this thread's count of dropped records current (before a flush, at exit). */
export function traceSettle(): void {
  if (region >= 0 && lost !== published) publishDrops();
}

/** The first word of record `n` of this thread's ring. */
function recordAt(n: number): number {
  return region + RING + (n & (RING_RECORDS - 1)) * RECORD_WORDS;
}

/** Publishes the records written since the last commit. */
function commit(n: number): void {
  head = (head + n) | 0;
  Atomics.store(i32, region + HEAD, head);
  if (head === wakeAt) {
    wakeAt = -1;
    buffer!.wakeWriter();
  }
}

/** Writes one record. */
function put(kind: number, a: number, b: number, x: number, y: number, z: number): void {
  if (!room(1)) return;
  const at = recordAt(head);
  const f = at >> 1;
  f64[f] = a;
  f64[f + 1] = b;
  i32[at + KIND] = kind;
  i32[at + X] = x;
  i32[at + Y] = y;
  i32[at + Z] = z;
  commit(1);
}

/** The id of `s` on this thread, sending it first if it is new; 0 if it could not be sent. */
export function traceString(s: string): number {
  const known = strings.get(s);
  if (known !== undefined) return known;
  const bytes = encoder.encode(s.length > 200 ? s.slice(0, 200) : s);
  const raw = Math.ceil(bytes.length / (RECORD_WORDS * 4));
  if (!room(1 + raw)) return 0;
  const id = nextString++;
  let at = recordAt(head);
  i32[at + KIND] = Rec.String;
  i32[at + X] = id;
  i32[at + Y] = bytes.length;
  for (let k = 0; k < raw; k++) {
    at = recordAt(head + 1 + k);
    new Uint8Array(buffer!.shared, at * 4, RECORD_WORDS * 4).set(bytes.subarray(k * RECORD_WORDS * 4, (k + 1) * RECORD_WORDS * 4));
  }
  commit(1 + raw);
  strings.set(s, id);
  return id;
}

/** The executor starts (true) or stops (false) a run of polls, each recorded as a slice. */
export function tracePolling(on: boolean): void {
  inSlice = on;
}

/** A task poll from `start` to `end`; `result` is what `Task.run` returned. */
export function tracePoll(start: number, end: number, result: number, task: number, executor: number, flow: number): void {
  put(Rec.Poll | (result << 8), start, end, task, executor, flow);
}

/** A park of `executor` from `start` to now that asked for `timeoutMs`; `why` is a `ParkEnd`. */
export function tracePark(start: number, timeoutMs: number, executor: number, why: number): void {
  put(Rec.Park | (why << 8), start, traceNow(), timeoutMs === Infinity ? -1 : Math.ceil(timeoutMs), executor, 0);
}

/** A task's name, at its spawn. */
export function traceTask(task: number, executor: number, name: string): void {
  const id = traceString(name);
  put(Rec.Task, traceNow(), 0, task, executor, id);
}

/** An executor of this thread began a run (`blockOn`, or `run` when `async`). */
export function traceExecutorStart(executor: number, name: string, async: boolean): number {
  const id = traceString(name);
  const now = traceNow();
  put(Rec.ExecutorStart | ((async ? 1 : 0) << 8), now, 0, executor, id, 0);
  return now;
}

/** That run ended. */
export function traceExecutorEnd(executor: number, start: number): void {
  put(Rec.ExecutorEnd, start, traceNow(), executor, 0, 0);
}

/** The counters of `executor`: tasks in its ready queue, tasks alive. */
export function traceCounters(executor: number, ready: number, alive: number): void {
  put(Rec.Counters, traceNow(), 0, executor, ready, alive);
}

/** `n` timers of `executor` fired. */
export function traceTimers(n: number, executor: number): void {
  if (n > 0) put(Rec.Timers, traceNow(), 0, n, executor, 0);
}

let waitStart = -1;
let dispatchStart = -1;
let dispatched = 0;

/** Before `epoll_wait`. */
export function traceEpollWait(): void {
  waitStart = traceNow();
}

/** `epoll_wait` returned `n` events, after a wait of up to `timeoutMs` (0: a look, not recorded when empty). */
export function traceEpollReturned(n: number, timeoutMs: number): void {
  const now = traceNow();
  dispatchStart = -1;
  if (n === 0 && timeoutMs === 0) return;
  put(Rec.EpollWait, waitStart, now, n, timeoutMs < 0 || timeoutMs === Infinity ? -1 : Math.ceil(timeoutMs), 0);
  if (n === 0) return;
  dispatchStart = now;
  dispatched = n;
  inSlice = true;
}

/** The events of the last `epoll_wait` have been handed out. */
export function traceEpollDispatched(): void {
  if (dispatchStart < 0) return;
  put(Rec.Dispatch, dispatchStart, traceNow(), dispatched, 0, 0);
  dispatchStart = -1;
  inSlice = false;
}

let lookupStart = -1;
let lookupName = 0;

/** A resolver thread starts looking up `name`. */
export function traceLookupStart(name: string): void {
  lookupName = traceString(name);
  lookupStart = traceNow();
  inSlice = true;
}

/** That lookup ended with `status` (0: found). */
export function traceLookupEnd(status: number): void {
  if (lookupStart < 0) return;
  put(Rec.Lookup, lookupStart, traceNow(), lookupName, status, 0);
  lookupStart = -1;
  inSlice = false;
}

/**
 * Starts an arrow here: hands out a flow id and records the arrow's start (on the slice this
 * thread is in, or on one of its own). `executor` is the hub index of the executor woken, -1 when
 * not known. Returns the id, or 0 when the record could not be written (no arrow then).
 * A wake on the executor's own thread (the inline reactor's events) passes it to `traceWaking`.
 */
export function traceFlowStart(executor: number): number {
  if (!room(1)) return 0;
  const flow = Atomics.add(i32, FLOW_SEQ, 1) + 1;
  put(Rec.FlowStart | (inSlice ? 0 : 1 << 8), traceNow(), 0, flow, executor, 0);
  return flow;
}

/**
 * A wake of the waker named `ref` (of the executor with hub index `executor`) through the wake
 * hub, about to set its inbox bit: starts an arrow and leaves its id in the side table for the
 * executor, which takes it out as it drains the bit (`takeFlow`).
 */
export function traceWake(ref: number, executor: number): void {
  if (!room(1)) return;
  const at = flowEntry(ref);
  if (Atomics.compareExchange(i32, at, 0, WRITING) !== 0) return;
  Atomics.store(i32, at + 1, traceFlowStart(executor));
  Atomics.store(i32, at, ref + 1);
}

/** The flow a drained inbox bit for `ref` carries (0: none), taken out of the side table. */
export function takeFlow(ref: number): number {
  const at = flowEntry(ref);
  if (Atomics.load(i32, at) !== ref + 1) return 0;
  const flow = Atomics.load(i32, at + 1);
  Atomics.compareExchange(i32, at, ref + 1, 0);
  return flow;
}

/**
 * A drained inbox bit for `ref` that wakes nobody (its executor index is being given back): the
 * flow it carries, if any, ends here, on a slice of its own (no poll follows), instead of staying
 * open in the trace.
 */
export function traceUndelivered(ref: number): void {
  const flow = takeFlow(ref);
  if (flow !== 0) put(Rec.FlowMerged | (1 << 8), traceNow(), 0, flow, 0, 0);
}

/** A wake on this thread is about to deliver `flow` (0: none). */
export function traceWaking(flow: number): void {
  incoming = flow;
}

/** That wake is done: a flow no task took (its task was queued already) ends here. */
export function traceWoken(): void {
  if (incoming === 0) return;
  put(Rec.FlowMerged, traceNow(), 0, incoming, 0, 0);
  incoming = 0;
}

/** The executor queued `task`: the flow being delivered, if any, is the task's. */
export function traceScheduled(task: object): void {
  if (incoming === 0) return;
  taskFlows.set(task, incoming);
  incoming = 0;
}

/** The flow that queued `task` for the poll about to be recorded (0: none). */
export function takeTaskFlow(task: object): number {
  if (taskFlows.size === 0) return 0;
  const flow = taskFlows.get(task);
  if (flow === undefined) return 0;
  taskFlows.delete(task);
  return flow;
}

/** Forgets the flows of tasks that will not be polled again. */
export function forgetTaskFlows(done: (task: object) => boolean): void {
  for (const t of taskFlows.keys()) if (done(t)) taskFlows.delete(t);
}

/**
 * This worker ends: its last record, then its region goes to the writer to drain and free.
 * Nothing is recorded on this thread after it.
 */
export function traceThreadExit(): void {
  if (region < 0) return;
  put(Rec.ThreadEnd, traceNow(), 0, 0, 0, 0);
  traceSettle();
  Atomics.compareExchange(i32, region + CLAIM, threadId + 1, CLOSED);
  region = -2;
  limit = head;
  buffer!.wakeWriter();
}

/**
 * Gives the regions of threads that ended without saying so (`terminate()`, out of memory) to the
 * writer: `threads` are Node `threadId`s. Called by the thread that reclaims what they held.
 */
export function closeTraceRegions(threads: readonly number[]): void {
  const b = buffer;
  if (b === null) return;
  for (let r = 0; r < MAX_REGIONS; r++) {
    const base = b.region(r);
    const owner = Atomics.load(i32, base + CLAIM);
    if (owner > 0 && threads.includes(owner - 1)) Atomics.compareExchange(i32, base + CLAIM, owner, CLOSED);
  }
  b.wakeWriter();
}

// A worker joins the trace its process started, if any (the main thread starts it: trace-session).
if (!isMainThread) {
  const shared = getEnvironmentData(ENVIRONMENT_KEY);
  if (shared instanceof SharedArrayBuffer) startRecording(new TraceBuffer(shared));
}
