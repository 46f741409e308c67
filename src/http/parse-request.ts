/**
 * The server side: an incremental HTTP/1.1 request parser for keep-alive, pipelined connections,
 * no I/O. The delay server feeds it what it reads and takes complete requests out one by one.
 *
 * Contract:
 * - `push(chunk)` copies the bytes in (the read buffer may be reused); `next()` returns the next
 *   complete request or `undefined` when more bytes are needed. Bytes after a request belong to
 *   the next one (pipelining), so call `next()` until it returns `undefined`. `buffered` counts the
 *   bytes held for requests not returned yet: a server that stops reading while requests are queued
 *   keeps that bounded, and `buffered > 0` after `next()` returned `undefined` means a request is
 *   partly received (the header timeout applies, not the idle one).
 * - Strict where leniency lets a front end and us see different requests (RFC 9112 §11.2, request
 *   smuggling): every line ends with CRLF, a bare LF or bare CR is a 400 (RFC 9112 §2.2 lets a
 *   server refuse them); empty lines (CRLF) before the request line are skipped (RFC 9112 §2.2),
 *   up to the head limit.
 * - Request line `method SP request-target SP HTTP/1.x`. `keepAlive`: HTTP/1.1 unless
 *   `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
 * - `Host` (RFC 9112 §3.2): an HTTP/1.1 request without one, any request with more than one, or
 *   with a value that is not `host[:port]` (RFC 3986 §3.2.2) is a 400. HTTP/1.0 may omit it.
 * - Bodies: `Content-Length` (read by value: leading zeros allowed, see decimal.ts) or
 *   `Transfer-Encoding: chunked` (strict size lines, trailers parsed and dropped); none otherwise.
 *   Refused (RFC 9112 §6.1, §6.3): both at once, a `Transfer-Encoding` whose last coding is not
 *   `chunked`, `Transfer-Encoding` in an HTTP/1.0 request (400, as nginx does); another coding
 *   before `chunked` is a 501 (not implemented).
 * - `Expect: 100-continue` on an HTTP/1.1 request (RFC 9110 §10.1.1; HTTP/1.0 ones are ignored)
 *   sets `expectContinue`; {@link RequestParser.takeContinue} hands the server such a request's
 *   head as soon as it is parsed, before its body, so that the server can answer `100 Continue` or
 *   its final status.
 * - Every problem is an {@link HttpRequestError} whose `status` is the answer to send before
 *   closing: 400 malformed request line, header or framing; 414 request line over the head limit;
 *   431 headers over the limit (16 KiB); 413 body over the limit (1 MiB); 501 an unsupported
 *   transfer coding; 505 an HTTP version other than 1.x. After an error the connection is
 *   unusable: later calls throw the same error.
 *
 * @module
 */
import { HttpParseError } from "../errors.js";
import { BodyDecoder, parseContentLength, type BodyFraming, type BodyLimits } from "./parse-body.js";
import { latin1, PendingBytes } from "./parse-buffer.js";
import {
  BARE_LF,
  BlockScanner,
  DEFAULT_MAX_HEADER_BYTES,
  HttpHeaders,
  isToken,
  listItems,
  parseFields,
  quote,
  type MakeError,
} from "./parse-headers.js";

/**
 * A request the server cannot serve, with the status to answer before closing the connection.
 * It is an `HttpParseError` (code `"EHTTPPARSE"`), so code that handles parse errors in general
 * still catches it.
 *
 * @example
 * ```ts
 * try { req = parser.next(); }
 * catch (e) {
 *   if (e instanceof HttpRequestError) { reply(e.status, e.message); close(); }
 * }
 * ```
 */
export class HttpRequestError extends HttpParseError {
  /** The HTTP status to answer with: 400, 413, 414, 431 or 505. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * The head of a request: everything but the body.
 *
 * @example
 * ```ts
 * const head = parser.takeContinue();
 * if (head) console.log(head.method, head.target, head.expectContinue); // PUT /upload true
 * ```
 */
export interface HttpRequestHead {
  /** The method, case preserved (`"GET"`). */
  readonly method: string;
  /** The request target as sent (`"/100/hello%20world?x=1"`), one char per byte: see `percentDecode`. */
  readonly target: string;
  /** The protocol version. */
  readonly version: "1.0" | "1.1";
  /** The header fields: case-insensitive `get`, repeated fields joined with `", "`. */
  readonly headers: HttpHeaders;
  /** Whether the connection stays open after the response. */
  readonly keepAlive: boolean;
  /** An HTTP/1.1 request with `Expect: 100-continue`: it waits for `100 Continue` (or the final answer) before sending its body. */
  readonly expectContinue: boolean;
}

/**
 * A parsed HTTP request.
 *
 * @example
 * ```ts
 * const req = parser.next();
 * if (req) console.log(req.method, req.target, req.keepAlive); // GET /100/hello true
 * ```
 */
export interface HttpRequest extends HttpRequestHead {
  /** The body bytes (empty without `Content-Length` or chunked framing). */
  readonly body: Uint8Array;
}

/**
 * Options of a {@link RequestParser}.
 *
 * @example
 * ```ts
 * const parser = new RequestParser({ maxHeaderBytes: 8192, maxBodyBytes: 0 });
 * ```
 */
export interface RequestParserOptions {
  /** The largest head (request line, headers, empty line) accepted, in bytes. Default 16384. */
  maxHeaderBytes?: number;
  /** The largest body accepted, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Refuse an HTTP/1.1 request without `Host` (RFC 9112 §3.2: what a server must do). Default
   * true; false lets the parser's grammar be checked on its own (the conformance suite) or serve
   * behind a front end that drops the field. More than one `Host`, or an invalid one, is refused
   * either way.
   */
  requireHost?: boolean;
}

/** The default limit on a request body: the delay server expects none. */
export const DEFAULT_MAX_REQUEST_BODY_BYTES = 1024 * 1024;

/** A request target: visible ASCII and obs-text, no spaces or control characters. */
const TARGET = /^[\x21-\x7e\x80-\xff]+$/;
const VERSION = /^HTTP\/(\d)\.(\d)$/;
/**
 * The syntax of a `Host` value (RFC 9112 §3.2, RFC 3986 §3.2.2): an IP literal in brackets, or a
 * registered name or IPv4 address (unreserved chars, sub-delims, pct-encoding), then an optional
 * `:port` of digits. Empty is allowed (a target URI without an authority, RFC 9112 §3.2). Shared
 * with the delay server's fast path, which embeds it in a larger pattern.
 */
export const HOST_SYNTAX = String.raw`(?:\[[0-9A-Za-z:._~!$&'()*+,;=-]+\]|[0-9A-Za-z._~!$&'()*+,;=%-]*)(?::[0-9]*)?`;
const HOST = new RegExp(`^${HOST_SYNTAX}$`);

const fail: MakeError = (message, status) => new HttpRequestError(status, message);
/** What a check of the lines of a head not complete yet keeps of them: nothing. */
const NO_FIELDS: readonly string[] = [];
/** The body of every request without one: zero bytes cannot be changed, so one is shared. */
const EMPTY = new Uint8Array(0);

/**
 * Whether `value` is an acceptable `Host` field value ({@link HOST_SYNTAX}): the check the parser
 * makes.
 *
 * @example
 * ```ts
 * isValidHost("127.0.0.1:8080"); // true
 * isValidHost("[::1]:80");       // true
 * isValidHost("a b");            // false
 * ```
 */
export function isValidHost(value: string): boolean {
  return HOST.test(value);
}

/** Checks a request line (without its CRLF) and returns its parts; throws a 400 or a 505. */
function parseRequestLine(line: string): { method: string; target: string; v11: boolean } {
  const sp1 = line.indexOf(" ");
  const sp2 = line.indexOf(" ", sp1 + 1);
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  const version = VERSION.exec(line.slice(sp2 + 1));
  if (sp1 < 0 || sp2 < 0 || !isToken(method) || !TARGET.test(target) || version === null) {
    throw fail(`malformed request line: ${quote(line)}`, 400);
  }
  if (version[1] !== "1") throw fail(`HTTP version not supported: ${quote(line.slice(sp2 + 1))}`, 505);
  return { method, target, v11: version[2] !== "0" };
}

/**
 * Parses the requests of one connection, one after the other.
 *
 * @example
 * ```ts
 * const parser = new RequestParser();
 * parser.push(Buffer.from("GET /0/a HTTP/1.1\r\nHost: x\r\n\r\nGET /0/b HTTP/1.1\r\nHost: x\r\n\r\n"));
 * parser.next()?.target; // "/0/a"
 * parser.next()?.target; // "/0/b"
 * parser.next();         // undefined: waiting for more bytes
 * ```
 */
export class RequestParser {
  private readonly pending = new PendingBytes();
  private readonly scanner = new BlockScanner(true);
  private readonly maxHeaderBytes: number;
  private readonly limits: BodyLimits;
  /** Bytes of empty lines skipped before the current request line. */
  private skipped = 0;
  /** Bytes of the incomplete head whose complete lines were checked ({@link checkPartialHead}). */
  private checked = 0;
  /** Bytes of the incomplete head in which every CR was found followed by LF. */
  private crSearched = 0;
  private readonly requireHost: boolean;
  /** The request whose body is being received, if any. */
  private head: HttpRequestHead | undefined;
  private decoder: BodyDecoder | undefined;
  /** The head that {@link takeContinue} has yet to hand out. */
  private continueHead: HttpRequestHead | undefined;
  private failure: HttpRequestError | undefined;

  constructor(options: RequestParserOptions = {}) {
    this.maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.requireHost = options.requireHost ?? true;
    this.limits = {
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES,
      maxTrailerBytes: this.maxHeaderBytes,
      unfold: false,
      strict: true,
      discard: false,
    };
  }

  /** The number of bytes received and not yet returned as part of a request. */
  get buffered(): number {
    return this.pending.length;
  }

  /**
   * Whether a request is partly received: bytes of its head, or a parsed head whose body has
   * not all arrived (whose bytes are consumed as they come, so `buffered` may be 0 meanwhile).
   */
  get partial(): boolean {
    return this.pending.length > 0 || this.head !== undefined;
  }

  /** Adds bytes read from the connection (copied). Parsing happens in {@link next}. */
  push(chunk: Uint8Array): void {
    this.pending.append(chunk);
  }

  /**
   * The next complete request, or `undefined` if more bytes are needed. Throws
   * {@link HttpRequestError} (answer `error.status`, then close) for a request it cannot accept.
   */
  next(): HttpRequest | undefined {
    if (this.failure !== undefined) throw this.failure;
    try {
      return this.parse();
    } catch (e) {
      if (e instanceof HttpRequestError) this.failure = e;
      throw e;
    }
  }

  /**
   * The head of a request that expects `100 Continue` and whose body has not all arrived yet,
   * once, after {@link next} returned `undefined` having parsed it; `undefined` otherwise. The
   * server routes it: `100 Continue` if it will serve it (the body follows), or its final answer
   * at once if it will not (RFC 9110 §10.1.1), in order after the answers still due on the
   * connection.
   */
  takeContinue(): HttpRequestHead | undefined {
    const head = this.continueHead;
    this.continueHead = undefined;
    return head;
  }

  private parse(): HttpRequest | undefined {
    if (this.head === undefined) {
      let data = this.pending.view();
      if (this.scanner.inFirstLine && (data[0] === 13 || data[0] === 10)) {
        if (!this.skipEmptyLines()) return undefined;
        data = this.pending.view();
      }
      const end = this.scanner.scan(data, 0);
      if (end === BARE_LF) throw fail("bare LF in the request head (lines must end with CRLF)", 400);
      const size = (end < 0 ? data.length : end) + this.skipped;
      if (size > this.maxHeaderBytes) {
        const lf = data.indexOf(10);
        if (lf < 0 || lf + this.skipped >= this.maxHeaderBytes) throw fail(`request line exceeds ${this.maxHeaderBytes} bytes`, 414);
        throw fail(`headers exceed ${this.maxHeaderBytes} bytes`, 431);
      }
      if (end < 0) {
        this.checkPartialHead(data);
        return undefined;
      }
      const head = this.parseHead(latin1(data, 0, end));
      this.pending.consume(end);
      this.skipped = 0;
      this.checked = this.crSearched = 0;
      const framing = this.framing(head);
      if (framing === 0) return { ...head, body: EMPTY };
      this.head = head;
      this.decoder = new BodyDecoder(framing, this.limits, fail);
      if (head.expectContinue) this.continueHead = head;
    }
    const decoder = this.decoder as BodyDecoder;
    this.pending.consume(decoder.feed(this.pending.view(), 0));
    if (!decoder.done) return undefined;
    const request: HttpRequest = { ...this.head, body: decoder.body() };
    this.head = undefined;
    this.decoder = undefined;
    this.continueHead = undefined;
    return request;
  }

  /**
   * Consumes the empty lines (CRLF) before a request line; a bare CR or LF there is an error.
   * Returns false when the bytes end inside them (more are needed).
   */
  private skipEmptyLines(): boolean {
    const data = this.pending.view();
    let pos = 0;
    while (pos < data.length && (data[pos] === 13 || data[pos] === 10)) {
      if (data[pos] === 10 || (pos + 1 < data.length && data[pos + 1] !== 10)) {
        throw fail("bare CR or LF before the request line (lines must end with CRLF)", 400);
      }
      if (pos + 1 === data.length) break;
      pos += 2;
    }
    // Decided before `consume`, which invalidates `data`.
    const lineStarts = pos < data.length && data[pos] !== 13;
    this.pending.consume(pos);
    this.skipped += pos;
    if (this.skipped > this.maxHeaderBytes)
      throw fail(`more than ${this.maxHeaderBytes} bytes of empty lines before the request line`, 400);
    return lineStarts;
  }

  /**
   * Checks what has arrived of a head that is not complete yet, so that a request that cannot be
   * valid is refused now rather than when its head ends, which may be never (a peer that does not
   * speak HTTP; a bare CR where a line should end). Each complete line is checked once, with the
   * checks of {@link parseHead}; in the line still arriving, a CR not followed by LF and a line
   * starting with whitespace (obs-fold, which a server must refuse, RFC 9112 §5.2).
   */
  private checkPartialHead(data: Buffer): void {
    const complete = this.scanner.completeLines;
    if (complete > this.checked) {
      const text = latin1(data, this.checked, complete);
      let pos = 0;
      if (this.checked === 0) {
        pos = text.indexOf("\n") + 1;
        parseRequestLine(text.slice(0, pos - 2));
      }
      parseFields(text, pos, new HttpHeaders(), false, fail, NO_FIELDS);
      this.checked = complete;
    }
    if (complete > 0 && (data[complete] === 32 || data[complete] === 9)) {
      throw fail("obs-fold (a line starting with whitespace) in the request head", 400);
    }
    for (let cr = data.indexOf(13, Math.max(complete, this.crSearched)); cr >= 0; cr = data.indexOf(13, cr + 1)) {
      if (cr + 1 === data.length) break;
      if (data[cr + 1] !== 10) throw fail("bare CR in the request head (lines must end with CRLF)", 400);
    }
    this.crSearched = Math.max(data.length - 1, 0);
  }

  /** Parses a complete head, decoded: the request line, then the header fields. */
  private parseHead(text: string): HttpRequestHead {
    const lf = text.indexOf("\n");
    const { method, target, v11 } = parseRequestLine(text.slice(0, lf - 1));
    const headers = new HttpHeaders();
    parseFields(text, lf + 1, headers, false, fail);
    const hosts = headers.getAll("host");
    if (hosts.length > 1) throw fail(`more than one Host field (${hosts.length})`, 400);
    if (hosts.length === 0 ? v11 && this.requireHost : !isValidHost(hosts[0] as string)) {
      throw fail(hosts.length === 0 ? "missing Host field (required in HTTP/1.1)" : `invalid Host: ${quote(hosts[0] as string)}`, 400);
    }
    const connectionValue = headers.get("connection");
    const connection = connectionValue === undefined ? [] : listItems(connectionValue);
    const expect = v11 ? headers.get("expect") : undefined;
    return {
      method,
      target,
      version: v11 ? "1.1" : "1.0",
      headers,
      keepAlive: v11 ? !connection.includes("close") : connection.includes("keep-alive") && !connection.includes("close"),
      expectContinue: expect !== undefined && listItems(expect).includes("100-continue"),
    };
  }

  /** How the body is delimited (RFC 9112 §6.1, §6.3); 0 when there is none. */
  private framing(head: HttpRequestHead): BodyFraming {
    const transferEncoding = head.headers.get("transfer-encoding");
    const contentLength = head.headers.get("content-length");
    if (transferEncoding !== undefined) {
      if (head.version === "1.0") throw fail("Transfer-Encoding in an HTTP/1.0 request", 400);
      if (contentLength !== undefined) throw fail("both Transfer-Encoding and Content-Length", 400);
      const codings = listItems(transferEncoding);
      if (codings.at(-1) !== "chunked" || codings.indexOf("chunked") !== codings.length - 1) {
        throw fail(`invalid Transfer-Encoding (chunked must be the last coding, once): ${quote(transferEncoding)}`, 400);
      }
      if (codings.length > 1) throw fail(`unsupported Transfer-Encoding: ${quote(transferEncoding)}`, 501);
      return "chunked";
    }
    return contentLength === undefined ? 0 : parseContentLength(contentLength, fail);
  }
}
