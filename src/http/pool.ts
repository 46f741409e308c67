/**
 * The keep-alive pool behind `HttpClient`: idle connections by origin, and a limit on the
 * connections open to each origin.
 *
 * Contract:
 * - An origin is the scheme, host and port, and for `https` the TLS options that decide what the
 *   connection verified (`ca`, `systemCa`, `servername`, `rejectUnauthorized`): a connection made
 *   with verification off is never handed to a request that asked for it.
 * - At most `maxConnections` connections per origin, in use or idle: a request holds one of the
 *   origin's permits (a `Semaphore`, FIFO) from before it takes a connection until it gives it
 *   back; requests beyond the limit wait for one. A new connection is opened only when no idle one
 *   is left, so idle plus in use never exceeds the limit.
 * - An idle connection holds no waker and no timer: it is parked with its wakers released
 *   (`releaseWakers`), so it keeps no `blockOn`/`run` waiting and hides no deadlock. Its events
 *   still record its readiness, and that is what a checkout looks at: a hang-up, the peer's FIN,
 *   an error, or bytes nobody asked for (read once to tell a TLS ticket from a stray response)
 *   mean the server is done with it, and so does an idle age over `idleTimeoutMs`. Such a
 *   connection is closed, and the next one (most recently used first) is tried.
 * - Idle connections are closed when found stale or expired at a checkout, when an origin's
 *   connection comes back (its expired ones), by `closeIdle()`, and by `close()`; nothing runs in
 *   between (no timer), so a connection the server closed keeps its fd until one of those.
 * - A connection goes back to the pool only after a complete response that allows it
 *   (`ResponseParser.keepAlive`, no bytes after it, no `Connection: close` sent): the caller
 *   decides, through its {@link Lease}.
 *
 * @module
 */
import type { Future } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import type { ByteStream } from "../net/byte-stream.js";
import type { TcpStream } from "../net/tcp-stream.js";
import { ERROR, HANGUP, READABLE, READ_CLOSED } from "../runtime/token-table.js";
import { Semaphore, type SemaphorePermit } from "../sync/semaphore.js";
import type { TlsConnectOptions } from "../tls/options.js";
import type { TlsStream } from "../tls/tls-stream.js";
import { PENDING } from "../future/future.js";
import type { HttpTarget } from "./target.js";

/**
 * Where the HTTP client's connections go: what a {@link Connector} is asked to connect to.
 *
 * @example
 * ```ts
 * const origin: HttpOrigin = { scheme: "https", address: "example.com:443", tls: {} };
 * ```
 */
export interface HttpOrigin {
  readonly scheme: "http" | "https";
  /** "host:port", as `TcpStream.connect` takes it. */
  readonly address: string;
  /** For `https`: the TLS options (with the client's session cache). */
  readonly tls: TlsConnectOptions;
}

/**
 * How an `HttpClient` opens a connection: a `TcpStream` for `http`, a `TlsStream` (handshake
 * done) for `https`. The default connects directly; a connector of your own can go through a
 * tunnel, count connections, or add client-side settings, as long as it returns one of the two.
 *
 * @example
 * ```ts
 * let opened = 0;
 * const counting: Connector = (origin) => {
 *   opened++;
 *   return origin.scheme === "https" ? TlsStream.connect(origin.address, origin.tls) : TcpStream.connect(origin.address);
 * };
 * const client = new HttpClient({ connector: counting });
 * ```
 */
export type Connector = (origin: HttpOrigin) => Future<TcpStream | TlsStream>;

/** What the pool needs of a connection beyond moving bytes (both `TcpStream` and `TlsStream` have it). */
export interface PooledStream extends ByteStream {
  /** The readiness word the reactor's events left (bits of `token-table.ts`). */
  readiness(): number;
  /** Forgets the stored wakers: the connection wakes nobody while idle. */
  releaseWakers(): void;
}

/** Reading any of these on an idle connection: the server has closed it, or it failed. */
const GONE = HANGUP | READ_CLOSED | ERROR;
/** What a probe of an idle connection's unexpected readiness reads into (its bytes are discarded). */
const probe = new Uint8Array(16 * 1024);

/** One origin's connections: its permits and its idle connections, oldest first. */
export class Origin implements HttpOrigin {
  readonly permits: Semaphore;
  readonly idle: PooledStream[] = [];
  /** When each idle connection was parked (`performance.now()`), in step with {@link idle}. */
  readonly idleSince: number[] = [];

  constructor(
    readonly key: string,
    readonly scheme: "http" | "https",
    readonly address: string,
    readonly tls: TlsConnectOptions,
    readonly maxConnections: number,
  ) {
    this.permits = new Semaphore(maxConnections);
  }
}

/**
 * Counts of what an `HttpClient`'s pool has done, for tests and monitoring (`client.stats()`).
 *
 * @example
 * ```ts
 * const { opened, reused }: PoolStats = Http.defaultClient().stats();
 * console.log(`${reused} of ${opened + reused} requests went on a kept-alive connection`);
 * ```
 */
export interface PoolStats {
  /** Connections opened. */
  opened: number;
  /** Requests sent on a connection that had served one before. */
  reused: number;
  /** Requests sent again, once, on a new connection after a reused one turned out closed. */
  retried: number;
  /** Connections idle in the pool now. */
  idle: number;
}

/** TLS options -> the part of an origin key they make (the same options object is usually reused). */
const tlsKeys = new WeakMap<TlsConnectOptions, string>();

function tlsKey(tls: TlsConnectOptions): string {
  let key = tlsKeys.get(tls);
  if (key === undefined) {
    const ca = tls.ca === undefined ? "" : typeof tls.ca === "string" ? tls.ca : tls.ca.join("\n");
    key = `\n${tls.servername ?? ""}\n${tls.rejectUnauthorized !== false}\n${tls.systemCa === true}\n${ca}`;
    tlsKeys.set(tls, key);
  }
  return key;
}

const NO_TLS: TlsConnectOptions = Object.freeze({});

/** The pool: origins by key. One per `HttpClient`; used from the thread that made it. */
export class ConnectionPool {
  private readonly origins = new Map<string, Origin>();
  private readonly stats: PoolStats = { opened: 0, reused: 0, retried: 0, idle: 0 };
  private closed = false;

  constructor(
    private readonly maxConnections: number,
    private readonly idleTimeoutMs: number,
  ) {}

  /** True after {@link close}. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The origin of `target`, made on first use. `tls` is what its connections are made with. */
  origin(target: HttpTarget, tls: TlsConnectOptions | undefined): Origin {
    const https = target.scheme === "https";
    const key = https ? `https://${target.address}${tlsKey(tls ?? NO_TLS)}` : `http://${target.address}`;
    let origin = this.origins.get(key);
    if (origin === undefined) {
      origin = new Origin(key, target.scheme, target.address, https ? (tls ?? NO_TLS) : NO_TLS, this.maxConnections);
      this.origins.set(key, origin);
    }
    return origin;
  }

  /**
   * An idle connection of `origin` that still looks usable (most recently parked first), or null;
   * stale and expired ones are closed on the way. `waker` is stored if a probe read has to wait
   * (the connection is then fine, and the caller goes on to use it with the same task).
   */
  checkout(origin: Origin, waker: Waker): PooledStream | null {
    const { idle, idleSince } = origin;
    const oldest = performance.now() - this.idleTimeoutMs;
    while (idle.length > 0) {
      const stream = idle.pop()!;
      const since = idleSince.pop()!;
      this.stats.idle--;
      if (since >= oldest && usable(stream, waker)) {
        this.stats.reused++;
        return stream;
      }
      stream.close();
    }
    return null;
  }

  /** Parks `stream` as idle (its wakers released), or closes it if the pool is closed. */
  checkin(origin: Origin, stream: PooledStream): void {
    if (this.closed) {
      stream.close();
      return;
    }
    stream.releaseWakers();
    const now = performance.now();
    this.expire(origin, now);
    origin.idle.push(stream);
    origin.idleSince.push(now);
    this.stats.idle++;
  }

  /** Counts a new connection. */
  opened(): void {
    this.stats.opened++;
  }

  /** Counts a request sent again. */
  retried(): void {
    this.stats.retried++;
  }

  /** Forgets `origin` once nothing refers to it any more (no idle connection, no permit out, no waiter). */
  tidy(origin: Origin): void {
    if (origin.idle.length === 0 && origin.permits.available === origin.maxConnections && origin.permits.waiting === 0) {
      if (this.origins.get(origin.key) === origin) this.origins.delete(origin.key);
    }
  }

  /** Closes every idle connection now. */
  closeIdle(): void {
    for (const origin of [...this.origins.values()]) {
      for (const stream of origin.idle) stream.close();
      this.stats.idle -= origin.idle.length;
      origin.idle.length = 0;
      origin.idleSince.length = 0;
      this.tidy(origin);
    }
  }

  /** Closes the idle connections; connections in use are closed when they come back. */
  close(): void {
    this.closed = true;
    this.closeIdle();
  }

  /** A copy of the counts. */
  snapshot(): PoolStats {
    return { ...this.stats };
  }

  /** Closes `origin`'s idle connections parked before `now - idleTimeoutMs` (the oldest come first). */
  private expire(origin: Origin, now: number): void {
    const { idle, idleSince } = origin;
    const oldest = now - this.idleTimeoutMs;
    let n = 0;
    while (n < idle.length && idleSince[n]! < oldest) idle[n++]!.close();
    if (n === 0) return;
    idle.splice(0, n);
    idleSince.splice(0, n);
    this.stats.idle -= n;
  }
}

/**
 * Whether an idle connection may carry a request, from its readiness: nothing happened on it
 * (the usual case), or it reads as readable and a read finds nothing to deliver (a TLS session
 * ticket processed, or a readiness left from the last response's final read). A hang-up, the
 * peer's FIN, an error, or bytes nobody asked for: not usable.
 */
function usable(stream: PooledStream, waker: Waker): boolean {
  let ready: number;
  try {
    ready = stream.readiness();
  } catch {
    return false;
  }
  if ((ready & GONE) !== 0) return false;
  if ((ready & READABLE) === 0) return true;
  try {
    return stream.pollRead(waker, probe, 0, probe.length) === PENDING;
  } catch {
    return false;
  }
}

/**
 * A request's hold on an origin: a permit, then a connection. It ends once, by {@link finish}
 * (the connection goes back to the pool when `keepAlive`, else is closed) or {@link abandon}
 * (closed), and the permit passes to the next request waiting for one.
 */
export class Lease {
  stream: PooledStream | null = null;
  /** The stream came from the pool (it served a request before). */
  reused = false;
  private permit: SemaphorePermit | null;

  constructor(
    readonly pool: ConnectionPool,
    readonly origin: Origin,
    permit: SemaphorePermit,
  ) {
    this.permit = permit;
  }

  /** Whether the lease is still held. */
  get held(): boolean {
    return this.permit !== null;
  }

  /** Ends the lease: the connection is parked if `keepAlive`, else closed. */
  finish(keepAlive: boolean): void {
    const stream = this.stream;
    this.stream = null;
    if (stream !== null) {
      if (keepAlive) this.pool.checkin(this.origin, stream);
      else stream.close();
    }
    this.release();
  }

  /** Ends the lease, closing the connection. */
  abandon(): void {
    this.finish(false);
  }

  /** Closes the connection (a failed one) but keeps the permit, for a second attempt. */
  discardStream(): void {
    this.stream?.close();
    this.stream = null;
    this.reused = false;
  }

  private release(): void {
    const permit = this.permit;
    if (permit === null) return;
    this.permit = null;
    permit.release();
    this.pool.tidy(this.origin);
  }
}
