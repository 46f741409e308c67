/**
 * How a thread started by `spawnThread` reports how it ended, through shared memory: the thread
 * that waits for it may be parked in `Atomics.wait`, where no worker message can reach it.
 *
 * | word      | written by                    | meaning                                          |
 * | --------- | ----------------------------- | ------------------------------------------------ |
 * | `STATE`   | the thread, in a `finally`    | RUNNING, then DONE or FAILED                     |
 * | `JOINER`  | the joining future            | waker ref + 1 of whoever awaits `join()`, 0 none |
 * | `LENGTH`  | the thread, before `STATE`    | bytes of the JSON error that follow the header   |
 *
 * The joiner stores its waker, then re-reads `STATE`; the thread writes `STATE`, then reads
 * `JOINER`: whichever comes second sees the other, so the end of a thread is never missed.
 *
 * @module
 */

export const RUNNING = 0;
export const DONE = 1;
export const FAILED = 2;

const STATE = 0;
const JOINER = 1;
const LENGTH = 2;
const HEADER_BYTES = 16;
/** Room for the error's message and stack; longer ones are cut. */
const ERROR_BYTES = 64 * 1024;

/** What crosses the thread boundary of an error: enough to rebuild one that reads the same. */
export interface ErrorRecord {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  errno?: number;
  syscall?: string;
}

export class ThreadOutcome {
  readonly words: Int32Array;
  private readonly bytes: Uint8Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(HEADER_BYTES + ERROR_BYTES)) {
    this.words = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES);
  }

  get state(): number {
    return Atomics.load(this.words, STATE);
  }

  /** Stores the joiner's waker ref; returns the state read right after. */
  setJoiner(ref: number): number {
    Atomics.store(this.words, JOINER, ref + 1);
    return this.state;
  }

  /** Clears the joiner; returns the ref that was stored, or -1. */
  takeJoiner(): number {
    return Atomics.exchange(this.words, JOINER, 0) - 1;
  }

  /** Records the end of the thread (the error, if any); returns the joiner's ref to wake, or -1. */
  finish(error: unknown): number {
    if (error === undefined) {
      Atomics.store(this.words, STATE, DONE);
    } else {
      const json = Buffer.from(JSON.stringify(toRecord(error)), "utf8");
      const n = Math.min(json.length, this.bytes.length);
      this.bytes.set(json.subarray(0, n));
      Atomics.store(this.words, LENGTH, n);
      Atomics.store(this.words, STATE, FAILED);
    }
    Atomics.notify(this.words, STATE);
    return this.takeJoiner();
  }

  /** The error a FAILED thread recorded, rebuilt. */
  error(): Error {
    const n = Atomics.load(this.words, LENGTH);
    let record: ErrorRecord;
    try {
      record = JSON.parse(Buffer.from(this.bytes.subarray(0, n)).toString("utf8")) as ErrorRecord;
    } catch {
      record = { name: "Error", message: "the thread failed (its error was too large to report)" };
    }
    const e = new Error(record.message) as Error & Partial<ErrorRecord>;
    e.name = record.name;
    if (record.stack !== undefined) e.stack = record.stack;
    if (record.code !== undefined) e.code = record.code;
    if (record.errno !== undefined) e.errno = record.errno;
    if (record.syscall !== undefined) e.syscall = record.syscall;
    return e;
  }
}

function toRecord(error: unknown): ErrorRecord {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const e = error as Error & Partial<ErrorRecord>;
  const r: ErrorRecord = { name: e.name, message: e.message };
  if (e.stack !== undefined) r.stack = e.stack;
  if (typeof e.code === "string") r.code = e.code;
  if (typeof e.errno === "number") r.errno = e.errno;
  if (typeof e.syscall === "string") r.syscall = e.syscall;
  return r;
}
