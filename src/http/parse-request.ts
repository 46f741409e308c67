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
 * - Request line `method SP request-target SP HTTP/1.x` (empty lines before it are skipped, RFC 9112
 *   §2.2). `keepAlive`: HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
 *   `Connection: keep-alive`.
 * - Bodies: `Content-Length` or `Transfer-Encoding: chunked` (trailers parsed and dropped); none
 *   otherwise. Both at once, or another transfer coding, is refused (request smuggling, RFC 9112 §6.1).
 * - Every problem is an {@link HttpRequestError} whose `status` is the answer to send before
 *   closing: 400 malformed request line, header or framing; 414 request line over the head limit;
 *   431 headers over the limit (16 KiB); 413 body over the limit (1 MiB); 505 an HTTP version other
 *   than 1.x. After an error the connection is unusable: later calls throw the same error.
 *
 * @module
 */
import { HttpParseError } from "../errors.js";
import { BodyDecoder, parseContentLength, type BodyFraming, type BodyLimits } from "./parse-body.js";
import { latin1, PendingBytes } from "./parse-buffer.js";
import {
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
 * A parsed HTTP request.
 *
 * @example
 * ```ts
 * const req = parser.next();
 * if (req) console.log(req.method, req.target, req.keepAlive); // GET /100/hello true
 * ```
 */
export interface HttpRequest {
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
}

/** The default limit on a request body: the delay server expects none. */
export const DEFAULT_MAX_REQUEST_BODY_BYTES = 1024 * 1024;

/** A request target: visible ASCII and obs-text, no spaces or control characters. */
const TARGET = /^[\x21-\x7e\x80-\xff]+$/;
const VERSION = /^HTTP\/(\d)\.(\d)$/;

const fail: MakeError = (message, status) => new HttpRequestError(status, message);
/** The body of every request without one: zero bytes cannot be changed, so one is shared. */
const EMPTY = new Uint8Array(0);

/** The request being received, once its head is parsed and while its body arrives. */
interface Head {
  method: string;
  target: string;
  version: "1.0" | "1.1";
  headers: HttpHeaders;
  keepAlive: boolean;
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
  private readonly scanner = new BlockScanner();
  private readonly maxHeaderBytes: number;
  private readonly limits: BodyLimits;
  /** The request whose body is being received, if any. */
  private head: Head | undefined;
  private decoder: BodyDecoder | undefined;
  private failure: HttpRequestError | undefined;

  constructor(options: RequestParserOptions = {}) {
    this.maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.limits = {
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES,
      maxTrailerBytes: this.maxHeaderBytes,
      unfold: false,
    };
  }

  /** The number of bytes received and not yet returned as part of a request. */
  get buffered(): number {
    return this.pending.length;
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

  private parse(): HttpRequest | undefined {
    const data = this.pending.view();
    let pos = 0;
    if (this.head === undefined) {
      if (this.scanner.inFirstLine) {
        while (pos < data.length && (data[pos] === 13 || data[pos] === 10)) pos++;
        this.pending.consume(pos);
      }
      const end = this.scanner.scan(data, pos);
      const size = (end < 0 ? data.length : end) - pos;
      if (size > this.maxHeaderBytes) {
        const lf = data.indexOf(10, pos);
        if (lf < 0 || lf - pos >= this.maxHeaderBytes) throw fail(`request line exceeds ${this.maxHeaderBytes} bytes`, 414);
        throw fail(`headers exceed ${this.maxHeaderBytes} bytes`, 431);
      }
      if (end < 0) return undefined;
      const head = this.parseHead(latin1(data, pos, end));
      this.pending.consume(end - pos);
      pos = end;
      const framing = this.framing(head.headers);
      if (framing === 0) return { ...head, body: EMPTY };
      this.head = head;
      this.decoder = new BodyDecoder(framing, this.limits, fail);
    }
    const decoder = this.decoder as BodyDecoder;
    this.pending.consume(decoder.feed(data, pos) - pos);
    if (!decoder.done) return undefined;
    const request: HttpRequest = { ...this.head, body: decoder.body() };
    this.head = undefined;
    this.decoder = undefined;
    return request;
  }

  /** Parses a complete head, decoded: the request line, then the header fields. */
  private parseHead(text: string): Head {
    const lf = text.indexOf("\n");
    const line = text.slice(0, text.charCodeAt(lf - 1) === 13 ? lf - 1 : lf);
    const sp1 = line.indexOf(" ");
    const sp2 = line.indexOf(" ", sp1 + 1);
    const method = line.slice(0, sp1);
    const target = line.slice(sp1 + 1, sp2);
    const version = VERSION.exec(line.slice(sp2 + 1));
    if (sp1 < 0 || sp2 < 0 || !isToken(method) || !TARGET.test(target) || version === null) {
      throw fail(`malformed request line: ${quote(line)}`, 400);
    }
    if (version[1] !== "1") throw fail(`HTTP version not supported: ${quote(line.slice(sp2 + 1))}`, 505);
    const headers = new HttpHeaders();
    parseFields(text, lf + 1, headers, false, fail);
    const connectionValue = headers.get("connection");
    const connection = connectionValue === undefined ? [] : listItems(connectionValue);
    const v11 = version[2] !== "0";
    return {
      method,
      target,
      version: v11 ? "1.1" : "1.0",
      headers,
      keepAlive: v11 ? !connection.includes("close") : connection.includes("keep-alive") && !connection.includes("close"),
    };
  }

  /** How the body is delimited; 0 when there is none. */
  private framing(headers: HttpHeaders): BodyFraming {
    const transferEncoding = headers.get("transfer-encoding");
    const contentLength = headers.get("content-length");
    if (transferEncoding !== undefined) {
      if (contentLength !== undefined) throw fail("both Transfer-Encoding and Content-Length", 400);
      const codings = listItems(transferEncoding);
      if (codings.length !== 1 || codings[0] !== "chunked") {
        throw fail(`unsupported Transfer-Encoding: ${quote(transferEncoding)}`, 400);
      }
      return "chunked";
    }
    return contentLength === undefined ? 0 : parseContentLength(contentLength, fail);
  }
}
