/**
 * Synchronous line output for the runtime's own messages (verbose executor lines, unobserved task
 * failures). `console.log` in a worker is relayed through the main thread's event loop, which does
 * not run while the main thread is parked in `Atomics.wait`; `fs.writeSync` appears at once.
 *
 * @module
 */
import { writeSync } from "node:fs";

/** Writes `text` + newline to `fd` (1 = stdout, 2 = stderr) now, retrying `EAGAIN` on a non-blocking pipe. */
export function writeLine(fd: number, text: string): void {
  const bytes = Buffer.from(text + "\n", "utf8");
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
