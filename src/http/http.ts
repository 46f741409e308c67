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
 *   response text, status line and headers included, read until the server closes: what the
 *   book's `HttpGetFuture` returns.
 * - `Http.request({...})` resolves to a parsed `HttpResponse` (status, case-insensitive headers,
 *   body bytes and text), handling `Content-Length`, chunked and read-until-close bodies, and
 *   failing with `HttpParseError` on malformed or truncated responses.
 *
 * Implementation notes: reads go into one scratch buffer per thread and only the bytes received
 * are copied out, so ten thousand requests in flight hold their data, not ten thousand buffers.
 *
 * @module
 */
import { PENDING, describeFuture, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { timeout } from "../time/timeout.js";
import type { Waker } from "../future/waker.js";
import { TcpStream } from "../net/tcp-stream.js";
import { WOULD_BLOCK } from "../sys/index.js";
import { ResponseParser, type HttpResponse } from "./parse-response.js";
import { serializeRequest } from "./serialize.js";
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
}

/** What {@link Http.request} takes. */
export interface HttpRequestOptions {
  /** Default "GET". */
  method?: string;
  /** A path on 127.0.0.1:8080, or a full `http://` URL. */
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
  /** The diagnostics channel message of this request: undefined before the first poll, null if nobody listens. */
  private event: HttpRequestEvent | null | undefined = undefined;

  constructor(
    private readonly target: HttpTarget,
    private readonly request: Uint8Array,
  ) {
    this.connecting = TcpStream.connect(target.address);
  }

  /** Takes bytes received; returns the output once complete, else undefined. */
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
      if (this.event !== null) publishRequestFailed(this.event, e);
      throw e;
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
      const n = stream.pollRead(waker, scratch);
      if (n === PENDING) return PENDING;
      const out = n === 0 ? this.ended() : this.received(Buffer.from(scratch.subarray(0, n)));
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

/** The book's `HttpGetFuture`: the whole response text, read until the server closes. */
class HttpGetFuture extends HttpFuture<string> {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(target: HttpTarget) {
    super(target, serializeRequest({ path: target.path, host: target.host }));
  }

  protected received(bytes: Buffer): undefined {
    this.chunks.push(bytes);
    this.size += bytes.length;
    return undefined;
  }

  protected ended(): string {
    return Buffer.concat(this.chunks, this.size).toString("utf8");
  }
}

/** A parsed response; reading stops as soon as the message is complete. */
class HttpRequestFuture extends HttpFuture<HttpResponse> {
  private readonly parser: ResponseParser;

  constructor(target: HttpTarget, options: HttpRequestOptions) {
    const method = options.method ?? "GET";
    const request: Parameters<typeof serializeRequest>[0] = { method, path: target.path, host: target.host };
    if (options.headers !== undefined) request.headers = options.headers;
    if (options.body !== undefined) request.body = options.body;
    super(target, serializeRequest(request));
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
 * }));
 * ```
 */
export const Http = Object.freeze({
  /**
   * `GET pathOrUrl`; resolves to the whole response text (status line, headers and body), as the
   * book's `HttpGetFuture` does. A bare path goes to 127.0.0.1:8080 unless `host`/`port` say otherwise.
   */
  get(pathOrUrl: string, options: HttpGetOptions = {}): Future<string> {
    return withTimeout(new HttpGetFuture(resolveTarget(pathOrUrl, options)), options.timeoutMs);
  },

  /** Any request; resolves to the parsed response. */
  request(options: HttpRequestOptions): Future<HttpResponse> {
    return withTimeout(new HttpRequestFuture(resolveTarget(options.url), options), options.timeoutMs);
  },
});
