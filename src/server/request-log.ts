/**
 * The delay server's request log: one line per request answered, in the order the requests
 * arrived, without a `write` per line.
 *
 * Line format:
 * - `#{n} - {delay}ms: {message}` for a request answered `200` (`GET` or `HEAD`): the book's line.
 *   `n` counts these requests only, from 1, so it stays the book's request number.
 * - `!{status} {method} {target}: {reason}` for a request answered with an error status (400,
 *   404, 405, 413, 431, ...), not counted in `n`: the method and target as received (the target
 *   cut at 200 chars), the reason being the one-line explanation sent in the body (without a
 *   leading repeat of the status, `400 Bad Request: `). A request refused before its request
 *   line could be read shows `-` for method and target:
 *   `!400 - -: bare LF in the request head (lines must end with CRLF)`.
 *
 * Contract: lines are appended to a batch and written with `fs.writeSync` when the batch passes
 * {@link FLUSH_BYTES}, when Node's event loop next gets a turn (a `setImmediate`: the executor
 * under `run` yields to Node whenever it parks and at least every few milliseconds while busy), and
 * on {@link RequestLog.flush} (shutdown). So a line appears within milliseconds of its request,
 * lines never interleave or reorder, and a benchmark at 50,000 requests a second costs a handful
 * of writes a millisecond rather than one per request. `EAGAIN` (stdout a non-blocking pipe whose
 * reader is behind) is retried after 1 ms. A message holding control characters is logged with
 * JSON escapes, so one request is always one line.
 *
 * @module
 */
import { writeSync } from "node:fs";

/** A batch this large is written at once instead of waiting for the event loop. */
export const FLUSH_BYTES = 16 * 1024;

const CONTROL = /[\x00-\x1f\x7f]/;
/** The longest target shown in a refusal line. */
const MAX_TARGET = 200;
const retryWord = new Int32Array(new SharedArrayBuffer(4));

/**
 * A batched line writer for request lines.
 *
 * @example
 * ```ts
 * const log = new RequestLog(1);
 * log.request(1, 1000, "hello"); // "#1 - 1000ms: hello", written soon
 * log.refused(404, "GET", "/1000", "usage: ...\n"); // "!404 GET /1000: usage: ..."
 * log.flush();                   // written now
 * ```
 */
export class RequestLog {
  private batch = "";
  private scheduled = false;
  private readonly flushSoon = (): void => {
    this.scheduled = false;
    this.flush();
  };

  /** @param fd - where lines go: 1 (stdout, the default) or any fd open for writing. */
  constructor(private readonly fd = 1) {}

  /** Logs request number `n`, answered `200` after `delayMs`, with `message` (decoded). */
  request(n: number, delayMs: number, message: string): void {
    this.line(`#${n} - ${delayMs}ms: ${visible(message)}`);
  }

  /**
   * Logs a request answered with error `status`: `method` and `target` as received (`undefined`
   * when the request line could not be read), `reason` the explanation sent (a trailing newline
   * is dropped).
   */
  refused(status: number, method: string | undefined, target: string | undefined, reason: string): void {
    const shownTarget = target === undefined ? "-" : visible(target.length > MAX_TARGET ? `${target.slice(0, MAX_TARGET)}...` : target);
    let text = reason.endsWith("\n") ? reason.slice(0, -1) : reason;
    // A body that starts by repeating the status ("400 Bad Request: ...") is shown without it.
    if (text.startsWith(`${status} `) && text.includes(": ")) text = text.slice(text.indexOf(": ") + 2);
    this.line(`!${status} ${method ?? "-"} ${shownTarget}: ${visible(text)}`);
  }

  /** Appends one line (without its newline). */
  line(text: string): void {
    this.batch += text + "\n";
    if (this.batch.length >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushSoon);
    }
  }

  /** Writes everything batched so far, now. */
  flush(): void {
    if (this.batch === "") return;
    const bytes = Buffer.from(this.batch, "utf8");
    this.batch = "";
    let off = 0;
    while (off < bytes.length) {
      try {
        off += writeSync(this.fd, bytes, off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EPIPE") return; // nobody reads the log any more: serving goes on
        if (code !== "EAGAIN") throw e;
        Atomics.wait(retryWord, 0, 0, 1);
      }
    }
  }
}

/** `text` with control characters JSON-escaped, so that one entry is always one line. */
function visible(text: string): string {
  return CONTROL.test(text) ? JSON.stringify(text).slice(1, -1) : text;
}
