/**
 * Turns one thread's trace records (`trace-buffer.ts`) into Chrome Trace Event Format events, the
 * JSON that Perfetto's UI and `chrome://tracing` open. Used by the writer thread only.
 *
 * What a thread's track shows (`cat` in parentheses):
 * - `blockOn main`, `run main` (executor): an executor's run.
 * - `<task name> #<id>` (poll): one poll of a task; `args.result` is `pending`, `yielded` (it woke
 *   itself: polled again after a look at timers and I/O), `ready` or `threw`.
 * - `park` (park): the executor slept; `args.timeoutMs` (absent: no timeout) and `args.endedBy`:
 *   `wake` (another thread or the reactor woke a task), `ready` (a task was queued on this thread:
 *   inline I/O, a Promise callback), `timer`, `timeout`.
 * - `epoll_wait` (reactor): blocked in `epoll_wait` (the reactor thread, or an executor with the
 *   inline reactor); `<n> events` (reactor): handing those events out.
 * - flows `wake` (wake): an arrow from a wake (inside the reactor's `<n> events`, or wherever
 *   another thread called the waker) to the poll it caused; when the wake found its task queued
 *   already, the arrow ends at the next slice of the woken thread.
 * - `getaddrinfo` (dns): a lookup on a resolver thread.
 * - instants `timers fired` (`args.count`), `thread exit`; counters `<executor>: ready queue`,
 *   `<executor>: live tasks`, and `trace: <thread> dropped` once records were dropped.
 *
 * Every event is written as its own line after a comma (`,\n{...}`), so the file is a JSON array
 * at every moment but for its closing `]`, which the format makes optional.
 *
 * @module
 */
import { KIND, ParkEnd, RECORD_WORDS, Rec, X, Y, Z, type TraceBuffer } from "./trace-buffer.js";

const RESULTS = ["skipped", "pending", "yielded", "ready", "threw"];
/** Characters of JSON handed to the sink at a time. */
const PIECE = 16 * 1024;
const PARK_ENDS: Record<number, string> = {
  [ParkEnd.Wake]: "wake",
  [ParkEnd.Ready]: "ready",
  [ParkEnd.Timer]: "timer",
  [ParkEnd.Timeout]: "timeout",
};

/** Microseconds, as Trace Event Format counts, from milliseconds; nanosecond precision. */
function us(ms: number): string {
  return (Math.round(ms * 1e6) / 1000).toFixed(3);
}

/**
 * A slice's duration in microseconds: the difference of its rounded ends, so that what happened
 * within it (an arrow's start) stays within it once rounded.
 */
function usBetween(start: number, end: number): string {
  return (Math.max(Math.round(end * 1e6) - Math.round(start * 1e6), 0) / 1000).toFixed(3);
}

interface ExecutorInfo {
  /** The executor's name, JSON-quoted. */
  name: string;
  plain: string;
  async: boolean;
  /** Task id -> name string id, for tasks that have not finished. */
  tasks: Map<number, number>;
}

/** The decoding state of one thread's region: its strings, executors and tasks. */
export class TrackDecoder {
  private readonly strings = new Map<number, string>();
  /** The JSON start of a poll slice's name (`"request #`), by the task name's string id. */
  private readonly pollNames = new Map<number, string>();
  private readonly executors = new Map<number, ExecutorInfo>();
  private readonly ids: string;
  private dropped = 0;
  private last = 0;
  private readonly decoder = new TextDecoder();

  /**
   * @param pid the process id
   * @param tid the track's thread id
   * @param name the thread's name
   */
  constructor(
    pid: number,
    tid: number,
    readonly name: string,
  ) {
    this.ids = `"pid":${pid},"tid":${tid}`;
  }

  /** The track's metadata events: its name and its place among the tracks. */
  header(sortIndex: number): string {
    return (
      `,\n{"ph":"M","name":"thread_name",${this.ids},"args":{"name":${JSON.stringify(this.name)}}}` +
      `,\n{"ph":"M","name":"thread_sort_index",${this.ids},"args":{"sort_index":${sortIndex}}}`
    );
  }

  /** A counter event when the region's drop count grew since the last call. */
  drops(total: number): string {
    if (total === this.dropped) return "";
    this.dropped = total;
    return `,\n{"ph":"C","name":${JSON.stringify(`trace: ${this.name} dropped`)},${this.ids},"ts":${us(this.last)},"args":{"records":${total}}}`;
  }

  /**
   * The events of records `from` (inclusive) to `to` (exclusive) of the region at `base`, handed
   * to `sink` in pieces of about `PIECE` characters (a small live set keeps the writer's garbage
   * collection cheap).
   */
  decode(b: TraceBuffer, base: number, from: number, to: number, sink: (text: string) => void): void {
    const i32 = b.i32;
    const f64 = b.f64;
    let out = "";
    for (let n = from; n !== to; n = (n + 1) | 0) {
      const at = b.record(base, n);
      const kind = i32[at + KIND]!;
      const x = i32[at + X]!;
      const y = i32[at + Y]!;
      const z = i32[at + Z]!;
      const a = f64[at >> 1]!;
      const e = f64[(at >> 1) + 1]!;
      const type = (kind & 0xff) as Rec;
      if (type !== Rec.String && a > this.last) this.last = a;
      switch (type) {
        case Rec.Poll:
          out += this.poll(a, e, kind >> 8, x, y, z);
          break;
        case Rec.Park: {
          const timeout = x < 0 ? "" : `"timeoutMs":${x},`;
          out += this.slice('"park"', "park", a, e, `{${timeout}"endedBy":"${PARK_ENDS[kind >> 8] ?? "?"}"}`);
          break;
        }
        case Rec.EpollWait: {
          const timeout = y < 0 ? "" : `,"timeoutMs":${y}`;
          out += this.slice('"epoll_wait"', "reactor", a, e, `{"events":${x}${timeout}}`);
          break;
        }
        case Rec.Dispatch:
          out += this.slice(x === 1 ? '"1 event"' : `"${x} events"`, "reactor", a, e, `{"events":${x}}`);
          break;
        case Rec.FlowStart:
          // A wake from outside any slice (an exit handler, a Node callback) gets one to start from.
          if (kind >> 8 === 1) out += this.slice('"wake"', "wake", a, a, "{}");
          out += `,\n{"ph":"s","cat":"wake","name":"wake","id":${x},${this.ids},"ts":${us(a)},"args":{"executorIndex":${y}}}`;
          break;
        case Rec.FlowMerged:
          // Its task was queued already: the arrow ends at the thread's next slice. A wake for an
          // executor that stopped (its index given back) has no next slice: it gets one to end on.
          out += `,\n{"ph":"f","cat":"wake","name":"wake","id":${x},${this.ids},"ts":${us(a)}}`;
          if (kind >> 8 === 1) out += this.slice('"undelivered wake"', "wake", a, a, "{}");
          break;
        case Rec.Task:
          this.executor(y).tasks.set(x, z);
          break;
        case Rec.String: {
          const bytes = new Uint8Array(y);
          const size = RECORD_WORDS * 4;
          for (let k = 0; k * size < y; k++) {
            const raw = b.record(base, n + 1 + k);
            bytes.set(new Uint8Array(b.shared, raw * 4, Math.min(size, y - k * size)), k * size);
          }
          this.strings.set(x, this.decoder.decode(bytes));
          n = (n + Math.ceil(y / size)) | 0;
          break;
        }
        case Rec.ExecutorStart: {
          const ex = this.executor(x);
          ex.plain = this.strings.get(y) ?? `executor ${x}`;
          ex.name = JSON.stringify(ex.plain);
          ex.async = kind >> 8 === 1;
          break;
        }
        case Rec.ExecutorEnd: {
          const ex = this.executor(x);
          out += this.slice(JSON.stringify(`${ex.async ? "run" : "blockOn"} ${ex.plain}`), "executor", a, e, `{"executor":${ex.name}}`);
          ex.tasks.clear();
          break;
        }
        case Rec.Counters: {
          const ex = this.executor(x);
          out +=
            `,\n{"ph":"C","name":${JSON.stringify(`${ex.plain}: ready queue`)},${this.ids},"ts":${us(a)},"args":{"length":${y}}}` +
            `,\n{"ph":"C","name":${JSON.stringify(`${ex.plain}: live tasks`)},${this.ids},"ts":${us(a)},"args":{"count":${z}}}`;
          break;
        }
        case Rec.Timers:
          out += `,\n{"ph":"i","s":"t","cat":"timer","name":"timers fired",${this.ids},"ts":${us(a)},"args":{"count":${x}}}`;
          break;
        case Rec.Lookup:
          out += this.slice('"getaddrinfo"', "dns", a, e, `{"name":${JSON.stringify(this.strings.get(x) ?? "?")},"status":${y}}`);
          break;
        case Rec.ThreadEnd:
          out += `,\n{"ph":"i","s":"t","cat":"thread","name":"thread exit",${this.ids},"ts":${us(a)}}`;
          break;
        default:
          // A record this decoder does not know: skip it.
          break;
      }
      if (out.length >= PIECE) {
        sink(out);
        out = "";
      }
    }
    if (out.length > 0) sink(out);
  }

  private poll(start: number, end: number, result: number, task: number, executor: number, flow: number): string {
    const ex = this.executor(executor);
    const nameId = ex.tasks.get(task) ?? 0;
    if (result >= 3) ex.tasks.delete(task);
    let prefix = this.pollNames.get(nameId);
    if (prefix === undefined) {
      // `"name #`, escaped once per name: the slice's name is that, the task id and a quote.
      prefix = JSON.stringify(`${this.strings.get(nameId) ?? "task"} #`).slice(0, -1);
      this.pollNames.set(nameId, prefix);
    }
    const who = ex.plain === this.name ? "" : `,"executor":${ex.name}`;
    let out = this.slice(`${prefix}${task}"`, "poll", start, end, `{"task":${task},"result":"${RESULTS[result] ?? "?"}"${who}}`);
    if (flow !== 0) out += this.flowEnd(flow, (start + end) / 2);
    return out;
  }

  /** A complete event; `name` is JSON already. */
  private slice(name: string, cat: string, start: number, end: number, args: string): string {
    return `,\n{"ph":"X","cat":"${cat}","name":${name},${this.ids},"ts":${us(start)},"dur":${usBetween(start, end)},"args":${args}}`;
  }

  /** The end of flow `id`, bound to the slice around `at`. */
  private flowEnd(id: number, at: number): string {
    return `,\n{"ph":"f","bp":"e","cat":"wake","name":"wake","id":${id},${this.ids},"ts":${us(at)}}`;
  }

  private executor(id: number): ExecutorInfo {
    let ex = this.executors.get(id);
    if (ex === undefined) {
      ex = { name: JSON.stringify(this.name), plain: this.name, async: false, tasks: new Map() };
      this.executors.set(id, ex);
    }
    return ex;
  }
}
