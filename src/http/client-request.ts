/**
 * A request through an `HttpClient`: take a permit of the origin, an idle connection (or open
 * one), write the request, read the response; then give the connection back to the pool when
 * the response allows it.
 *
 * Contract:
 * - Lazy: the first poll finds the origin and asks for a permit (in that same poll, so the pool
 *   never forgets an origin a request is about to use).
 * - The request is written whole and flushed (a TLS stream's last record included) before the
 *   response is read; reading stops as soon as the response is complete (or, streamed, as soon as
 *   its head is), so a complete `Content-Length` or chunked body never waits for the close.
 * - Retried once: a request on a *reused* connection that fails before a byte of its response
 *   arrives (the write fails, or the read meets an error or the end of the stream) is sent again
 *   on a new connection if its method is idempotent (RFC 9110 §9.2.2; RFC 9112 §9.3.1): the
 *   server had closed the idle connection as it was taken. Any other failure is thrown.
 * - Failing or dropped, it closes the connection it held and gives its permit on; the lookup or
 *   connect it was waiting for is dropped too. I/O errors name the peer.
 *
 * @module
 */
import { DnsError, IoError, TlsError } from "../errors.js";
import { PENDING, dropFuture, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import type { SemaphorePermit } from "../sync/semaphore.js";
import type { HttpResponse, ResponseParser } from "./parse-response.js";
import { Lease, type ConnectionPool, type Connector, type Origin, type PooledStream } from "./pool.js";
import type { HttpTarget } from "./target.js";
import type { TlsConnectOptions } from "../tls/options.js";
import {
  publishRequestDone,
  publishRequestDropped,
  publishRequestFailed,
  publishRequestStart,
  type HttpRequestEvent,
} from "./request-events.js";

/** Reads go into one buffer per thread; the parser copies out what it keeps. */
export const scratch = Buffer.allocUnsafe(64 * 1024);

/** Methods a request may be repeated with (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

const ACQUIRE = 0;
const CONNECT = 1;
const SEND = 2;
const RECEIVE = 3;
const DONE = 4;

/** What a client request is made of. */
export interface ClientRequestParts {
  pool: ConnectionPool;
  connector: Connector;
  target: HttpTarget;
  tls: TlsConnectOptions | undefined;
  method: string;
  /** The serialized request. */
  request: Uint8Array;
  /** The request says `Connection: close`: the connection is not kept after it. */
  closes: boolean;
}

/** The shared state machine; subclasses say when the parser's output is theirs. */
export abstract class ClientRequest<T> implements Future<T> {
  private state = ACQUIRE;
  private origin: Origin | null = null;
  private acquiring: Future<SemaphorePermit> | null = null;
  private connecting: Future<PooledStream> | null = null;
  protected lease: Lease | null = null;
  private written = 0;
  /** Bytes of the response read so far (for the retry rule). */
  private got = 0;
  private retried = false;
  /** The diagnostics channel message of this request: undefined before the first poll, null if nobody listens. */
  private event: HttpRequestEvent | null | undefined = undefined;

  constructor(
    protected readonly parts: ClientRequestParts,
    protected readonly parser: ResponseParser,
  ) {}

  /**
   * The output once the parser has enough (after a push that returned `response`, the complete
   * response if it is), else undefined. The subclass ends the lease when the response is complete.
   */
  protected abstract ready(response: HttpResponse | undefined): T | undefined;
  /** The connection ended: the output, or throws (the parser's `end()` says what is missing). */
  protected abstract ended(): T;

  /** Whether the connection may carry another request after this response. */
  protected keepAlive(): boolean {
    return !this.parts.closes && this.parser.keepAlive && this.parser.unusedBytes === 0;
  }

  poll(waker: Waker): Poll<T> {
    if (this.state === DONE) pollAfterReady("HTTP request");
    if (this.event === undefined) this.event = publishRequestStart(this.parts.request, this.parts.target);
    for (;;) {
      let out: Poll<T>;
      try {
        out = this.step(waker);
      } catch (e) {
        if (this.mayRetry(e)) {
          this.retry();
          continue;
        }
        this.fail();
        const error = named(e, this.parts.target.address);
        if (this.event !== null) publishRequestFailed(this.event, error);
        throw error;
      }
      if (out !== PENDING && this.event !== null) publishRequestDone(this.event, out);
      return out;
    }
  }

  drop(): void {
    if (this.state === DONE) return;
    if (this.event != null) publishRequestDropped(this.event);
    this.fail();
  }

  private step(waker: Waker): Poll<T> {
    if (this.state === ACQUIRE && this.acquire(waker) === PENDING) return PENDING;
    const lease = this.lease!;
    if (this.state === CONNECT) {
      const s = this.connecting!.poll(waker);
      if (s === PENDING) return PENDING;
      this.connecting = null;
      lease.stream = s;
      this.state = SEND;
    }
    const stream = lease.stream!;
    if (this.state === SEND) {
      const request = this.parts.request;
      while (this.written < request.length) {
        const n = stream.pollWrite(waker, request, this.written, request.length - this.written);
        if (n === PENDING) return PENDING;
        this.written += n;
      }
      if (stream.pollFlush(waker) === PENDING) return PENDING;
      this.state = RECEIVE;
    }
    for (;;) {
      // The stream's read spends one unit of the task's budget (and, out of it, wakes and pends).
      const n = stream.pollRead(waker, scratch, 0, scratch.length);
      if (n === PENDING) return PENDING;
      let out: T | undefined;
      if (n === 0) {
        if (this.got === 0 && this.mayRetryNow()) {
          this.retry();
          return this.step(waker);
        }
        out = this.ended();
      } else {
        this.got += n;
        out = this.ready(this.parser.push(scratch.subarray(0, n)));
      }
      if (out !== undefined) {
        this.state = DONE;
        return out;
      }
    }
  }

  /** Takes a permit, then an idle connection or a connect in progress; `PENDING` while waiting for the permit. */
  private acquire(waker: Waker): Poll<void> {
    const { pool, target, tls } = this.parts;
    let origin = this.origin;
    if (origin === null) {
      origin = this.origin = pool.origin(target, tls);
      const permit = origin.permits.tryAcquire();
      if (permit !== null) this.lease = new Lease(pool, origin, permit);
      else this.acquiring = origin.permits.acquire();
    }
    if (this.acquiring !== null) {
      const permit = this.acquiring.poll(waker);
      if (permit === PENDING) return PENDING;
      this.acquiring = null;
      this.lease = new Lease(pool, origin, permit);
    }
    const lease = this.lease!;
    const idle = pool.checkout(origin, waker);
    if (idle !== null) {
      lease.stream = idle;
      lease.reused = true;
      this.state = SEND;
    } else {
      this.connect();
    }
    return undefined;
  }

  private connect(): void {
    this.parts.pool.opened();
    this.connecting = this.parts.connector(this.origin!);
    this.state = CONNECT;
  }

  /** Whether a failure now may be answered by sending the request again on a new connection. */
  private mayRetryNow(): boolean {
    return !this.retried && this.lease !== null && this.lease.reused && this.got === 0 && IDEMPOTENT.has(this.parts.method);
  }

  private mayRetry(e: unknown): boolean {
    if (this.state !== SEND && this.state !== RECEIVE) return false;
    // A closed, reset or cut-off connection (TLS: no close_notify); not one closed by us (ECANCELED).
    const broken = (e instanceof IoError && e.code !== "ECANCELED") || e instanceof TlsError;
    return broken && this.mayRetryNow();
  }

  private retry(): void {
    this.retried = true;
    this.parts.pool.retried();
    this.lease!.discardStream();
    this.written = 0;
    this.connect();
  }

  private fail(): void {
    this.state = DONE;
    if (this.acquiring !== null) dropFuture(this.acquiring);
    this.acquiring = null;
    if (this.connecting !== null) dropFuture(this.connecting);
    this.connecting = null;
    this.lease?.abandon();
  }
}

/**
 * Names the peer in an I/O error, as Node's errors do. A connect's error names it already (with
 * its `address` and `port`), and a lookup's is a `DnsError` naming the host: those go as they are.
 */
export function named(e: unknown, address: string): unknown {
  if (e instanceof IoError && !(e instanceof DnsError) && e.address === undefined && !e.message.includes(address)) {
    return new IoError(e.code, e.errno, e.syscall, `${e.syscall} ${e.code} ${address}`);
  }
  return e;
}
