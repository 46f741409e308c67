/**
 * The delay server's responses, written straight into an output buffer: head and body of every
 * response that is due go one after the other into one buffer, sent with one `send`.
 *
 * Why not `serializeResponse` (src/http/serialize.ts): it checks every field for the general case
 * and allocates a `Buffer` per response. Here every field is ours (a fixed content type, a status
 * from a short list, a number, a cached date), so the head is one string written with Buffer's
 * latin1 writer and the body with its UTF-8 writer, into memory the connection reuses. At tens of
 * thousands of responses a second the allocation and the checks are a measurable share of the
 * work (W7 in the README's performance table).
 *
 * Contract: {@link writeResponse} writes a complete HTTP/1.1 response (`Content-Type: text/plain;
 * charset=utf-8`, `Content-Length`, `Connection`, `Date`; `Allow: GET, HEAD` on a 405) at
 * `buf[off..]` and returns the offset after it, or -1 when it might not fit (nothing useful is
 * written then); {@link responseBound} is an upper bound of its size, to pick a buffer that fits.
 * The answer to a `HEAD` request is the same head, `Content-Length` included, without the body
 * (RFC 9110 §9.3.2, §8.6). {@link writeContinue} writes the interim `100 Continue`.
 *
 * @module
 */
import { httpDate, STATUS_TEXT } from "../http/serialize.js";

const OK_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ";
/** The head without the status line's reason and the numbers: an upper bound for {@link responseBound}. */
const HEAD_BOUND = 256;

/** The head's tail (`Connection`, `Date`, the empty line), rebuilt when the date changes (once a second). */
let tailDate = "";
let keepAliveTail = "";
let closeTail = "";

function tail(keepAlive: boolean): string {
  const date = httpDate(); // the same string object all second long
  if (date !== tailDate) {
    tailDate = date;
    keepAliveTail = `\r\nConnection: keep-alive\r\nDate: ${date}\r\n\r\n`;
    closeTail = `\r\nConnection: close\r\nDate: ${date}\r\n\r\n`;
  }
  return keepAlive ? keepAliveTail : closeTail;
}

/** `Buffer`'s direct writers (undocumented, present since Node 0.x): `write(s, off, enc)` minus the argument parsing. */
interface FastWrites {
  latin1Write(s: string, offset: number, length: number): number;
  utf8Write(s: string, offset: number, length: number): number;
}

/**
 * An upper bound of the size of the response {@link writeResponse} writes for `body` (a UTF-16
 * code unit takes at most 3 UTF-8 bytes).
 *
 * @example
 * ```ts
 * responseBound("hello"); // 271
 * ```
 */
export function responseBound(body: string): number {
  return HEAD_BOUND + 3 * body.length;
}

/**
 * Writes the response with `status` and `body` at `buf[off..]`; with `head` set (the request was
 * `HEAD`) the body is counted in `Content-Length` but not written. Returns the offset just after
 * it, or -1 if `buf` has less than {@link responseBound} bytes left (the caller sends what it has
 * and tries again with an empty buffer).
 *
 * @example
 * ```ts
 * const buf = Buffer.allocUnsafe(4096);
 * const end = writeResponse(buf, 0, 200, "hi", true);
 * buf.toString("latin1", 0, end); // "HTTP/1.1 200 OK\r\nContent-Type: ...\r\nContent-Length: 2\r\n..." + "hi"
 * writeResponse(buf, 0, 200, "hi", true, true); // the same head, no "hi"
 * ```
 */
export function writeResponse(buf: Buffer, off: number, status: number, body: string, keepAlive: boolean, head = false): number {
  if (buf.length - off < responseBound(body)) return -1;
  const fast = buf as Buffer & FastWrites;
  if (status === 200 && !head && isAscii(body)) {
    // The common case in one latin1 write: ASCII is its own UTF-8, one byte per char.
    const message = OK_HEAD + body.length + tail(keepAlive) + body;
    return off + fast.latin1Write(message, off, message.length);
  }
  const length = Buffer.byteLength(body, "utf8");
  const text =
    status === 200
      ? OK_HEAD + length + tail(keepAlive)
      : `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? ""}\r\n${status === 405 ? "Allow: GET, HEAD\r\n" : ""}Content-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${length}${tail(keepAlive)}`;
  off += fast.latin1Write(text, off, text.length);
  if (length > 0 && !head) off += fast.utf8Write(body, off, length);
  return off;
}

const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";

/**
 * Writes the interim `100 Continue` (RFC 9110 §15.2.1) at `buf[off..]`: the answer to a request
 * with `Expect: 100-continue` that will be served, telling the client to send its body. Returns
 * the offset after it, or -1 if it does not fit.
 *
 * @example
 * ```ts
 * const end = writeContinue(buf, 0); // "HTTP/1.1 100 Continue\r\n\r\n", end === 25
 * ```
 */
export function writeContinue(buf: Buffer, off: number): number {
  if (buf.length - off < CONTINUE.length) return -1;
  return off + (buf as Buffer & FastWrites).latin1Write(CONTINUE, off, CONTINUE.length);
}

/** True when every char of `s` is below 0x80 (a loop beats a regex on short strings). */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
