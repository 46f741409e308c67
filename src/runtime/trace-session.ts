/**
 * Starting, flushing and ending the process's trace: `init({ trace: "out.json" })`, or
 * `REACTOR_EXECUTOR_TRACE=out-%p.json` in the environment for any program, without code changes.
 *
 * Starting (main thread, once per process): the file is created and opened with its first event
 * (so it is a valid trace from the start), the shared trace buffer is created and put in Node's
 * environment data (every worker started from then on, by any means, records into it), this
 * thread starts recording, and the writer thread starts (`trace-writer-thread.ts`).
 *
 * Ending: at the process's `exit` the main thread tells the writer to write the rest and the
 * closing `]`, and waits for it (at most `WRITER_TIMEOUT_MS`), as `init` waits for the reactor
 * thread. The writer does it rather than the main thread because what it takes to turn records
 * into events (each thread's names, its tasks' names) lives in the writer; the writer never
 * returns to its event loop, so it answers while the main thread runs its exit handlers. Records
 * another thread makes after that last drain (a reactor still handing out events as the
 * program exits) are not in the file. No signal listener is installed: one would take Ctrl-C's default exit away from a
 * program parked in `blockOn`. A process that dies without running its exit handlers (SIGKILL, a
 * crash) leaves the file as the writer last wrote it: every event up to at most the last drain
 * interval, on whole lines, without the closing `]` (which the format makes optional; a killed
 * write can leave a partial last line, which readers drop).
 *
 * @module
 */
import { basename } from "node:path";
import { closeSync, openSync, writeSync } from "node:fs";
import { Worker, isMainThread, setEnvironmentData } from "node:worker_threads";
import { IoError, RuntimeError } from "../errors.js";
import { writeLine } from "./output.js";
import { FLUSH_ASKED, FLUSH_DONE, STOP, STOPPED, TraceBuffer, monotonicMs } from "./trace-buffer.js";
import { ENVIRONMENT_KEY, startRecording, traceBuffer, traceSettle } from "./trace-recorder.js";

/** The environment variable that starts a trace in any program: the file's path, `%p` = the pid. */
export const TRACE_ENV = "REACTOR_EXECUTOR_TRACE";

/** How long the exit handler and `flushTrace` wait for the writer. */
const WRITER_TIMEOUT_MS = 5_000;

interface Session {
  /** The file, `%p` replaced. */
  readonly path: string;
  /** Started by the environment variable, which overrides `init({ trace })`. */
  readonly fromEnv: boolean;
  readonly buffer: TraceBuffer;
  /** The writer thread has ended (its `exit` event came): nothing to wait for at exit. */
  writerGone: boolean;
}

let session: Session | null = null;

/** The file being written, or null when this process is not tracing. */
export function tracePath(): string | null {
  return session?.path ?? null;
}

/**
 * Starts tracing this process into `path` (`%p` is replaced by the pid). Main thread only; a second
 * call for the same file does nothing, for another file throws, and the environment variable,
 * when set, overrides both.
 */
export function startTrace(path: string, fromEnv = false): void {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(`init({ trace }): trace must be the path of the file to write, got ${JSON.stringify(path) ?? String(path)}`);
  }
  const file = path.replaceAll("%p", String(process.pid));
  if (session !== null) {
    if (session.fromEnv || session.path === file) return;
    throw new RuntimeError(`init({ trace: ${JSON.stringify(path)} }): this process already writes its trace to ${session.path}`);
  }
  if (!isMainThread) throw new RuntimeError("a trace is started from the main thread (init() or REACTOR_EXECUTOR_TRACE)");
  // Everything that can fail comes first, so a failure leaves nothing behind.
  const buffer = TraceBuffer.create(monotonicMs());
  let fd: number;
  try {
    fd = openSync(file, "w");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new IoError(
      err.code ?? "EIO",
      Math.abs(err.errno ?? 5),
      "open",
      `cannot open the trace file ${file}: ${err.code ?? err.message}`,
    );
  }
  let writer: Worker;
  try {
    const name = `${basename(process.argv[1] ?? "node")} (pid ${process.pid})`;
    writeSync(fd, `[\n{"ph":"M","name":"process_name","pid":${process.pid},"args":{"name":${JSON.stringify(name)}}}`);
    writer = new Worker(new URL("./trace-writer-thread.js", import.meta.url), {
      workerData: { buffer: buffer.shared, fd, pid: process.pid },
      name: "trace-writer",
      // It needs none of the process's flags, and some are refused in a worker (see init.ts).
      execArgv: [],
    });
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  writer.unref();
  const s: Session = { path: file, fromEnv, buffer, writerGone: false };
  // Without an 'error' listener an error in the writer would crash this thread; tracing just
  // stops, and the exit handler does not wait for a writer that is gone.
  writer.on("error", (e: Error) => writeLine(2, `reactor-executor: trace: the writer thread failed: ${e.message}`));
  writer.on("exit", () => (s.writerGone = true));
  session = s;
  setEnvironmentData(ENVIRONMENT_KEY, buffer.shared);
  startRecording(buffer);
  process.on("exit", stopTrace);
}

/** At exit: the writer writes the rest and the closing `]`; waits for it, up to a bound. */
function stopTrace(): void {
  const { buffer: b, writerGone } = session!;
  if (writerGone) return;
  traceSettle();
  Atomics.store(b.i32, STOP, 1);
  b.wakeWriter();
  Atomics.wait(b.i32, STOPPED, 0, WRITER_TIMEOUT_MS);
}

/**
 * Writes everything recorded so far, by every thread, to the trace file before returning (the
 * writer otherwise drains every 50 ms, and at exit). Does nothing when the process is not
 * tracing. Any thread may call it; it waits for the writer thread, at most 5 s.
 *
 * @example
 * ```ts
 * const executor = init({ trace: "out.json" });
 * executor.blockOn(coroutine(function* () {
 *   yield* wait(sleep(10));
 *   flushTrace(); // out.json now holds the polls and the park so far
 * }));
 * ```
 */
export function flushTrace(): void {
  const b = traceBuffer();
  if (b === null) return;
  const i32 = b.i32;
  traceSettle();
  const ticket = Atomics.add(i32, FLUSH_ASKED, 1) + 1;
  b.wakeWriter();
  const deadline = performance.now() + WRITER_TIMEOUT_MS;
  for (;;) {
    const done = Atomics.load(i32, FLUSH_DONE);
    if (((done - ticket) | 0) >= 0) return;
    const left = deadline - performance.now();
    if (left <= 0) return;
    Atomics.wait(i32, FLUSH_DONE, done, left);
  }
}

// Any program that loads the runtime traces when the environment says so.
const fromEnv = process.env[TRACE_ENV];
if (isMainThread && fromEnv !== undefined && fromEnv !== "") {
  try {
    startTrace(fromEnv, true);
  } catch (e) {
    writeLine(2, `reactor-executor: ${TRACE_ENV}=${fromEnv}: ${(e as Error).message}; not tracing`);
  }
}
