/**
 * Synchronous line output for the runtime's own messages (verbose executor lines, unobserved task
 * failures). `console.log` in a worker is relayed through the main thread's event loop, which does
 * not run while the main thread is parked in `Atomics.wait`; `fs.writeSync` appears at once.
 *
 * @module
 */
import { writeSync } from "node:fs";

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
