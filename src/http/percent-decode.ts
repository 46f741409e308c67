/**
 * Percent-decoding of a request target, for the delay server's message (RFC 3986 §2.1).
 *
 * Contract: `%XX` (either case) becomes the byte 0xXX, every other char is its own byte, and the
 * bytes are decoded as UTF-8, so `%C3%A9` and a raw (unencoded) UTF-8 `é` from the wire both give
 * `"é"`. `+` stays `+` (form encoding is not URL encoding). A `%` not followed by two hex digits,
 * bytes that are not valid UTF-8, or a char above U+00FF (the input is a byte string, as
 * `HttpRequest.target` is) throw an `HttpRequestError` with status 400.
 *
 * @module
 */
import { hexDigit } from "./parse-body.js";
import { quote } from "./parse-headers.js";
import { HttpRequestError } from "./parse-request.js";

/** Fatal: invalid UTF-8 is the client's error, not something to paper over with U+FFFD. */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const PLAIN_ASCII = /^[\x00-\x24\x26-\x7f]*$/;

/**
 * Decodes the percent-escapes of `target` (a byte string: one char per byte, as the request
 * parser gives it) and reads the bytes as UTF-8.
 *
 * @example
 * ```ts
 * percentDecode("hello%20world");   // "hello world"
 * percentDecode("caf%C3%A9+cr%C3%A8me"); // "café+crème"
 * percentDecode("100%");            // throws HttpRequestError (status 400): invalid percent-escape "%" at offset 3
 * ```
 */
export function percentDecode(target: string): string {
  if (PLAIN_ASCII.test(target)) return target;
  const bytes = Buffer.allocUnsafe(target.length);
  let n = 0;
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 37) {
      const high = hexDigit(target.charCodeAt(i + 1));
      const low = hexDigit(target.charCodeAt(i + 2));
      if (high < 0 || low < 0) {
        throw new HttpRequestError(400, `invalid percent-escape ${quote(target.slice(i, i + 3))} at offset ${i}`);
      }
      bytes[n++] = high * 16 + low;
      i += 2;
    } else if (c > 0xff) {
      throw new HttpRequestError(400, `not a byte string: char U+${c.toString(16).toUpperCase()} at offset ${i}`);
    } else {
      bytes[n++] = c;
    }
  }
  try {
    return utf8.decode(bytes.subarray(0, n));
  } catch {
    throw new HttpRequestError(400, `percent-decoded text is not valid UTF-8: ${quote(target)}`);
  }
}
