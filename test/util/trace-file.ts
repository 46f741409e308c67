/**
 * Reading and checking the runtime's trace files (Chrome's Trace Event Format, JSON Array form).
 *
 * - {@link readTrace} parses a file the way trace viewers do: strictly when it ends with `]`,
 *   else by the JSON Array format's rule that the closing `]` is optional (a killed process's
 *   file), dropping a last line cut short by the kill.
 * - {@link checkTrace} asserts what every trace must satisfy (valid events, one named track per
 *   thread, slices that nest on each track, flows with one start and one end in time order, every
 *   task's last poll `ready` when the run ended cleanly) and returns an index for further checks.
 *
 * @module
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

export interface TraceEvent {
  ph: string;
  name?: string;
  cat?: string;
  pid?: number;
  tid?: number;
  ts?: number;
  dur?: number;
  id?: number;
  bp?: string;
  s?: string;
  args?: Record<string, unknown>;
}

/** A parsed trace file. */
export interface TraceFile {
  events: TraceEvent[];
  /** True when the file ended with its closing `]` (the process exited normally). */
  closed: boolean;
}

/** Parses the trace at `path`; throws if it is not a JSON Array format trace. */
export function readTrace(path: string): TraceFile {
  const text = readFileSync(path, "utf8");
  return parseTrace(text);
}

/** Parses trace text (see {@link readTrace}). */
export function parseTrace(text: string): TraceFile {
  const trimmed = text.trimEnd();
  if (trimmed.endsWith("]")) return { events: JSON.parse(trimmed) as TraceEvent[], closed: true };
  assert.ok(trimmed.startsWith("["), `a trace starts with "[": ${JSON.stringify(trimmed.slice(0, 40))}`);
  // The closing ] is optional: add it, after the last complete line.
  const lines = trimmed.split("\n");
  let body = lines.join("\n");
  try {
    return { events: JSON.parse(body + "\n]") as TraceEvent[], closed: false };
  } catch {
    lines.pop();
    body = lines.join("\n");
    return { events: JSON.parse(body + "\n]") as TraceEvent[], closed: false };
  }
}

/** One thread's track. */
export interface Track {
  tid: number;
  name: string;
  /** Its complete events (slices), by start time. */
  slices: TraceEvent[];
}

/** What {@link checkTrace} found. */
export interface TraceIndex {
  pid: number;
  /** Tracks by thread name (each name once). */
  tracks: Map<string, Track>;
  /** Flows by id: the start and the end. */
  flows: Map<number, { start: TraceEvent; end: TraceEvent }>;
  /** Poll slices. */
  polls: TraceEvent[];
}

/** The track of the thread named `name`; fails when there is none. */
export function track(index: TraceIndex, name: string): Track {
  const t = index.tracks.get(name);
  assert.ok(t !== undefined, `a track named ${name}; tracks: ${[...index.tracks.keys()].join(", ")}`);
  return t;
}

/** The slice of `t` that contains time `ts` and is innermost, if any. */
export function sliceAt(t: Track, ts: number): TraceEvent | undefined {
  let found: TraceEvent | undefined;
  for (const s of t.slices) {
    if (s.ts! <= ts && ts <= s.ts! + s.dur!) found = s;
  }
  return found;
}

/** Rounding of the file's microseconds (three decimals). */
const EPSILON = 0.0015;

/**
 * Checks the invariants of a trace and indexes it. `complete`: the run ended cleanly, so every
 * task's last poll is `ready` (or `threw`) and nothing was dropped.
 */
export function checkTrace(events: TraceEvent[], complete: boolean): TraceIndex {
  assert.ok(events.length > 0, "the trace has events");
  const processName = events.find((e) => e.ph === "M" && e.name === "process_name");
  assert.ok(processName !== undefined, "a process_name event");
  const pid = processName.pid!;
  const names = new Map<number, string>();
  for (const e of events) {
    assert.equal(typeof e.ph, "string", JSON.stringify(e));
    assert.equal(e.pid, pid, `every event has the process id: ${JSON.stringify(e)}`);
    if (e.ph === "M") {
      if (e.name === "thread_name") {
        assert.equal(typeof e.tid, "number");
        assert.ok(!names.has(e.tid!), `one thread_name per track: ${JSON.stringify(e)}`);
        names.set(e.tid!, e.args!.name as string);
      }
      continue;
    }
    assert.ok(typeof e.ts === "number" && Number.isFinite(e.ts) && e.ts >= 0, `a time: ${JSON.stringify(e)}`);
    if (e.ph === "i" && e.s === "g") continue;
    assert.ok(typeof e.tid === "number", `a thread: ${JSON.stringify(e)}`);
    if (e.ph === "X") assert.ok(typeof e.dur === "number" && e.dur >= 0, `a duration: ${JSON.stringify(e)}`);
    assert.ok(["X", "s", "f", "C", "i"].includes(e.ph), `a known phase: ${JSON.stringify(e)}`);
  }
  const tracks = new Map<string, Track>();
  for (const [tid, name] of names) {
    assert.ok(!tracks.has(name), `one track per thread name: ${name}`);
    tracks.set(name, { tid, name, slices: [] });
  }
  const byTid = new Map([...tracks.values()].map((t) => [t.tid, t]));
  for (const e of events) {
    if (e.ph === "M" || (e.ph === "i" && e.s === "g")) continue;
    const t = byTid.get(e.tid!);
    assert.ok(t !== undefined, `the track of every event is named: ${JSON.stringify(e)}`);
    if (e.ph === "X") t.slices.push(e);
  }
  // Slices on one track nest: each starts after the one before ends, or lies inside it.
  for (const t of tracks.values()) {
    t.slices.sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
    const open: TraceEvent[] = [];
    for (const s of t.slices) {
      while (open.length > 0 && open[open.length - 1]!.ts! + open[open.length - 1]!.dur! <= s.ts! + EPSILON) open.pop();
      const parent = open[open.length - 1];
      if (parent !== undefined) {
        assert.ok(
          s.ts! + s.dur! <= parent.ts! + parent.dur! + EPSILON,
          `slices on track ${t.name} nest: ${JSON.stringify(s)} overlaps ${JSON.stringify(parent)}`,
        );
      }
      open.push(s);
    }
  }
  // Flows: one start and one end each, the end no earlier than the start, both on a slice.
  const starts = new Map<number, TraceEvent>();
  const ends = new Map<number, TraceEvent>();
  for (const e of events) {
    if (e.ph !== "s" && e.ph !== "f") continue;
    const m = e.ph === "s" ? starts : ends;
    assert.ok(!m.has(e.id!), `flow ${e.id} has one ${e.ph}`);
    m.set(e.id!, e);
  }
  const flows = new Map<number, { start: TraceEvent; end: TraceEvent }>();
  for (const [id, end] of ends) {
    const start = starts.get(id);
    assert.ok(start !== undefined, `flow ${id} ends where it started: ${JSON.stringify(end)}`);
    assert.ok(start.ts! <= end.ts!, `flow ${id} ends after it starts: ${JSON.stringify(start)} -> ${JSON.stringify(end)}`);
    const from = byTid.get(start.tid!)!;
    assert.ok(sliceAt(from, start.ts!) !== undefined, `flow ${id} starts inside a slice of ${from.name}`);
    const to = byTid.get(end.tid!)!;
    if (end.bp === "e") assert.ok(sliceAt(to, end.ts!)?.cat === "poll", `flow ${id} ends inside a poll on ${to.name}`);
    else if (!to.slices.some((s) => s.ts! >= end.ts!)) {
      // A flow binds to the next slice of its track; in a trace cut short (a killed process) that
      // slice may be the one never written, so only there may a flow end after the last slice.
      assert.ok(!complete, `flow ${id} ends before a later slice on ${to.name}`);
      continue;
    }
    flows.set(id, { start, end });
  }
  if (complete) assert.equal(starts.size, ends.size, "every flow that starts ends");
  const polls = events.filter((e) => e.ph === "X" && e.cat === "poll");
  if (complete) {
    // Every task finished: its last poll (by time) said ready or threw, and none came after.
    const last = new Map<string, TraceEvent>();
    for (const p of [...polls].sort((a, b) => a.ts! - b.ts!)) last.set(`${p.tid} ${p.args!.executor as string | undefined} ${p.name}`, p);
    for (const [key, p] of last) {
      assert.ok(["ready", "threw"].includes(p.args!.result as string), `the last poll of ${key} is ready: ${JSON.stringify(p)}`);
    }
    assert.ok(!events.some((e) => e.ph === "C" && e.name!.startsWith("trace: ")), "nothing was dropped");
  }
  return { pid, tracks, flows, polls };
}
