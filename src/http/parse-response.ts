/**
 * The client side: an incremental HTTP/1.1 response parser, no I/O.
 *
 * Contract:
 * - Feed it what the socket gives (`push(chunk)`, any split, the chunk may be reused afterwards)
 *   and call `end()` when the peer closes. `push` returns the response as soon as it is complete
 *   (`Content-Length` or chunked framing, or no body), so the client can stop reading before EOF;
 *   a read-until-close body completes at `end()`.
 * - Status line `HTTP/1.0|1.1 SSS reason` (reason optional); empty lines before it are skipped
 *   (RFC 9112 §2.2), up to the head limit. Interim 1xx responses (100 Continue, 103 Early Hints)
 *   are skipped, at most `maxInterimResponses` of them (default 32: a peer sending them forever is
 *   an error, not a loop); 101 is final. HEAD responses (option `method`) and 1xx, 204 and 304
 *   responses have no body whatever their headers say.
 * - Lenient where RFC 9112 §2.2 lets a recipient be: a bare LF ends a line (in the head, chunk
 *   lines and trailers); a bare CR does not. (The request parser, a server's, is strict.)
 * - Framing, RFC 9112 §6.3: `Transfer-Encoding` ending in `chunked` → chunked (it wins over
 *   `Content-Length`); other `Transfer-Encoding` → until close; else `Content-Length`; else until close.
 * - Limits: the head (status line, headers, empty line) at most `maxHeaderBytes` (16 KiB), the body
 *   at most `maxBodyBytes` (64 MiB); exceeding either is an error as soon as it is known. Memory
 *   stays within twice the body kept plus a constant, however the body is chunked (parse-body.ts).
 * - Every problem is an `HttpParseError` whose message says what was wrong. After an error the
 *   parser is finished: later calls throw the same error. Bytes after a complete response are
 *   ignored (the client sends `Connection: close`).
 *
 * @module
 */
import { HttpParseError } from "../errors.js";
import { DEFAULT_MAX_BODY_BYTES, BodyDecoder, parseContentLength, type BodyFraming, type BodyLimits } from "./parse-body.js";
import { asBuffer, latin1, PendingBytes } from "./parse-buffer.js";
import { decimalValue } from "./decimal.js";
import {
  BlockScanner,
  DEFAULT_MAX_HEADER_BYTES,
  FIELD_LINE,
  HttpHeaders,
  listItems,
  parseFields,
  quote,
  type MakeError,
} from "./parse-headers.js";

/**
 * A parsed HTTP response.
 *
 * @example
 * <!-- ts-check
 * declare function parseResponse(bytes: Uint8Array): HttpResponse;
 * -->
 * ```ts
 * const res = parseResponse(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"));
 * res.status;                      // 200
 * res.headers.get("content-length"); // "2"
 * res.text();                      // "hi"
 * ```
 */
export interface HttpResponse {
  /** The status code, 100..999. */
  readonly status: number;
  /** The reason phrase (`"OK"`), possibly empty. */
  readonly statusText: string;
  /** The header fields: case-insensitive `get`, repeated fields joined with `", "`. */
  readonly headers: HttpHeaders;
  /** The trailer fields of a chunked body; empty otherwise. */
  readonly trailers: HttpHeaders;
  /** The body bytes, de-chunked; empty for HEAD, 1xx, 204 and 304 responses. */
  readonly body: Uint8Array;
  /** The body decoded as UTF-8 (invalid sequences become U+FFFD). */
  text(): string;
}

/**
 * Options of a {@link ResponseParser}.
 *
 * @example
 * ```ts
 * const options: ResponseParserOptions = { method: "HEAD", maxBodyBytes: 1 << 20 };
 * ```
 */
export interface ResponseParserOptions {
  /** The method of the request this answers; `"HEAD"` means the response has no body. Default `"GET"`. */
  method?: string;
  /** The largest head accepted, in bytes. Default 16384. */
  maxHeaderBytes?: number;
  /** The largest body accepted, in bytes. Default 64 MiB. */
  maxBodyBytes?: number;
  /** The most interim (1xx) responses skipped before the final one. Default 32. */
  maxInterimResponses?: number;
  /** Check the body's framing and size but keep none of it (`body` is empty). Default false. */
  discardBody?: boolean;
  /**
   * Keep every header field (default true). False: every field line is still checked, but
   * `headers` holds only `Content-Length`, `Transfer-Encoding` and `Connection`, which framing and
   * {@link ResponseParser.keepAlive} need; for a caller that wants the bytes, not the fields.
   */
  keepHeaders?: boolean;
  /**
   * Hand the body over as it is decoded instead of keeping it (`body` is empty): each piece is
   * `data[start..end)`, valid during the call only. For a streamed body.
   */
  onBody?: (data: Buffer, start: number, end: number) => void;
}

/**
 * The status line and headers of a response, known before its body (see {@link ResponseParser.head}).
 *
 * @example
 * ```ts
 * const head: ResponseHead = { status: 200, statusText: "OK", headers: new HttpHeaders() };
 * ```
 */
export interface ResponseHead {
  readonly status: number;
  readonly statusText: string;
  readonly headers: HttpHeaders;
}

/** The default limit on interim responses before a final one. */
export const DEFAULT_MAX_INTERIM_RESPONSES = 32;

/**
 * `HTTP-version SP status-code [SP reason-phrase]` as a regular expression's source, the version's
 * minor digit, the code and the reason captured; the reason may hold HTAB, SP, VCHAR, obs-text.
 */
const STATUS_LINE_SOURCE = "HTTP\\/1\\.([01]) ([1-9]\\d\\d)(?: ([\\t\\x20-\\x7e\\x80-\\xff]*))?";
const STATUS_LINE = new RegExp(`^${STATUS_LINE_SOURCE}$`);
/** A whole head without obs-fold lines, from `lastIndex`: status line, field lines, the empty line. */
const PLAIN_HEAD = new RegExp(`${STATUS_LINE_SOURCE}\\r?\\n(?:${FIELD_LINE})*\\r?\\n`, "y");
/** In a head {@link PLAIN_HEAD} matched, a framing field's line: its name, and its value trimmed. */
const FRAMING_LINE = /^(content-length|transfer-encoding|connection):[ \t]*(.*?)[ \t]*\r?$/gim;

/** The largest read whose head is looked for in its decoded text (see `feed`). */
const WHOLE_READ_BYTES = 4096;

/**
 * Where the head that starts `text` ends: just after its first empty line, that is after the
 * first LF that follows an LF or a CRLF (lines may end with a bare LF here); -1 if not in `text`.
 * The first line must not be empty.
 */
function headEnd(text: string): number {
  const lflf = text.indexOf("\n\n");
  const lfcrlf = text.indexOf("\n\r\n");
  if (lflf < 0) return lfcrlf < 0 ? -1 : lfcrlf + 3;
  return lfcrlf < 0 || lflf < lfcrlf ? lflf + 2 : lfcrlf + 3;
}

/**
 * Where the response that `data` holds from its start ends, when it is a plain one: a final
 * status (200 or more; not 204 or 304), no obs-fold line, no `Transfer-Encoding`, one
 * `Content-Length` whose body is all in `data`, and a head within the default header limit. Then
 * a `ResponseParser` for a GET with default limits but `maxBodyBytes` would find the same end (it
 * makes the same checks; the conformance test holds the two to it). Anything else gives -1,
 * well-formed or not: the parser decides those. Nothing is built but the head's text, so the
 * check costs little from its first call, before the JIT has seen the parser: `Http.get`'s
 * usual response (`W2`).
 *
 * @example
 * ```ts
 * plainResponseEnd(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi!"), 1024); // 40
 * plainResponseEnd(Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), 1024); // -1
 * ```
 */
export function plainResponseEnd(data: Buffer, maxBodyBytes: number): number {
  const text = latin1(data, 0, Math.min(data.length, DEFAULT_MAX_HEADER_BYTES));
  PLAIN_HEAD.lastIndex = 0;
  const head = PLAIN_HEAD.exec(text);
  if (head === null) return -1;
  const end = head[0].length;
  const status = Number(head[2]);
  if (status < 200 || status === 204 || status === 304) return -1;
  let length = -1;
  let connection = false;
  const fields = end === text.length ? text : text.slice(0, end);
  FRAMING_LINE.lastIndex = 0;
  for (let f = FRAMING_LINE.exec(fields); f !== null; f = FRAMING_LINE.exec(fields)) {
    // The names differ in length: content-length 14, transfer-encoding 17, connection 10.
    const name = f[1]!.length;
    if (name === 14 && length < 0) length = decimalValue(f[2]!);
    else if (name === 10 && !connection) connection = true;
    else return -1; // Transfer-Encoding, or a field twice: the parser's rules for those
    if (length !== length) return -1; // NaN: a list, or not a length at all
  }
  if (length < 0 || length > maxBodyBytes || data.length - end < length) return -1;
  return end + length;
}

/** The fields a parser made with `keepHeaders: false` keeps. */
const FRAMING_FIELDS: readonly string[] = ["content-length", "transfer-encoding", "connection"];

const HEAD = 0;
const BODY = 1;
const DONE = 2;

const EMPTY = Buffer.alloc(0);

const fail: MakeError = (message) => new HttpParseError(message);

class ParsedResponse implements HttpResponse {
  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly headers: HttpHeaders,
    private ownTrailers: HttpHeaders | undefined,
    readonly body: Buffer,
  ) {}

  /** Made on first use when there were none: most responses have no trailers and nobody asks. */
  get trailers(): HttpHeaders {
    return (this.ownTrailers ??= new HttpHeaders());
  }

  text(): string {
    return this.body.toString("utf8");
  }
}

/**
 * Parses one HTTP/1.1 response from bytes fed as they arrive.
 *
 * @example
 * ```ts
 * const parser = new ResponseParser({ method: "GET" });
 * for (;;) {
 *   const n = yield* wait(stream.read(buf));
 *   const res = n === 0 ? parser.end() : parser.push(buf.subarray(0, n));
 *   if (res) return res; // complete: stop reading
 * }
 * ```
 */
export class ResponseParser {
  private readonly pending = new PendingBytes();
  private readonly scanner = new BlockScanner(false);
  private readonly noBody: boolean;
  private readonly maxHeaderBytes: number;
  private readonly maxInterim: number;
  private readonly keptFields: readonly string[] | undefined;
  private readonly limits: BodyLimits;
  private state = HEAD;
  /** Interim responses skipped so far. */
  private interim = 0;
  /** Bytes of empty lines skipped before the current status line. */
  private skipped = 0;
  /** Bytes received after the end of the response, once it is complete. */
  private extra = 0;
  /** The current head's status line is complete and was found well-formed. */
  private lineChecked = false;
  private status = 0;
  private statusText = "";
  /** The final response's version is HTTP/1.1 (else 1.0). */
  private http11 = false;
  /** The final response's body runs until the connection closes. */
  private closeDelimited = false;
  private headers = new HttpHeaders();
  private decoder: BodyDecoder | undefined;
  private response: HttpResponse | undefined;
  private failure: HttpParseError | undefined;

  constructor(options: ResponseParserOptions = {}) {
    this.noBody = (options.method ?? "GET").toUpperCase() === "HEAD";
    this.maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.maxInterim = options.maxInterimResponses ?? DEFAULT_MAX_INTERIM_RESPONSES;
    this.keptFields = options.keepHeaders === false ? FRAMING_FIELDS : undefined;
    this.limits = {
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      maxTrailerBytes: this.maxHeaderBytes,
      unfold: true,
      strict: false,
      discard: options.discardBody ?? false,
      onData: options.onBody,
    };
  }

  /**
   * The final response's status line and headers once they are parsed (its body may still be on
   * its way), else `undefined`.
   */
  get head(): ResponseHead | undefined {
    if (this.state === HEAD) return undefined;
    return { status: this.status, statusText: this.statusText, headers: this.headers };
  }

  /**
   * Once the response is complete: whether the connection may carry another request (RFC 9112
   * §9.3): HTTP/1.1 without `Connection: close`, or HTTP/1.0 with `Connection: keep-alive`, and a
   * body that did not run until the close. A 101 hands the connection to another protocol: false.
   */
  get keepAlive(): boolean {
    if (this.state !== DONE || this.closeDelimited || this.status === 101) return false;
    const connection = this.headers.get("connection");
    const items = connection === undefined ? [] : listItems(connection);
    return this.http11 ? !items.includes("close") : items.includes("keep-alive");
  }

  /** Once the response is complete: how many of the bytes received came after its end (ignored). */
  get unusedBytes(): number {
    return this.extra;
  }

  /**
   * Feeds the next bytes received. Returns the response once it is complete, `undefined` while
   * more bytes are needed. Throws `HttpParseError` for malformed or oversized input.
   */
  push(chunk: Uint8Array): HttpResponse | undefined {
    if (this.failure !== undefined) throw this.failure;
    if (this.response !== undefined || chunk.length === 0) return this.response;
    try {
      if (this.pending.length === 0) {
        const data = asBuffer(chunk);
        const used = this.feed(data, 0);
        if (this.state === DONE) this.extra = data.length - used;
        else if (used < data.length) this.pending.append(data.subarray(used));
      } else {
        this.pending.append(chunk);
        const data = this.pending.view();
        const used = this.feed(data, 0);
        if (this.state === DONE) this.extra = data.length - used;
        this.pending.consume(used);
      }
    } catch (e) {
      if (e instanceof HttpParseError) this.failure = e;
      throw e;
    }
    return this.response;
  }

  /**
   * The peer closed the connection. Returns the response (completing a read-until-close body), or
   * throws `HttpParseError` if the response is incomplete.
   */
  end(): HttpResponse {
    if (this.failure !== undefined) throw this.failure;
    if (this.response !== undefined) return this.response;
    try {
      if (this.state === HEAD) throw fail("connection closed before headers were complete", 400);
      const decoder = this.decoder as BodyDecoder;
      decoder.end();
      return this.finish(decoder.body(), decoder.trailers);
    } catch (e) {
      if (e instanceof HttpParseError) this.failure = e;
      throw e;
    }
  }

  /** Parses what `data[pos..]` holds and returns the index of the first byte it did not consume. */
  private feed(data: Buffer, pos: number): number {
    while (this.state === HEAD) {
      if (this.scanner.inFirstLine) {
        // Empty lines before a status line (after an interim response, say) are skipped.
        const from = pos;
        for (;;) {
          if (data[pos] === 10) pos++;
          else if (data[pos] === 13 && data[pos + 1] === 10) pos += 2;
          else break;
        }
        this.skipped += pos - from;
        if (this.skipped > this.maxHeaderBytes)
          throw fail(`more than ${this.maxHeaderBytes} bytes of empty lines before the status line`, 400);
        if (pos + 1 === data.length && data[pos] === 13) return pos; // a CR whose LF has not arrived
      }
      if (this.scanner.fresh && data.length - pos <= WHOLE_READ_BYTES && data[pos] !== 13) {
        // A small read holding a whole head (the usual response): its end is found with two
        // searches of its text, decoded once, rather than a search per line (the same answer).
        const text = latin1(data, pos, data.length);
        const end = headEnd(text);
        if (end > 0 && end + this.skipped <= this.maxHeaderBytes) {
          this.skipped = 0;
          this.lineChecked = false;
          this.parseHead(end === text.length ? text : text.slice(0, end));
          pos += end;
          continue;
        }
      }
      const end = this.scanner.scan(data, pos);
      if ((end < 0 ? data.length : end) - pos + this.skipped > this.maxHeaderBytes) {
        throw fail(`headers exceed ${this.maxHeaderBytes} bytes`, 431);
      }
      if (end < 0) {
        // A status line that is complete and wrong is reported now, not when the head ends (which
        // may be never: a peer that does not speak HTTP).
        if (!this.lineChecked && !this.scanner.inFirstLine) this.checkStatusLine(data, pos);
        return pos;
      }
      this.skipped = 0;
      this.lineChecked = false;
      this.parseHead(latin1(data, pos, end));
      pos = end;
    }
    if (this.state === BODY) {
      const decoder = this.decoder as BodyDecoder;
      pos = decoder.feed(data, pos);
      if (decoder.done) this.finish(decoder.body(), decoder.trailers);
    }
    return pos;
  }

  /** Throws if the complete first line at `data[pos..]` is not a status line. */
  private checkStatusLine(data: Buffer, pos: number): void {
    const lf = data.indexOf(10, pos);
    const line = latin1(data, pos, lf > pos && data[lf - 1] === 13 ? lf - 1 : lf);
    if (!STATUS_LINE.test(line)) throw fail(`malformed status line: ${quote(line)}`, 400);
    this.lineChecked = true;
  }

  /** Handles a complete head, decoded: status line, headers, then the body's framing. */
  private parseHead(text: string): void {
    const lf = text.indexOf("\n");
    const line = text.slice(0, text.charCodeAt(lf - 1) === 13 ? lf - 1 : lf);
    if (!STATUS_LINE.test(line)) throw fail(`malformed status line: ${quote(line)}`, 400);
    // "HTTP/1.1 200 OK": the code is at 9..12, the reason (if any) after the space at 12.
    const status = line.charCodeAt(9) * 100 + line.charCodeAt(10) * 10 + line.charCodeAt(11) - 48 * 111;
    if (status < 200 && status !== 101) {
      // An interim response: the real one follows.
      if (++this.interim > this.maxInterim) throw fail(`more than ${this.maxInterim} interim (1xx) responses`, 400);
      return;
    }
    this.status = status;
    this.statusText = line.length > 13 ? line.slice(13) : "";
    this.http11 = line.charCodeAt(7) === 49; // "HTTP/1.1"[7]
    parseFields(text, lf + 1, this.headers, true, fail, this.keptFields);
    const framing = this.framing();
    if (framing === 0) {
      this.finish(EMPTY, undefined);
      return;
    }
    this.closeDelimited = framing === "close";
    this.decoder = new BodyDecoder(framing, this.limits, fail);
    this.state = BODY;
  }

  /** How the body is delimited (RFC 9112 §6.3); 0 when there is none. */
  private framing(): BodyFraming {
    if (this.noBody || this.status < 200 || this.status === 204 || this.status === 304) return 0;
    const transferEncoding = this.headers.get("transfer-encoding");
    if (transferEncoding !== undefined) {
      return listItems(transferEncoding).at(-1) === "chunked" ? "chunked" : "close";
    }
    const contentLength = this.headers.get("content-length");
    return contentLength === undefined ? "close" : parseContentLength(contentLength, fail);
  }

  private finish(body: Buffer, trailers: HttpHeaders | undefined): HttpResponse {
    this.state = DONE;
    this.response = new ParsedResponse(this.status, this.statusText, this.headers, trailers, body);
    return this.response;
  }
}

/**
 * Parses a complete response held in one buffer, as received up to the peer's close.
 *
 * @example
 * ```ts
 * const res = parseResponse(Buffer.from("HTTP/1.1 404 Not Found\r\n\r\nno such path"));
 * res.status; // 404
 * res.text(); // "no such path" (read until close)
 * ```
 */
export function parseResponse(bytes: Uint8Array, options?: ResponseParserOptions): HttpResponse {
  const parser = new ResponseParser(options);
  return parser.push(bytes) ?? parser.end();
}
