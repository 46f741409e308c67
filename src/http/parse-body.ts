/**
 * Message bodies: the three HTTP/1.1 framings (RFC 9112 §6), decoded incrementally.
 *
 * Contract:
 * - `Content-Length: n` → exactly n bytes (n is checked against `maxBodyBytes` first).
 * - `Transfer-Encoding: chunked` → `size[;extensions] CRLF data CRLF` ... `0 CRLF trailers CRLF`
 *   (RFC 9112 §7.1). The size line is read by its grammar and nothing more: hex digits (leading
 *   zeros allowed, the value judged), then `;name` or `;name=value` extensions whose names are
 *   tokens and values tokens or quoted strings, with the "bad whitespace" RFC 9112 §7.1.1 lets
 *   appear around `;` and `=` (and a recipient must remove), then the line end: whitespace at the
 *   end of the line or right after the size without an extension, or any other byte, is an error.
 *   Extensions are otherwise ignored; trailers are parsed like headers. In `strict` mode
 *   (requests) every line end must be CRLF; otherwise (responses) a bare LF is accepted, as for
 *   the head.
 * - read until close → every byte until the peer closes (responses only).
 * - A body over `maxBodyBytes` is an error as soon as that is known (status 413 for a server).
 *   EOF before the body is complete is an error naming how far it got.
 * - Memory: what is kept is copied into one buffer that grows by doubling (never past a declared
 *   length), so a body costs at most twice its size plus {@link INITIAL_BODY_BYTES}, however it
 *   is chunked and however large a length the peer announces. With `discard` set the bytes are
 *   counted and checked, not kept; with `onData` they are handed over as they are decoded (a
 *   streamed body). Callers may reuse the buffer they read into.
 *
 * @module
 */
import { decimalValue } from "./decimal.js";
import { latin1 } from "./parse-buffer.js";
import { BARE_LF, BlockScanner, HttpHeaders, isTokenChar, parseFields, quote, type MakeError } from "./parse-headers.js";

/** The default limit on a response body, in bytes (64 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * The most a body buffer holds before any byte of the body arrived: a declared length above this
 * is allocated as the bytes come, so a peer that announces a large body and sends nothing costs
 * this much, not the length it announced.
 */
export const INITIAL_BODY_BYTES = 64 * 1024;

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
  /** Whether every line end must be CRLF (requests) or a bare LF is accepted too (responses). */
  strict: boolean;
  /** Count and check the body, but keep none of it. */
  discard: boolean;
  /**
   * Hand each piece of the body to this as it is decoded (`data[start..end)`, valid during the
   * call only), keeping none of it: a streamed body.
   */
  onData?: ((data: Buffer, start: number, end: number) => void) | undefined;
}

/** The most significant hex digits of a chunk size: 2^48 - 1 is far above any limit and exact in a double. */
const MAX_CHUNK_SIZE_DIGITS = 12;

const LENGTH = 0;
const CLOSE = 1;
const SIZE = 2;
const DATA = 3;
const DATA_END = 4;
const TRAILERS = 5;
const DONE = 6;

const EMPTY = Buffer.alloc(0);

/**
 * Parses a `Content-Length` value by its value (`decimal.ts`: leading zeros allowed, more than 15
 * significant digits is `Infinity`, too large for any limit). A repeated header (`"5, 5"`, as
 * {@link HttpHeaders.get} joins it) is accepted when every value is the same (RFC 9110 §8.6).
 *
 * @example
 * ```ts
 * parseContentLength("42", fail);     // 42
 * parseContentLength("0042", fail);   // 42
 * parseContentLength("42, 42", fail); // 42
 * parseContentLength("4x", fail);     // throws fail('invalid Content-Length: "4x"', 400)
 * ```
 */
export function parseContentLength(value: string, fail: MakeError): number {
  const n = decimalValue(value);
  if (n === n) return n; // not NaN
  let result = NaN;
  for (const part of value.split(",")) {
    const v = decimalValue(part.trim());
    if (v !== v || (result === result && v !== result)) throw fail(`invalid Content-Length: ${quote(value)}`, 400);
    result = v;
  }
  return result;
}

/**
 * Decodes one body from bytes fed in pieces.
 *
 * @example
 * ```ts
 * const fail: MakeError = (m) => new HttpParseError(m);
 * const limits = { maxBodyBytes: 1 << 20, maxTrailerBytes: 16384, unfold: true, strict: true, discard: false };
 * const body = new BodyDecoder("chunked", limits, fail);
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
  /** The declared length, or -1. */
  private readonly length: number;
  /** The body so far, in `store[0..received)`. */
  private store: Buffer = EMPTY;
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
        const declared = framing === Infinity ? "more than 15 digits" : framing;
        throw fail(`body exceeds ${limits.maxBodyBytes} bytes (Content-Length: ${declared})`, 413);
      }
      this.length = framing;
      if (framing > 0 && !limits.discard && limits.onData === undefined)
        this.store = Buffer.allocUnsafe(Math.min(framing, INITIAL_BODY_BYTES));
      this.state = framing === 0 ? DONE : LENGTH;
    } else {
      this.length = -1;
      this.state = framing === "chunked" ? SIZE : CLOSE;
    }
  }

  /** Whether the body is complete (before EOF for length and chunked framing). */
  get done(): boolean {
    return this.state === DONE;
  }

  /** The number of body bytes received so far. */
  get size(): number {
    return this.received;
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
          this.keep(data, pos, take);
          if (this.received === this.length) this.state = DONE;
          return pos + take;
        }
        case CLOSE: {
          const take = data.length - pos;
          if (this.received + take > this.limits.maxBodyBytes) throw this.tooLarge();
          this.keep(data, pos, take);
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
          } else if (this.limits.strict) {
            throw this.fail("missing CRLF after chunk data", 400);
          }
          if (data[pos] !== 10) throw this.fail("missing CRLF after chunk data", 400);
          pos++;
          this.state = SIZE;
          break;
        }
        case TRAILERS: {
          this.scanner ??= new BlockScanner(this.limits.strict);
          const end = this.scanner.scan(data, pos);
          if (end === BARE_LF) throw this.fail("bare LF in the trailer section (lines must end with CRLF)", 400);
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

  /** The body, once {@link done}: one buffer (empty when discarding). */
  body(): Buffer {
    return this.received === this.store.length ? this.store : this.store.subarray(0, this.received);
  }

  /** Copies `data[pos..pos+take)` into the body, growing the store by doubling. */
  private keep(data: Buffer, pos: number, take: number): void {
    const need = this.received + take;
    const onData = this.limits.onData;
    if (onData !== undefined) {
      if (take > 0) onData(data, pos, pos + take);
    } else if (!this.limits.discard) {
      if (need > this.store.length) this.grow(need);
      data.copy(this.store, this.received, pos, pos + take);
    }
    this.received = need;
  }

  private grow(need: number): void {
    // Never past a declared length, so a length body ends in a buffer of exactly its size.
    const bound = this.length >= 0 ? this.length : this.limits.maxBodyBytes;
    const grown = Buffer.allocUnsafe(Math.max(need, Math.min(2 * this.store.length, bound), 256));
    this.store.copy(grown, 0, 0, this.received);
    this.store = grown;
  }

  private tooLarge(): Error {
    return this.fail(`body exceeds ${this.limits.maxBodyBytes} bytes`, 413);
  }

  /**
   * Parses the chunk-size line `data[start..lf)` (see the module's contract) and returns the size.
   */
  private chunkSize(data: Buffer, start: number, lf: number): number {
    const crlf = lf > start && data[lf - 1] === 13;
    if (!crlf && this.limits.strict) throw this.fail(`bare LF after chunk size ${quote(latin1(data, start, lf))}`, 400);
    const end = crlf ? lf - 1 : lf;
    let i = start;
    while (i < end && data[i] === 48 /* 0 */) i++;
    const significant = i;
    let size = 0;
    for (let digit = hexDigit(data[i] as number); i < end && digit >= 0; digit = hexDigit(data[++i] as number)) size = size * 16 + digit;
    if (i === start) throw this.invalidSize(data, start, end);
    if (i - significant > MAX_CHUNK_SIZE_DIGITS) throw this.tooLarge();
    while (i < end) {
      // BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ]
      i = skipBws(data, i, end);
      if (i === end || data[i] !== 59 /* ; */) throw this.invalidSize(data, start, end);
      const name = (i = skipBws(data, i + 1, end));
      while (i < end && isTokenChar(data[i] as number)) i++;
      if (i === name) throw this.invalidSize(data, start, end);
      const equals = skipBws(data, i, end);
      if (equals === end || data[equals] !== 61 /* = */) continue;
      i = skipBws(data, equals + 1, end);
      if (data[i] === 34 /* " */) i = quotedStringEnd(data, i + 1, end);
      else {
        const value = i;
        while (i < end && isTokenChar(data[i] as number)) i++;
        if (i === value) i = -1;
      }
      if (i < 0) throw this.invalidSize(data, start, end);
    }
    return size;
  }

  private invalidSize(data: Buffer, start: number, end: number): Error {
    return this.fail(`invalid chunk size: ${quote(latin1(data, start, end))}`, 400);
  }
}

/** The index of the first byte at or after `i` that is not a space or tab (RFC 9110 §5.6.3, BWS). */
function skipBws(data: Buffer, i: number, end: number): number {
  while (i < end && (data[i] === 32 || data[i] === 9)) i++;
  return i;
}

/**
 * The index just after the closing quote of the quoted string whose content starts at `data[i]`
 * (RFC 9110 §5.6.4: qdtext or a backslash and the char it quotes), or -1 if it is not closed
 * before `end` or holds a control character.
 */
function quotedStringEnd(data: Buffer, i: number, end: number): number {
  for (; i < end; i++) {
    let c = data[i] as number;
    if (c === 34) return i + 1;
    if (c === 92 /* \ */) c = i + 1 < end ? (data[++i] as number) : 0;
    if ((c < 0x20 && c !== 9) || c === 0x7f) return -1;
  }
  return -1;
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
