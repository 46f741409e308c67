/**
 * Synchronous line output for the runtime's own messages (verbose executor lines, unobserved task
 * failures). `console.log` in a worker is relayed through the main thread's event loop, which does
 * not run while the main thread is parked in `Atomics.wait`; `fs.writeSync` appears at once.
 *
 * @module
 */
import { writeSync } from "node:fs";
import { outputLockWord } from "./wake-hub.js";

/** How long a writer waits for the output lock before it writes anyway (a holder that died). */
const OUTPUT_LOCK_WAIT_MS = 2_000;

/** Writes `text` + newline to `fd` (1 = stdout, 2 = stderr) now. */
export function writeLine(fd: number, text: string): void {
  writeAllSync(fd, Buffer.from(text + "\n", "utf8"));
}

/** Writes all of `bytes` to `fd` now, waiting 1 ms and retrying on `EAGAIN` (a non-blocking pipe that is full). */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      Atomics.wait(retryWord, 0, 0, 1);
    }
  }
}

const retryWord = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes `text` + newline to `fd` now, holding the process-wide output lock, so that the dumps of
 * several threads come out whole, one after the other.
 */
export function writeExclusive(fd: number, text: string): void {
  const { words, at } = outputLockWord();
  const deadline = performance.now() + OUTPUT_LOCK_WAIT_MS;
  let held = false;
  for (;;) {
    if (Atomics.compareExchange(words, at, 0, 1) === 0) {
      held = true;
      break;
    }
    if (performance.now() > deadline) break;
    Atomics.wait(words, at, 1, 10);
  }
  try {
    writeLine(fd, text);
  } finally {
    if (held) {
      Atomics.store(words, at, 0);
      Atomics.notify(words, at, 1);
    }
  }
}
