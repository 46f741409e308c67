/**
 * Message bodies: the three HTTP/1.1 framings (RFC 9112 §6), decoded incrementally.
 *
 * Contract:
 * - `Content-Length: n` → exactly n bytes, copied into one buffer allocated up front (n is checked
 *   against `maxBodyBytes` first, so a lying length cannot make us allocate more than the limit).
 * - `Transfer-Encoding: chunked` → `size[;extensions] CRLF data CRLF` ... `0 CRLF trailers CRLF`.
 *   Extensions are checked for control characters and otherwise ignored; trailers are parsed like
 *   headers. Data pieces are copied as they arrive and joined once at the end.
 * - read until close → every byte until the peer closes (responses only).
 * - A body over `maxBodyBytes` is an error as soon as that is known (status 413 for a server).
 *   EOF before the body is complete is an error naming how far it got.
 * - Everything kept is copied, so callers may reuse the buffer they read into.
 *
 * @module
 */
import { latin1 } from "./parse-buffer.js";
import { BlockScanner, HttpHeaders, parseFields, quote, type MakeError } from "./parse-headers.js";

/** The default limit on a response body, in bytes (64 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * How a body is delimited: a byte count (`Content-Length`), `"chunked"`, or `"close"` (until EOF).
 *
 * @example
 * ```ts
 * const framing: BodyFraming = headers.has("transfer-encoding") ? "chunked" : 0;
 * ```
 */
export type BodyFraming = number | "chunked" | "close";

/** Limits and policy for a {@link BodyDecoder}. */
export interface BodyLimits {
  /** The largest body accepted, in bytes. */
  maxBodyBytes: number;
  /** The largest trailer section (and chunk-size line) accepted, in bytes. */
  maxTrailerBytes: number;
  /** Whether obs-fold lines in trailers continue the previous value (client) or are an error (server). */
  unfold: boolean;
}

/**
 * The largest chunk size we read (2^48 - 1): far above any limit, and exact in a double. More
 * digits than that only make `size` larger (or `Infinity`), never smaller, so one check after the
 * digits is enough.
 */
const MAX_CHUNK_SIZE = 0xffff_ffff_ffff;

const LENGTH = 0;
const CLOSE = 1;
const SIZE = 2;
const DATA = 3;
const DATA_END = 4;
const TRAILERS = 5;
const DONE = 6;

const EMPTY = Buffer.alloc(0);
/** A length in digits, at most 15 of them so that the number is exact. */
const DIGITS = /^\d{1,15}$/;

/**
 * Parses a `Content-Length` value: digits only; a repeated header (`"5, 5"`, as
 * {@link HttpHeaders.get} joins it) is accepted when every value is the same (RFC 9110 §8.6).
 *
 * @example
 * ```ts
 * parseContentLength("42", fail);    // 42
 * parseContentLength("42, 42", fail); // 42
 * parseContentLength("4x", fail);    // throws fail('invalid Content-Length: "4x"', 400)
 * ```
 */
export function parseContentLength(value: string, fail: MakeError): number {
  if (DIGITS.test(value)) return Number(value);
  let result = -1;
  for (const part of value.split(",")) {
    const digits = part.trim();
    const n = DIGITS.test(digits) ? Number(digits) : -1;
    if (n < 0 || (result >= 0 && n !== result)) throw fail(`invalid Content-Length: ${quote(value)}`, 400);
    result = n;
  }
  return result;
}

/**
 * Decodes one body from bytes fed in pieces.
 *
 * @example
 * ```ts
 * const fail: MakeError = (m) => new HttpParseError(m);
 * const body = new BodyDecoder("chunked", { maxBodyBytes: 1 << 20, maxTrailerBytes: 16384, unfold: true }, fail);
 * const data = Buffer.from("3\r\nabc\r\n0\r\n\r\n");
 * body.feed(data, 0); // 15: all consumed
 * body.done;          // true
 * body.body().toString(); // "abc"
 * ```
 */
export class BodyDecoder {
  /** Trailer fields of a chunked body, once its trailer section is parsed; `undefined` before and for other framings. */
  trailers: HttpHeaders | undefined;
  private state: number;
  private readonly length: number;
  /** The whole body for `Content-Length` framing. */
  private readonly fixed: Buffer | undefined;
  /** Copied pieces for chunked and close framing, joined once by {@link body}. */
  private readonly pieces: Buffer[] = [];
  private received = 0;
  /** Bytes left in the current chunk. */
  private remaining = 0;
  /** How far past the start of an incomplete chunk-size line its LF has been searched for. */
  private searched = 0;
  /** Finds the end of the trailer section; made when the last chunk arrives. */
  private scanner: BlockScanner | undefined;

  /** Throws (through `fail`) if a `Content-Length` framing is over `limits.maxBodyBytes`. */
  constructor(
    framing: BodyFraming,
    private readonly limits: BodyLimits,
    private readonly fail: MakeError,
  ) {
    if (typeof framing === "number") {
      if (framing > limits.maxBodyBytes) {
        throw fail(`body exceeds ${limits.maxBodyBytes} bytes (Content-Length: ${framing})`, 413);
      }
      this.length = framing;
      this.fixed = framing === 0 ? EMPTY : Buffer.allocUnsafe(framing);
      this.state = framing === 0 ? DONE : LENGTH;
    } else {
      this.length = -1;
      this.fixed = undefined;
      this.state = framing === "chunked" ? SIZE : CLOSE;
    }
  }

  /** Whether the body is complete (before EOF for length and chunked framing). */
  get done(): boolean {
    return this.state === DONE;
  }

  /**
   * Consumes body bytes from `data[pos..]` and returns the index of the first byte not consumed:
   * either the body ended there (the rest is the next message's) or those bytes are an incomplete
   * line that must be fed again, with more bytes appended, next time.
   */
  feed(data: Buffer, pos: number): number {
    for (;;) {
      switch (this.state) {
        case LENGTH: {
          const take = Math.min(this.length - this.received, data.length - pos);
          data.copy(this.fixed as Buffer, this.received, pos, pos + take);
          this.received += take;
          if (this.received === this.length) this.state = DONE;
          return pos + take;
        }
        case CLOSE: {
          const take = data.length - pos;
          if (this.received + take > this.limits.maxBodyBytes) throw this.tooLarge();
          if (take > 0) this.keep(data, pos, take);
          return data.length;
        }
        case SIZE: {
          const lf = data.indexOf(10, pos + this.searched);
          const lineLength = (lf < 0 ? data.length : lf) - pos;
          if (lineLength > this.limits.maxTrailerBytes) {
            throw this.fail(`chunk size line exceeds ${this.limits.maxTrailerBytes} bytes`, 400);
          }
          if (lf < 0) {
            this.searched = lineLength;
            return pos;
          }
          this.searched = 0;
          const size = this.chunkSize(data, pos, lf);
          pos = lf + 1;
          if (size === 0) {
            this.state = TRAILERS;
          } else {
            if (this.received + size > this.limits.maxBodyBytes) throw this.tooLarge();
            this.remaining = size;
            this.state = DATA;
          }
          break;
        }
        case DATA: {
          const take = Math.min(this.remaining, data.length - pos);
          if (take === 0) return pos;
          this.keep(data, pos, take);
          pos += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = DATA_END;
          break;
        }
        case DATA_END: {
          if (pos === data.length) return pos;
          if (data[pos] === 13) {
            if (pos + 1 === data.length) return pos;
            pos++;
          }
          if (data[pos] !== 10) throw this.fail("missing CRLF after chunk data", 400);
          pos++;
          this.state = SIZE;
          break;
        }
        case TRAILERS: {
          this.scanner ??= new BlockScanner();
          const end = this.scanner.scan(data, pos);
          if ((end < 0 ? data.length : end) - pos > this.limits.maxTrailerBytes) {
            throw this.fail(`trailers exceed ${this.limits.maxTrailerBytes} bytes`, 431);
          }
          if (end < 0) return pos;
          this.trailers = new HttpHeaders();
          parseFields(latin1(data, pos, end), 0, this.trailers, this.limits.unfold, this.fail);
          this.state = DONE;
          return end;
        }
        default:
          return pos;
      }
    }
  }

  /**
   * The peer closed the connection: completes a read-until-close body, and throws (through
   * `fail`) for a length or chunked body that is not complete.
   */
  end(): void {
    switch (this.state) {
      case CLOSE:
        this.state = DONE;
        return;
      case LENGTH:
        throw this.fail(`connection closed after ${this.received} of ${this.length} body bytes`, 400);
      case DONE:
        return;
      default:
        throw this.fail(`connection closed before the chunked body was complete (${this.received} body bytes received)`, 400);
    }
  }

  /** The body, once {@link done}: one buffer. */
  body(): Buffer {
    if (this.fixed !== undefined) return this.fixed;
    return this.pieces.length === 1 ? (this.pieces[0] as Buffer) : Buffer.concat(this.pieces, this.received);
  }

  /** Copies `data[pos..pos+take)` into the body. */
  private keep(data: Buffer, pos: number, take: number): void {
    this.pieces.push(Buffer.from(data.subarray(pos, pos + take)));
    this.received += take;
  }

  private tooLarge(): Error {
    return this.fail(`body exceeds ${this.limits.maxBodyBytes} bytes`, 413);
  }

  /** Parses the chunk-size line `data[start..lf)`: hex digits, optional whitespace, `;extensions`. */
  private chunkSize(data: Buffer, start: number, lf: number): number {
    const end = lf > start && data[lf - 1] === 13 ? lf - 1 : lf;
    let size = 0;
    let i = start;
    for (; i < end; i++) {
      const digit = hexDigit(data[i] as number);
      if (digit < 0) break;
      size = size * 16 + digit;
    }
    let valid = i > start && size <= MAX_CHUNK_SIZE;
    while (i < end && (data[i] === 32 || data[i] === 9)) i++;
    if (i < end && data[i] !== 59) valid = false;
    for (; valid && i < end; i++) {
      const c = data[i] as number;
      if ((c < 32 && c !== 9) || c === 127) valid = false;
    }
    if (!valid) throw this.fail(`invalid chunk size: ${quote(latin1(data, start, end))}`, 400);
    return size;
  }
}

/**
 * The value of the ASCII hex digit with char code `c` (either case), or -1 (also for `NaN`, what
 * `charCodeAt` gives past the end of a string).
 *
 * @example
 * ```ts
 * hexDigit(0x46); // 15 ("F")
 * hexDigit(0x67); // -1 ("g")
 * ```
 */
export function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}
