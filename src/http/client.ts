/**
 * `HttpClient`: HTTP/1.1 requests over kept-alive connections (Node's `Agent`, undici's
 * `Pool`), `http` and `https` alike.
 *
 * Contract:
 * - Connections are pooled by origin (scheme, host, port, and for `https` the TLS options) with a
 *   limit per origin; idle ones hold no waker and no timer, and are checked for staleness when
 *   taken (see `pool.ts`). A request on a connection the server had just closed is retried once
 *   when its method is idempotent (see `client-request.ts`).
 * - `request()` buffers the body, with a limit (64 MiB by default); `send()` streams it, with no
 *   limit unless one is given (see `stream-response.ts`).
 * - Requests say `Connection: keep-alive` unless their headers say otherwise; `Connection: close`
 *   is sent as given and the connection is not kept.
 * - `https` connections resume TLS sessions through the client's own cache (keyed as the
 *   origins are), so a second connection to a server skips the full handshake.
 * - A client belongs to the thread that made it; `Http.request` and `Http.stream` use one default
 *   client per thread.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";
import type { Future } from "../future/future.js";
import { TcpStream } from "../net/tcp-stream.js";
import { abortable } from "../sync/abort.js";
import { timeout } from "../time/timeout.js";
import type { TlsConnectOptions } from "../tls/options.js";
import { TlsSessionCache } from "../tls/session-cache.js";
import { TlsStream } from "../tls/tls-stream.js";
import { ClientRequest, type ClientRequestParts } from "./client-request.js";
import { DEFAULT_MAX_BODY_BYTES } from "./parse-body.js";
import { ResponseParser, type HttpResponse } from "./parse-response.js";
import { ConnectionPool, type Connector, type HttpOrigin, type PoolStats } from "./pool.js";
import { serializeRequest, type RequestOptions } from "./serialize.js";
import { BodyPieces, HttpStreamResponse } from "./stream-response.js";
import { resolveTarget, type HttpAddressOptions } from "./target.js";

/**
 * What {@link HttpClient.request}, {@link HttpClient.send} (and `Http.request`, `Http.stream`) take.
 *
 * @example
 * ```ts
 * const options: HttpRequestOptions = { method: "POST", url: "https://localhost:8443/items", body: "{}",
 *   headers: { "Content-Type": "application/json" }, timeoutMs: 5000, tls: { servername: "localhost" } };
 * ```
 */
export interface HttpRequestOptions extends HttpAddressOptions {
  /** Default "GET". */
  method?: string;
  /** A path (on `host`:`port`, default 127.0.0.1:8080), or a full `http://` or `https://` URL. */
  url: string;
  headers?: Readonly<Record<string, string>>;
  body?: Uint8Array | string;
  /** Fail with `TimeoutError` (`ETIMEDOUT`) if the whole exchange takes longer (waiting for a connection included). */
  timeoutMs?: number;
  /** Largest body accepted (default 64 MiB; for {@link HttpClient.send}, no limit); more is an `HttpParseError`. */
  maxBodyBytes?: number;
  /** For `https:`: how the server is verified (`ca`, `servername`, ...). */
  tls?: TlsConnectOptions;
  /**
   * Give up when this signal aborts: the request is dropped (its connection closed) and the
   * future throws `signal.reason`; for a streamed response, its body reads too.
   */
  signal?: AbortSignal;
}

/**
 * What {@link HttpClient} takes.
 *
 * @example
 * ```ts
 * const options: HttpClientOptions = { maxConnectionsPerOrigin: 16, idleTimeoutMs: 2000, maxCachedSessions: 0 };
 * ```
 */
export interface HttpClientOptions {
  /**
   * The most connections open to one origin at once, in use or idle (default 256); requests
   * beyond it wait for one, first come first served.
   */
  maxConnectionsPerOrigin?: number;
  /**
   * How long a connection may sit idle and still be reused (default 4,000 ms: below the 5 s that
   * Node's and many other servers keep an idle connection).
   */
  idleTimeoutMs?: number;
  /** TLS sessions kept for resumption (default 100, as Node's `maxCachedSessions`); 0 turns resumption off. */
  maxCachedSessions?: number;
  /** How connections are opened (default: `TcpStream.connect`, or `TlsStream.connect` for `https`). */
  connector?: Connector;
}

/**
 * The default {@link Connector}: a TCP connection, with a TLS handshake over it for `https`.
 *
 * @example
 * ```ts
 * let opened = 0;
 * const client = new HttpClient({ connector: (origin) => (opened++, connectDirect(origin)) });
 * ```
 */
export function connectDirect(origin: HttpOrigin): Future<TcpStream | TlsStream> {
  return origin.scheme === "https" ? TlsStream.connect(origin.address, origin.tls) : TcpStream.connect(origin.address);
}

function checkLimit(name: string, value: number | undefined, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(value >= min) || (value !== Infinity && !Number.isSafeInteger(value))) {
    throw new RangeError(`HttpClient: ${name} must be a whole number >= ${min} (or Infinity), got ${String(value)}`);
  }
  return value;
}

/**
 * An HTTP client with a keep-alive pool. `Http.request` and `Http.stream` use one per thread;
 * make your own for other limits, or to close its connections when done.
 *
 * @example
 * <!-- ts-check
 * declare const ca: string;
 * -->
 * ```ts
 * const client = new HttpClient({ maxConnectionsPerOrigin: 8 });
 * const a = yield* wait(client.request({ url: "http://127.0.0.1:8080/0/one" }));
 * const b = yield* wait(client.request({ url: "http://127.0.0.1:8080/0/two" })); // the same connection
 * const res = yield* wait(client.send({ url: "https://localhost:8443/big", tls: { ca } }));
 * const text = yield* wait(res.text());
 * client.close();
 * ```
 */
export class HttpClient {
  private readonly pool: ConnectionPool;
  private readonly connector: Connector;
  private readonly sessions: TlsSessionCache;
  /** Per TLS options object: the same options with this client's session cache. */
  private readonly withSessions = new WeakMap<TlsConnectOptions, TlsConnectOptions>();
  private readonly defaultTls: TlsConnectOptions;

  constructor(options: HttpClientOptions = {}) {
    // Infinity: as many permits as a semaphore holds.
    const max = Math.min(checkLimit("maxConnectionsPerOrigin", options.maxConnectionsPerOrigin, 1, 256), Number.MAX_SAFE_INTEGER);
    const idle = checkLimit("idleTimeoutMs", options.idleTimeoutMs, 0, 4000);
    this.sessions = new TlsSessionCache(checkLimit("maxCachedSessions", options.maxCachedSessions, 0, 100));
    this.pool = new ConnectionPool(max, idle);
    this.connector = options.connector ?? connectDirect;
    this.defaultTls = { sessions: this.sessions };
  }

  /**
   * Sends a request and resolves to the whole response (body buffered, at most `maxBodyBytes`).
   *
   * @throws from the future: `IoError` naming the peer, `DnsError`, `TlsError`, `HttpParseError`,
   *   `TimeoutError` (`timeoutMs`), the signal's reason (`signal`), `RuntimeError` once closed.
   */
  request(options: HttpRequestOptions): Future<HttpResponse> {
    const parts = this.parts(options);
    const parser = new ResponseParser({ method: parts.method, maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES });
    return wrap(new BufferedRequest(parts, parser), options);
  }

  /**
   * Sends a request and resolves once the response's head has arrived; its body is read from the
   * {@link HttpStreamResponse} (no size limit unless `maxBodyBytes`). Read it to its end or
   * `close()` it: until then it holds its connection.
   */
  send(options: HttpRequestOptions): Future<HttpStreamResponse> {
    const parts = this.parts(options);
    const pieces = new BodyPieces();
    const parser = new ResponseParser({
      method: parts.method,
      maxBodyBytes: options.maxBodyBytes ?? Number.MAX_SAFE_INTEGER,
      onBody: pieces.onData,
    });
    return wrap(new StreamedRequest(parts, parser, pieces, options.signal), options);
  }

  /** True after {@link close}. */
  get isClosed(): boolean {
    return this.pool.isClosed;
  }

  /** Closes every idle connection now (connections in use are kept). */
  closeIdle(): void {
    this.pool.closeIdle();
  }

  /**
   * Closes the idle connections and frees the TLS sessions kept; connections in use are closed
   * when their exchange ends. Later requests fail with `RuntimeError`.
   */
  close(): void {
    this.pool.close();
    this.sessions.clear();
  }

  /** Counts: connections opened, requests on reused connections, requests retried, connections idle now. */
  stats(): PoolStats {
    return this.pool.snapshot();
  }

  private parts(options: HttpRequestOptions): ClientRequestParts {
    if (this.pool.isClosed) throw new RuntimeError("the HttpClient is closed");
    const target = resolveTarget(options.url, options);
    const method = options.method ?? "GET";
    const request: RequestOptions = { method, path: target.path, host: target.host };
    let headers = options.headers;
    let closes = false;
    let connection = false;
    let authorization = false;
    if (headers !== undefined) {
      for (const name of Object.keys(headers)) {
        const key = name.toLowerCase();
        if (key === "connection") {
          connection = true;
          closes = /(?:^|,)\s*close\s*(?:,|$)/i.test(headers[name]!);
        } else if (key === "authorization") authorization = true;
      }
    }
    if (!connection || (target.authorization !== undefined && !authorization)) {
      const extra: Record<string, string> = {};
      if (target.authorization !== undefined && !authorization) extra["Authorization"] = target.authorization;
      if (!connection) extra["Connection"] = "keep-alive";
      headers = { ...headers, ...extra };
    }
    request.headers = headers!;
    if (options.body !== undefined) request.body = options.body;
    const tls = target.scheme === "https" ? this.tlsOptions(options.tls) : undefined;
    return { pool: this.pool, connector: this.connector, target, tls, method, request: serializeRequest(request), closes };
  }

  /** `tls` with this client's session cache (the same object for the same options, so origins share a key). */
  private tlsOptions(tls: TlsConnectOptions | undefined): TlsConnectOptions {
    if (tls === undefined) return this.defaultTls;
    let options = this.withSessions.get(tls);
    if (options === undefined) {
      options = { ...tls, sessions: tls.sessions ?? this.sessions };
      this.withSessions.set(tls, options);
    }
    return options;
  }
}

function wrap<T>(f: Future<T>, options: HttpRequestOptions): Future<T> {
  let out = f;
  if (options.timeoutMs !== undefined) out = timeout(out, options.timeoutMs);
  if (options.signal !== undefined) out = abortable(out, options.signal);
  return out;
}

/** A buffered response: complete once the parser has the whole body. */
class BufferedRequest extends ClientRequest<HttpResponse> {
  protected ready(response: HttpResponse | undefined): HttpResponse | undefined {
    if (response !== undefined) this.lease!.finish(this.keepAlive());
    return response;
  }

  protected ended(): HttpResponse {
    const response = this.parser.end();
    this.lease!.finish(false);
    return response;
  }
}

/** A streamed response: complete once the parser has the head; the body is the response's to read. */
class StreamedRequest extends ClientRequest<HttpStreamResponse> {
  constructor(
    parts: ClientRequestParts,
    parser: ResponseParser,
    private readonly pieces: BodyPieces,
    private readonly signal: AbortSignal | undefined,
  ) {
    super(parts, parser);
  }

  protected ready(response: HttpResponse | undefined): HttpStreamResponse | undefined {
    const head = this.parser.head;
    if (head === undefined) return undefined;
    const lease = this.lease!;
    if (response !== undefined) lease.finish(this.keepAlive());
    return new HttpStreamResponse(head, response, lease, this.parser, this.pieces, () => this.keepAlive(), this.signal);
  }

  protected ended(): HttpStreamResponse {
    const response = this.parser.end();
    this.lease!.finish(false);
    return new HttpStreamResponse(this.parser.head!, response, this.lease!, this.parser, this.pieces, () => false, this.signal);
  }
}
