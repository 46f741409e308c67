/**
 * The trace writer: the entry of the worker thread a trace starts (`trace-session.ts`). It drains
 * every thread's ring of the trace buffer into the trace file, as Trace Event Format JSON
 * (`trace-events.ts`), so no executor ever formats or writes trace data.
 *
 * It drains every `DRAIN_INTERVAL_MS`, and at once when woken: by a ring reaching half full, by
 * `flushTrace()` (it answers through `FLUSH_DONE` once what was recorded before the request is in
 * the file), and by the main thread's exit handler (`STOP`: it drains the rest, writes the
 * closing `]`, answers through `STOPPED` and ends). It never returns to its event loop, so it
 * answers while the main thread is parked in `Atomics.wait` or runs its exit handlers, and keeps
 * nothing alive (the thread is unref'd).
 *
 * A region whose thread has ended (`CLOSED`) is drained to its end, then freed for another thread.
 *
 * @module
 */
import { readlinkSync, writeSync } from "node:fs";
import { setPriority } from "node:os";
import { workerData } from "node:worker_threads";
import { TrackDecoder } from "./trace-events.js";
import {
  CLAIM,
  CLOSED,
  DROPPED,
  FLUSH_ASKED,
  FLUSH_DONE,
  HEAD,
  MAX_REGIONS,
  NAME,
  NAME_LEN,
  OS_TID,
  STOP,
  STOPPED,
  TAIL,
  TraceBuffer,
  WAKE,
  clockOffset,
} from "./trace-buffer.js";

/** The longest records wait in a ring before they are written (unless a ring fills first). */
const DRAIN_INTERVAL_MS = 50;
/** Output is written whenever this much has been formatted. */
const WRITE_CHUNK = 64 * 1024;

interface WriterData {
  buffer: SharedArrayBuffer;
  fd: number;
  pid: number;
}

const data = workerData as WriterData;
// The traced program goes first: on a busy machine the writer gets the CPU time left over (nice
// 10), and records it cannot keep up with are dropped and counted rather than slowing the program.
try {
  setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), 10);
} catch {
  // no /proc/thread-self or no permission: keep the default priority
}
const b = new TraceBuffer(data.buffer);
const i32 = b.i32;
const offset = clockOffset(b.origin);
const tracks = new Map<number, TrackDecoder>();
const names = new TextDecoder();
let sortIndex = 0;
let out = "";
let failed = false;

function write(text: string): void {
  if (failed || text.length === 0) return;
  const bytes = Buffer.from(text, "utf8");
  let off = 0;
  try {
    while (off < bytes.length) off += writeSync(data.fd, bytes, off);
  } catch (e) {
    failed = true;
    writeSync(2, `reactor-executor: trace: writing the trace file failed (${(e as Error).message}); the trace ends here\n`);
  }
}

function emit(text: string): void {
  out += text;
  if (out.length >= WRITE_CHUNK) {
    write(out);
    out = "";
  }
}

/** Decodes what every region holds now and writes it. */
function drain(): void {
  for (let r = 0; r < MAX_REGIONS; r++) {
    const base = b.region(r);
    const claim = Atomics.load(i32, base + CLAIM);
    if (claim === 0 || (claim < 0 && claim !== CLOSED)) continue;
    let track = tracks.get(r);
    if (track === undefined) {
      const len = Atomics.load(i32, base + NAME_LEN);
      const name = names.decode(new Uint8Array(b.shared, (base + NAME) * 4, len).slice());
      track = new TrackDecoder(data.pid, Atomics.load(i32, base + OS_TID), name);
      tracks.set(r, track);
      emit(track.header(sortIndex++));
    }
    const head = Atomics.load(i32, base + HEAD);
    const tail = Atomics.load(i32, base + TAIL);
    if (head !== tail) {
      track.decode(b, base, tail, head, emit);
      Atomics.store(i32, base + TAIL, head);
    }
    emit(track.drops(Atomics.load(i32, base + DROPPED)));
    if (claim === CLOSED) {
      // The owner is gone and wrote nothing after closing: free the region for the next thread.
      Atomics.store(i32, base + HEAD, 0);
      Atomics.store(i32, base + TAIL, 0);
      Atomics.store(i32, base + DROPPED, 0);
      Atomics.store(i32, base + CLAIM, 0);
      tracks.delete(r);
    }
  }
  write(out);
  out = "";
}

for (;;) {
  const seen = Atomics.load(i32, WAKE);
  const stop = Atomics.load(i32, STOP) !== 0;
  const asked = Atomics.load(i32, FLUSH_ASKED);
  drain();
  if (asked !== Atomics.load(i32, FLUSH_DONE)) {
    Atomics.store(i32, FLUSH_DONE, asked);
    Atomics.notify(i32, FLUSH_DONE);
  }
  if (stop) {
    const end = performance.now() + offset;
    write(`,\n{"ph":"i","s":"g","name":"trace end","pid":${data.pid},"ts":${(end * 1000).toFixed(3)}}\n]\n`);
    Atomics.store(i32, STOPPED, 1);
    Atomics.notify(i32, STOPPED);
    break;
  }
  Atomics.wait(i32, WAKE, seen, DRAIN_INTERVAL_MS);
}
