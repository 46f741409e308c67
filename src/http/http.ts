/**
 * `Http.get` (the book's `HttpGetFuture`), `Http.request` and `Http.stream`: the HTTP/1.1 client's
 * front door.
 *
 * - `Http.get(path)` sends `GET {path}` with `Connection: close` on a connection of its own and
 *   resolves to the whole response text, status line and headers included: what the book's
 *   `HttpGetFuture` returns. The response is parsed as it arrives, so a malformed or truncated one
 *   is an `HttpParseError` rather than text that looks like a success, and reading stops at its
 *   end. It is lazy: nothing happens until the first poll, which connects; the socket is
 *   deregistered and closed when the future finishes, fails, or is dropped. No pool is in its
 *   way.
 * - `Http.request({...})` resolves to a parsed `HttpResponse` (status, case-insensitive headers,
 *   body bytes and text), and `Http.stream({...})` to a response whose body is read piece by
 *   piece: both through the thread's default `HttpClient`, which keeps connections alive (see
 *   `client.ts`).
 * - `https://` URLs go over `TlsStream` (the `tls` option says how the server is verified);
 *   bodies read until the close need the server's `close_notify`, and complete `Content-Length`
 *   or chunked bodies stop reading without waiting for it.
 * - Limits (every one settable): the body at most `maxBodyBytes` (64 MiB; none for a streamed
 *   body), for `Http.get` the whole text at most that plus the 16 KiB head limit; the head
 *   16 KiB; 32 interim (1xx) responses. Memory stays within twice what is kept plus a constant,
 *   whatever the chunking.
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
import { HttpParseError } from "../errors.js";
import { PENDING, describeFuture, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { timeout } from "../time/timeout.js";
import type { Waker } from "../future/waker.js";
import type { ByteStream } from "../net/byte-stream.js";
import { TcpStream } from "../net/tcp-stream.js";
import { abortable } from "../sync/abort.js";
import type { TlsConnectOptions } from "../tls/options.js";
import { TlsStream } from "../tls/tls-stream.js";
import { HttpClient, type HttpRequestOptions } from "./client.js";
import { named, scratch } from "./client-request.js";
import { DEFAULT_MAX_BODY_BYTES } from "./parse-body.js";
import { PendingBytes } from "./parse-buffer.js";
import { DEFAULT_MAX_HEADER_BYTES } from "./parse-headers.js";
import { ResponseParser, plainResponseEnd, type HttpResponse } from "./parse-response.js";
import { serializeRequest, type RequestOptions } from "./serialize.js";
import type { HttpStreamResponse } from "./stream-response.js";
import { resolveTarget, type HttpAddressOptions, type HttpTarget } from "./target.js";
import {
  publishRequestDone,
  publishRequestDropped,
  publishRequestFailed,
  publishRequestStart,
  type HttpRequestEvent,
} from "./request-events.js";

export type { HttpRequestOptions } from "./client.js";

/** Options of {@link Http.get}. */
export interface HttpGetOptions extends HttpAddressOptions {
  /** Fail with `TimeoutError` (`ETIMEDOUT`) if connect + request + response take longer. */
  timeoutMs?: number;
  /**
   * Largest body accepted (default 64 MiB); the whole text returned is at most this plus the
   * 16 KiB head limit. More is an `HttpParseError`.
   */
  maxBodyBytes?: number;
  /** For `https:`: how the server is verified (`ca`, `servername`, ...). */
  tls?: TlsConnectOptions;
  /** Give up when this signal aborts: the connection is closed and the future throws `signal.reason`. */
  signal?: AbortSignal;
}

const CONNECT = 0;
const WRITE = 1;
const READ = 2;
const DONE = 3;

/** The state machine: connect, write the request, read until the subclass is satisfied. */
abstract class HttpFuture<T> implements Future<T> {
  private state = CONNECT;
  private connecting: Future<ByteStream> | null;
  private stream: ByteStream | null = null;
  private written = 0;
  private readonly request: Uint8Array;
  /** The diagnostics channel message of this request: undefined before the first poll, null if nobody listens. */
  private event: HttpRequestEvent | null | undefined = undefined;

  constructor(
    private readonly target: HttpTarget,
    request: RequestOptions,
    tls: TlsConnectOptions | undefined,
  ) {
    this.request = serializeRequest(request);
    this.connecting = target.scheme === "https" ? TlsStream.connect(target.address, tls) : TcpStream.connect(target.address);
  }

  /** Takes bytes received (valid during the call only); returns the output once complete, else undefined. */
  protected abstract received(bytes: Buffer): T | undefined;
  /** The server closed the connection: returns the output or throws. */
  protected abstract ended(): T;

  poll(waker: Waker): Poll<T> {
    if (this.state === DONE) pollAfterReady("HTTP request");
    if (this.event === undefined) this.event = publishRequestStart(this.request, this.target);
    let out: Poll<T>;
    try {
      out = this.step(waker);
    } catch (e) {
      this.finish();
      const error = named(e, this.target.address);
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
          ? `writing${this.on()}`
          : this.state === READ
            ? `reading${this.on()}`
            : "done";
    return `Http ${this.target.address}${this.target.path}: ${stage}`;
  }

  /** What the stream is, for {@link describe}: its fd, or that it is TLS. */
  private on(): string {
    const s = this.stream;
    return s instanceof TcpStream ? ` fd ${s.fd}` : s instanceof TlsStream ? " (TLS)" : "";
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
    if (this.state === WRITE) {
      const request = this.request;
      while (this.written < request.length) {
        const n = stream.pollWrite(waker, request, this.written, request.length - this.written);
        if (n === PENDING) return PENDING;
        this.written += n;
      }
      if (stream.pollFlush(waker) === PENDING) return PENDING;
      this.state = READ;
    }
    for (;;) {
      // The stream's read spends one unit of the task's budget (and, out of it, wakes and pends).
      const n = stream.pollRead(waker, scratch, 0, scratch.length);
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
  // Made at the first bytes: a thousand requests waiting for their responses then hold no
  // parser, which would otherwise outlive young-generation collections and be promoted.
  private raw: PendingBytes | null = null;
  private parser: ResponseParser | null = null;
  private readonly maxBodyBytes: number;

  constructor(target: HttpTarget, options: HttpGetOptions) {
    const request: RequestOptions = { path: target.path, host: target.host };
    if (target.authorization !== undefined) request.headers = { Authorization: target.authorization };
    super(target, request, options.tls);
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  protected received(bytes: Buffer): string | undefined {
    // The parser checks the body; this bounds what chunk framing adds to it.
    const maxBytes = this.maxBodyBytes + DEFAULT_MAX_HEADER_BYTES;
    if (this.parser === null) {
      // The usual response, whole in the first read, needs no parser (see plainResponseEnd); its
      // head and body are within the limits already, so within maxBytes.
      const end = plainResponseEnd(bytes, this.maxBodyBytes);
      if (end >= 0) return bytes.toString("utf8", 0, end);
    }
    const parser = (this.parser ??= new ResponseParser({ maxBodyBytes: this.maxBodyBytes, discardBody: true, keepHeaders: false }));
    const complete = parser.push(bytes) !== undefined;
    const raw = this.raw;
    if (raw === null && complete) {
      // The whole response in one read, the usual case: decoded from the read buffer, not copied.
      const end = bytes.length - parser.unusedBytes;
      if (end > maxBytes) throw new HttpParseError(`response exceeds ${maxBytes} bytes`);
      return bytes.toString("utf8", 0, end);
    }
    if ((raw?.length ?? 0) + bytes.length > maxBytes) throw new HttpParseError(`response exceeds ${maxBytes} bytes`);
    (this.raw ??= new PendingBytes()).append(bytes);
    return complete ? this.text() : undefined;
  }

  protected ended(): string {
    (this.parser ?? new ResponseParser({ discardBody: true, keepHeaders: false })).end();
    return this.text();
  }

  /** The response as received, without what came after its end. */
  private text(): string {
    const raw = this.raw!.view();
    return raw.toString("utf8", 0, raw.length - this.parser!.unusedBytes);
  }
}

function withLimits<T>(f: Future<T>, options: HttpGetOptions): Future<T> {
  let out = options.timeoutMs === undefined ? f : timeout(f, options.timeoutMs);
  if (options.signal !== undefined) out = abortable(out, options.signal);
  return out;
}

/** The thread's default client (module state is per thread: each worker has its own). */
let defaultClient: HttpClient | null = null;

/**
 * The HTTP client.
 *
 * @example
 * <!-- ts-check
 * declare const ca: string;
 * -->
 * ```ts
 * init().blockOn(coroutine(function* () {
 *   const text = yield* wait(Http.get("/1000/HelloWorld"));       // from 127.0.0.1:8080
 *   const res = yield* wait(Http.request({ url: "http://127.0.0.1:8080/0/hi" }));
 *   console.log(res.status, res.headers.get("content-type"), res.text());
 *   const big = yield* wait(Http.request({ url: "/0/x", port: 9000, maxBodyBytes: 1 << 30 }));
 *   const streamed = yield* wait(Http.stream({ url: "https://localhost:8443/file", tls: { ca } }));
 *   for (let piece = yield* wait(streamed.read()); piece !== null; piece = yield* wait(streamed.read())) console.log(piece.length);
 * }));
 * ```
 */
export const Http = Object.freeze({
  /**
   * `GET pathOrUrl`; resolves to the whole response text (status line, headers and body as
   * received), as the book's `HttpGetFuture` does, on a connection of its own (`Connection:
   * close`). A bare path goes to 127.0.0.1:8080 unless `host`/`port` say otherwise.
   */
  get(pathOrUrl: string, options: HttpGetOptions = {}): Future<string> {
    return withLimits(new HttpGetFuture(resolveTarget(pathOrUrl, options), options), options);
  },

  /**
   * Any request through the thread's default {@link HttpClient} (kept-alive connections);
   * resolves to the parsed response, body buffered. A bare path goes to `host`:`port` (default
   * 127.0.0.1:8080).
   */
  request(options: HttpRequestOptions): Future<HttpResponse> {
    return Http.defaultClient().request(options);
  },

  /**
   * Any request through the thread's default {@link HttpClient}; resolves once the head has
   * arrived, to a response whose body is read piece by piece (see `HttpStreamResponse`).
   */
  stream(options: HttpRequestOptions): Future<HttpStreamResponse> {
    return Http.defaultClient().send(options);
  },

  /**
   * The thread's default client, which `request` and `stream` go through: made on first use, and
   * again after it is closed (`Http.defaultClient().close()` closes its idle connections and
   * frees its TLS sessions).
   */
  defaultClient(): HttpClient {
    if (defaultClient === null || defaultClient.isClosed) defaultClient = new HttpClient();
    return defaultClient;
  },
});
