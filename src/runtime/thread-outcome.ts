/**
 * How a thread started by `spawnThread` ended, in shared memory: the thread that joins it may be
 * parked in `Atomics.wait`, where no worker message or event can reach it.
 *
 * | word        | written by                                   | meaning                                   |
 * | ----------- | -------------------------------------------- | ----------------------------------------- |
 * | `STATE`     | one writer, by compare-and-swap from RUNNING | RUNNING, then one of the end kinds below  |
 * | `JOINER`    | the joining future                           | waker ref + 1 of whoever awaits, 0 none   |
 * | `PIDFD`     | the thread, once it holds what was moved in  | 0 not yet, -1 unavailable, else fd + 1;   |
 * |             | (or the parent, stopping it before that)     | -2 stopped before it published            |
 * | `EXIT_CODE` | the thread, before `STATE`                   | the code of an EXITED or UNCAUGHT end     |
 * | `LENGTH`    | the thread, before `STATE`                   | bytes of the JSON error after the header  |
 *
 * The end kinds and who records them:
 * - RETURNED, THREW, UNCAUGHT, EXITED: the thread itself, in its `process.on("exit")` handler, which
 *   runs at the natural end of its event loop and on `process.exit`, and then never runs again.
 *   The export's result travels apart, on a MessagePort, posted before `STATE` is written.
 * - TERMINATED, CRASHED: the parent, when it knows the thread is gone and it wrote nothing
 *   (`terminate()`, or out of memory: neither runs the thread's exit handler), or, for a thread
 *   without a pidfd to watch, as soon as it calls `terminate()`. Their details (exit code, Node's
 *   error) stay in the parent's memory, so a thread that loses the race to `STATE` cannot mix its
 *   details into the parent's record.
 *
 * Waking: the joiner stores its waker, then re-reads `STATE` (and `PIDFD`); the thread writes
 * `STATE` (or `PIDFD`), then reads `JOINER`. Whichever comes second sees the other, so neither
 * the end of a thread nor its pidfd is ever missed.
 *
 * @module
 */

export const RUNNING = 0;
/** The export's future completed; its result is on the port. */
export const RETURNED = 1;
/** The export threw (or could not be called, or its result could not be sent). */
export const THREW = 2;
/** An error nobody caught in the thread's event loop ended it (exit code in `EXIT_CODE`). */
export const UNCAUGHT = 3;
/** `process.exit(code)` in the thread before its export finished, or a non-zero exit code after. */
export const EXITED = 4;
/** `ThreadHandle.terminate()` stopped it. */
export const TERMINATED = 5;
/** It ended without a word: out of memory under `resourceLimits`, or stopped by Node. */
export const CRASHED = 6;

const STATE = 0;
const JOINER = 1;
const PIDFD = 2;
/** `PIDFD` of a thread its parent stopped before it published one. */
const STOPPED_EARLY = -2;
const EXIT_CODE = 3;
const LENGTH = 4;
const HEADER_BYTES = 32;
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

  /** The thread's pidfd, -1 while it has not published one, -2 when it has none (kernel < 6.9). */
  get pidfd(): number {
    const v = Atomics.load(this.words, PIDFD);
    return v === 0 ? -1 : v < 0 ? -2 : v - 1;
  }

  /** The exit code the thread recorded with an EXITED or UNCAUGHT end. */
  get exitCode(): number {
    return Atomics.load(this.words, EXIT_CODE);
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

  /**
   * The thread publishes its pidfd (`null`: it has none); returns the joiner's ref to wake (or -1),
   * or `null` if the parent stopped the thread first ({@link stopBeforeStart}).
   */
  publishPidfd(fd: number | null): number | null {
    if (Atomics.compareExchange(this.words, PIDFD, 0, fd === null ? -1 : fd + 1) !== 0) return null;
    return Atomics.load(this.words, JOINER) - 1;
  }

  /**
   * The parent, terminating the thread: true if the thread had not published its pidfd yet, and
   * now never will (the compare-and-swap against {@link publishPidfd} says which came first).
   */
  stopBeforeStart(): boolean {
    return Atomics.compareExchange(this.words, PIDFD, 0, STOPPED_EARLY) === 0;
  }

  /**
   * The thread records its end: `kind` with the error (THREW, UNCAUGHT) and the exit code
   * (EXITED, UNCAUGHT). Returns the joiner's ref to wake, or -1 (also when the parent recorded
   * an end first).
   */
  finish(kind: number, error: unknown, exitCode: number): number {
    if (error !== undefined) {
      const json = Buffer.from(JSON.stringify(toRecord(error)), "utf8");
      const n = Math.min(json.length, this.bytes.length);
      this.bytes.set(json.subarray(0, n));
      Atomics.store(this.words, LENGTH, n);
    }
    Atomics.store(this.words, EXIT_CODE, exitCode);
    return this.settle(kind);
  }

  /**
   * Moves `STATE` from RUNNING to `kind`; returns the joiner's ref to wake, or -1 when an end was
   * recorded already (the first writer wins) or nobody waits.
   */
  settle(kind: number): number {
    if (Atomics.compareExchange(this.words, STATE, RUNNING, kind) !== RUNNING) return -1;
    return this.takeJoiner();
  }

  /** The error a THREW or UNCAUGHT thread recorded, rebuilt. */
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

/** The `code` of a {@link ThreadError}: how the thread ended. */
export type ThreadErrorCode = "ERR_THREAD_EXITED" | "ERR_THREAD_UNCAUGHT" | "ERR_THREAD_TERMINATED" | "ERR_THREAD_CRASHED";

/**
 * A thread ended other than by its export returning or throwing: `process.exit` (`code`
 * `"ERR_THREAD_EXITED"`), an error nobody caught in its event loop (`"ERR_THREAD_UNCAUGHT"`, the
 * error in `cause`), `ThreadHandle.terminate()` (`"ERR_THREAD_TERMINATED"`), or out of memory /
 * stopped by Node (`"ERR_THREAD_CRASHED"`). `join()` throws it; `exitCode` is the thread's exit code.
 *
 * @example
 * <!-- ts-check
 * declare const handle: ThreadHandle<void>;
 * -->
 * ```ts
 * try { yield* wait(handle.join()); }
 * catch (e) { if (e instanceof ThreadError && e.code === "ERR_THREAD_EXITED") console.log(e.exitCode); }
 * ```
 */
export class ThreadError extends Error {
  override readonly name = "ThreadError";
  constructor(
    readonly code: ThreadErrorCode,
    /** The thread's name (`spawnThread`'s `name`). */
    readonly threadName: string,
    /** The exit code Node reports for the thread. */
    readonly exitCode: number,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
