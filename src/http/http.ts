/**
 * `Http.get` (the book's `HttpGetFuture`) and `Http.request`: HTTP/1.1 client futures on
 * `TcpStream`.
 *
 * Both are lazy: nothing happens until the first poll, which connects. Then the request is
 * written and the response read, each syscall tried first and waited for only on `EAGAIN`, with
 * the waker stored before the retry (see `TcpStream`). The socket is deregistered and closed when
 * the future finishes, fails, or is dropped.
 *
 * - `Http.get(path)` sends `GET {path}` with `Connection: close` and resolves to the whole
 *   response text, status line and headers included: what the book's `HttpGetFuture` returns. The
 *   response is parsed as it arrives, so a malformed or truncated one is an `HttpParseError`
 *   rather than text that looks like a success, and reading stops at its end.
 * - `Http.request({...})` resolves to a parsed `HttpResponse` (status, case-insensitive headers,
 *   body bytes and text), handling `Content-Length`, chunked and read-until-close bodies, and
 *   failing with `HttpParseError` on malformed or truncated responses.
 * - Limits (every one settable): the body at most `maxBodyBytes` (64 MiB), for `Http.get` the
 *   whole text at most that plus the 16 KiB head limit; the head 16 KiB; 32 interim (1xx)
 *   responses. Memory stays within twice what is kept plus a constant, whatever the chunking.
 * - Fairness: each read spends one unit of the task's cooperative budget (`Waker.consumeBudget`,
 *   spent by the stream's `pollRead`); when it runs out the future returns `PENDING` with the task
 *   woken, so a server that never stops sending cannot hold the thread, and a `timeoutMs` always
 *   fires.
 * - I/O errors are `IoError`s whose message names the peer, as Node's do
 *   (`connect ECONNREFUSED 127.0.0.1:8080`).
 *
 * Implementation notes: reads go into one scratch buffer per thread and only the bytes kept are
 * copied out (by the parser), so ten thousand requests in flight hold their data, not ten thousand
 * buffers.
 *
 * @module
 */
import { DnsError, HttpParseError, IoError } from "../errors.js";
import { PENDING, describeFuture, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { timeout } from "../time/timeout.js";
import type { Waker } from "../future/waker.js";
import { TcpStream } from "../net/tcp-stream.js";
import { WOULD_BLOCK } from "../sys/index.js";
import { DEFAULT_MAX_BODY_BYTES } from "./parse-body.js";
import { PendingBytes } from "./parse-buffer.js";
import { DEFAULT_MAX_HEADER_BYTES } from "./parse-headers.js";
import { ResponseParser, type HttpResponse } from "./parse-response.js";
import { serializeRequest, type RequestOptions } from "./serialize.js";
import { resolveTarget, type HttpAddressOptions, type HttpTarget } from "./target.js";
import {
  publishRequestDone,
  publishRequestDropped,
  publishRequestFailed,
  publishRequestStart,
  type HttpRequestEvent,
} from "./request-events.js";

const scratch = Buffer.allocUnsafe(64 * 1024);

/** Options of {@link Http.get}. */
export interface HttpGetOptions extends HttpAddressOptions {
  /** Fail with `TimeoutError` (`ETIMEDOUT`) if connect + request + response take longer. */
  timeoutMs?: number;
  /**
   * Largest body accepted (default 64 MiB); the whole text returned is at most this plus the
   * 16 KiB head limit. More is an `HttpParseError`.
   */
  maxBodyBytes?: number;
}

/** What {@link Http.request} takes. */
export interface HttpRequestOptions extends HttpAddressOptions {
  /** Default "GET". */
  method?: string;
  /** A path (on `host`:`port`, default 127.0.0.1:8080), or a full `http://` URL. */
  url: string;
  headers?: Readonly<Record<string, string>>;
  body?: Uint8Array | string;
  /** Fail with `TimeoutError` (`ETIMEDOUT`) if connect + request + response take longer. */
  timeoutMs?: number;
  /** Largest body accepted (default 64 MiB); more is an `HttpParseError`. */
  maxBodyBytes?: number;
}

const CONNECT = 0;
const WRITE = 1;
const READ = 2;
const DONE = 3;

/** The shared state machine: connect, write the request, read until the subclass is satisfied. */
abstract class HttpFuture<T> implements Future<T> {
  private state = CONNECT;
  private connecting: Future<TcpStream> | null;
  private stream: TcpStream | null = null;
  private written = 0;
  private readonly request: Uint8Array;
  /** The diagnostics channel message of this request: undefined before the first poll, null if nobody listens. */
  private event: HttpRequestEvent | null | undefined = undefined;

  constructor(
    private readonly target: HttpTarget,
    request: RequestOptions,
  ) {
    this.request = serializeRequest(request);
    this.connecting = TcpStream.connect(target.address);
  }

  /** Takes bytes received (valid during the call only); returns the output once complete, else undefined. */
  protected abstract received(bytes: Buffer): T | undefined;
  /** The server closed the connection: returns the output or throws. */
  protected abstract ended(): T;

  poll(waker: Waker): Poll<T> {
    if (this.state === DONE) pollAfterReady("HTTP request");
    if (this.event === undefined) this.event = publishRequestStart(this.request, this.target.address, this.target.path);
    let out: Poll<T>;
    try {
      out = this.step(waker);
    } catch (e) {
      this.finish();
      // Name the peer, as Node's errors do. A connect's error names it already (with its
      // `address` and `port`), and a lookup's is a DnsError naming the host: those go as they are.
      const address = this.target.address;
      const error =
        e instanceof IoError && !(e instanceof DnsError) && e.address === undefined && !e.message.includes(address)
          ? new IoError(e.code, e.errno, e.syscall, `${e.syscall} ${e.code} ${address}`)
          : e;
      if (this.event !== null) publishRequestFailed(this.event, error);
      throw error;
    }
    if (out !== PENDING && this.event !== null) publishRequestDone(this.event, out);
    return out;
  }

  /** For task dumps: the request, and what it waits on now. */
  describe(): string {
    const stage =
      this.state === CONNECT
        ? this.connecting === null
          ? "connect"
          : describeFuture(this.connecting)
        : this.state === WRITE
          ? `writing fd ${this.stream?.fd}`
          : this.state === READ
            ? `reading fd ${this.stream?.fd}`
            : "done";
    return `Http ${this.target.address}${this.target.path}: ${stage}`;
  }

  drop(): void {
    if (this.state !== DONE && this.event != null) publishRequestDropped(this.event);
    this.finish();
  }

  private step(waker: Waker): Poll<T> {
    if (this.state === CONNECT) {
      const s = this.connecting!.poll(waker);
      if (s === PENDING) return PENDING;
      this.connecting = null;
      this.stream = s;
      this.state = WRITE;
    }
    const stream = this.stream!;
    let stored = false;
    while (this.state === WRITE) {
      const n = stream.tryWrite(this.request, this.written);
      if (n === WOULD_BLOCK) {
        if (stored) return PENDING;
        stream.waitWritable(waker);
        stored = true;
      } else if ((this.written += n) === this.request.length) {
        this.state = READ;
      }
    }
    for (;;) {
      // The stream's read spends one unit of the task's budget (and, out of it, wakes and pends).
      const n = stream.pollRead(waker, scratch);
      if (n === PENDING) return PENDING;
      const out = n === 0 ? this.ended() : this.received(scratch.subarray(0, n));
      if (out !== undefined) {
        this.finish();
        return out;
      }
    }
  }

  private finish(): void {
    this.state = DONE;
    this.connecting?.drop?.();
    this.connecting = null;
    this.stream?.close();
    this.stream = null;
  }
}

/**
 * The book's `HttpGetFuture`: the whole response text. The bytes are kept as received and also
 * run through a parser that keeps none of the body, so the response is checked (framing, limits)
 * and known to be complete without being held twice.
 */
class HttpGetFuture extends HttpFuture<string> {
  private readonly raw = new PendingBytes();
  private readonly parser: ResponseParser;
  private readonly maxBytes: number;

  constructor(target: HttpTarget, options: HttpGetOptions) {
    const request: RequestOptions = { path: target.path, host: target.host };
    if (target.authorization !== undefined) request.headers = { Authorization: target.authorization };
    super(target, request);
    const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.maxBytes = maxBodyBytes + DEFAULT_MAX_HEADER_BYTES;
    this.parser = new ResponseParser({ maxBodyBytes, discardBody: true });
  }

  protected received(bytes: Buffer): string | undefined {
    const complete = this.parser.push(bytes) !== undefined;
    // The parser checks the body; this bounds what chunk framing adds to it.
    if (this.raw.length + bytes.length > this.maxBytes) throw new HttpParseError(`response exceeds ${this.maxBytes} bytes`);
    this.raw.append(bytes);
    return complete ? this.text() : undefined;
  }

  protected ended(): string {
    this.parser.end();
    return this.text();
  }

  /** The response as received, without what came after its end. */
  private text(): string {
    const raw = this.raw.view();
    return raw.toString("utf8", 0, raw.length - this.parser.unusedBytes);
  }
}

/** A parsed response; reading stops as soon as the message is complete. */
class HttpRequestFuture extends HttpFuture<HttpResponse> {
  private readonly parser: ResponseParser;

  constructor(target: HttpTarget, options: HttpRequestOptions) {
    const method = options.method ?? "GET";
    const request: RequestOptions = { method, path: target.path, host: target.host };
    let headers = options.headers;
    if (target.authorization !== undefined && !Object.keys(headers ?? {}).some((name) => name.toLowerCase() === "authorization")) {
      headers = { ...headers, Authorization: target.authorization };
    }
    if (headers !== undefined) request.headers = headers;
    if (options.body !== undefined) request.body = options.body;
    super(target, request);
    this.parser = new ResponseParser(options.maxBodyBytes === undefined ? { method } : { method, maxBodyBytes: options.maxBodyBytes });
  }

  protected received(bytes: Buffer): HttpResponse | undefined {
    return this.parser.push(bytes);
  }

  protected ended(): HttpResponse {
    return this.parser.end();
  }
}

function withTimeout<T>(f: Future<T>, ms: number | undefined): Future<T> {
  return ms === undefined ? f : timeout(f, ms);
}

/**
 * The HTTP client.
 *
 * @example
 * ```ts
 * init().blockOn(coroutine(function* () {
 *   const text = yield* wait(Http.get("/1000/HelloWorld"));       // from 127.0.0.1:8080
 *   const res = yield* wait(Http.request({ url: "http://127.0.0.1:8080/0/hi" }));
 *   console.log(res.status, res.headers.get("content-type"), res.text());
 *   const big = yield* wait(Http.request({ url: "/0/x", port: 9000, maxBodyBytes: 1 << 30 }));
 * }));
 * ```
 */
export const Http = Object.freeze({
  /**
   * `GET pathOrUrl`; resolves to the whole response text (status line, headers and body as
   * received), as the book's `HttpGetFuture` does. A bare path goes to 127.0.0.1:8080 unless
   * `host`/`port` say otherwise.
   */
  get(pathOrUrl: string, options: HttpGetOptions = {}): Future<string> {
    return withTimeout(new HttpGetFuture(resolveTarget(pathOrUrl, options), options), options.timeoutMs);
  },

  /** Any request; resolves to the parsed response. A bare path goes to `host`:`port` (default 127.0.0.1:8080). */
  request(options: HttpRequestOptions): Future<HttpResponse> {
    return withTimeout(new HttpRequestFuture(resolveTarget(options.url, options), options), options.timeoutMs);
  },
});
