/**
 * The delay server (the book's `delayserver`): `GET /{delay_ms}/{message}` answers `message` after
 * `delay_ms`, on this runtime's `TcpListener`, one task per connection.
 *
 * Contract:
 * - A {@link DelayServer} is a `Future<void>`: the accept loop. Run it (`executor.run(server)`) or
 *   spawn it; it completes after {@link DelayServer.stop}, once the listener and every connection
 *   are closed. Dropping it (an abort) closes them too.
 * - `stop()` may be called from anywhere on the executor's thread, including outside any poll (a
 *   signal handler): it only sets a flag and wakes the accept task, which does the closing.
 * - Each accepted connection is a {@link Connection} task (see connection.ts for keep-alive,
 *   pipelining, deadlines and disconnects). Connections are independent: a silent or slow client
 *   holds its own fd and timer and a bounded amount of memory, nothing else. The listener's
 *   send buffer is set to {@link SEND_BUFFER_BYTES} (inherited by every connection), so that
 *   the kernel's share of a client's unread output is bounded too.
 * - `requests` counts the requests answered `200` (the log's `n`), `refused` the others.
 * - Out of fds or memory while accepting (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), the loop
 *   retries after {@link ACCEPT_RETRY_MS}: the readiness edge is spent and connections are still
 *   queued, so waiting for another edge could stall forever, and retrying at once would spin. The
 *   first such error is reported on stderr.
 *
 * Implementation notes: the loop takes up to {@link ACCEPT_BUDGET} connections per poll (fewer if
 * the task's cooperative budget runs out first) and then yields (wakes itself), so a flood of
 * connections cannot starve the connections already open. An empty accept queue costs one
 * `accept4`, then none until the listener's next event.
 *
 * @module
 */
import { IoError } from "../errors.js";
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { TcpListener } from "../net/tcp-listener.js";
import type { TcpStream } from "../net/tcp-stream.js";
import { spawn } from "../runtime/executor.js";
import type { Waker } from "../future/waker.js";
import { sleep } from "../time/sleep.js";
import { Connection, type ConnectionHost } from "./connection.js";
import type { RequestLog } from "./request-log.js";

/** Default idle keep-alive timeout (DESIGN: 5 s). */
export const DEFAULT_IDLE_TIMEOUT_MS = 5_000;
/** Default time allowed for a request's head to arrive (DESIGN: 10 s). */
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;
/** Connections accepted per poll of the accept loop before it lets other tasks run. */
export const ACCEPT_BUDGET = 64;
/** How long the accept loop waits before retrying when the process is out of fds or memory. */
export const ACCEPT_RETRY_MS = 20;

/**
 * The kernel's send buffer for each connection (`SO_SNDBUF`, set once on the listener): room for
 * hundreds of answers, and a bound on what a client that does not read has queued (Linux
 * otherwise grows it to 4 MiB, taking every write as progress meanwhile).
 */
export const SEND_BUFFER_BYTES = 64 * 1024;

/** Seconds a connection may wait for its first data before it is accepted without: the shortest, 1. */
const DEFER_ACCEPT_S = 1;

const RESOURCE_ERRORS = new Set(["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM"]);

/** Options of a {@link DelayServer}. */
export interface DelayServerOptions {
  /** Close an idle keep-alive connection after this long (ms). Default 5,000. */
  idleTimeoutMs?: number;
  /** Drop a connection whose request head has not arrived after this long (ms). Default 10,000. */
  headerTimeoutMs?: number;
  /**
   * Where the request lines go (`#{n} - {delay}ms: {message}` per 200, `!{status} {method}
   * {target}: {reason}` per refused request; see request-log.ts); none (quiet) by default.
   */
  log?: RequestLog | null;
  /** Called with failures that are not a client's (bugs, resource errors); default: one line on stderr. */
  onError?: (error: unknown) => void;
  /**
   * Ask the kernel to hand over connections only once their first data has arrived
   * (`TCP_DEFER_ACCEPT`, where the OS layer offers it). Default true.
   */
  deferAccept?: boolean;
}

/**
 * The delay server's accept loop and the registry of its connections.
 *
 * @example
 * ```ts
 * const executor = init();
 * const server = new DelayServer(TcpListener.bind("127.0.0.1:8080"), { log: new RequestLog() });
 * process.once("SIGINT", () => server.stop());
 * await executor.run(server); // until Ctrl-C
 * ```
 */
export class DelayServer implements Future<void>, ConnectionHost {
  readonly idleTimeoutMs: number;
  readonly headerTimeoutMs: number;
  /** Requests answered `200` so far (the `n` of the log line). */
  requests = 0;
  /** Requests answered with an error status so far (400, 404, 405, 413, 431, ...). */
  refused = 0;
  /** Connections accepted so far. */
  accepted = 0;

  private readonly connections = new Set<Connection>();
  private readonly log: RequestLog | null;
  private readonly onError: (error: unknown) => void;
  private waker: Waker | null = null;
  private backoff: Future<void> | null = null;
  private reportedResourceError = false;
  /** The listener defers accepts until data arrives (see the constructor). */
  private readonly dataFirst: boolean;
  private stopping = false;
  private done = false;

  constructor(
    readonly listener: TcpListener,
    options: DelayServerOptions = {},
  ) {
    this.idleTimeoutMs = checkMs("idleTimeoutMs", options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
    this.headerTimeoutMs = checkMs("headerTimeoutMs", options.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS);
    this.log = options.log ?? null;
    // Accepted sockets inherit TCP_NODELAY from the listener (Linux copies the listening socket's
    // TCP options into each child): one setsockopt here instead of one per connection. Without it,
    // an answer sent while the previous one is unacknowledged (pipelining) waits for the client's
    // delayed ACK, up to 40 ms.
    listener.setNoDelay();
    // One setsockopt here too: see SEND_BUFFER_BYTES, and connection.ts on the output bound.
    listener.setSendBufferSize(SEND_BUFFER_BYTES);
    // Where the OS layer offers it, accept only once a connection's first data has arrived
    // (TCP_DEFER_ACCEPT): the request is there at the first read, and a short connection never
    // needs the reactor. A client that sends nothing is handed over after about a second anyway
    // (the kernel's first SYN-ACK retransmission), and the header timeout applies from then.
    this.dataFirst = (options.deferAccept ?? true) && listener.setDeferAccept(DEFER_ACCEPT_S);
    this.onError =
      options.onError ?? ((e) => process.stderr.write(`delayserver: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`));
  }

  /** Connections open right now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Whether accepts are deferred until a connection's first data (`TCP_DEFER_ACCEPT` is on). */
  get deferredAccept(): boolean {
    return this.dataFirst;
  }

  /** True once {@link stop} was called. */
  get stopped(): boolean {
    return this.stopping;
  }

  /** Closes the listener and every connection, and lets the accept loop complete. Idempotent. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.waker?.wake();
  }

  poll(waker: Waker): Poll<void> {
    if (this.done) pollAfterReady("DelayServer");
    this.waker = waker;
    if (this.stopping) {
      this.shutdown();
      return undefined;
    }
    if (this.backoff !== null) {
      if (this.backoff.poll(waker) === PENDING) return PENDING;
      this.backoff = null;
    }
    const now = performance.now();
    for (let i = 0; i < ACCEPT_BUDGET; i++) {
      let stream: Poll<TcpStream>;
      try {
        // A deferred accept hands over connections whose request is there: read it at once.
        stream = this.listener.pollAccept(waker, this.dataFirst);
      } catch (e) {
        if (!(e instanceof IoError) || !RESOURCE_ERRORS.has(e.code)) throw e;
        if (!this.reportedResourceError) {
          this.reportedResourceError = true;
          this.onError(new IoError(e.code, e.errno, e.syscall, `${e.message}: retrying every ${ACCEPT_RETRY_MS} ms (reported once)`));
        }
        const backoff = sleep(ACCEPT_RETRY_MS);
        if (backoff.poll(waker) === PENDING) {
          this.backoff = backoff;
          return PENDING;
        }
        continue;
      }
      if (stream === PENDING) return PENDING;
      this.open(stream, now);
    }
    waker.wake(); // budget spent: let the connections run, then come back
    return PENDING;
  }

  /** Dropped before it completed (its task aborted): close everything. */
  drop(): void {
    if (!this.done) this.shutdown();
  }

  /** @internal {@link ConnectionHost}: a request arrived. */
  requestArrived(delayMs: number, message: string): void {
    const n = ++this.requests;
    if (this.log !== null) this.log.request(n, delayMs, message);
  }

  /** @internal {@link ConnectionHost}: a request was answered with an error status. */
  requestRefused(status: number, method: string | undefined, target: string | undefined, reason: string): void {
    this.refused++;
    if (this.log !== null) this.log.refused(status, method, target, reason);
  }

  /** @internal {@link ConnectionHost}: a connection has closed. */
  connectionClosed(connection: Connection): void {
    this.connections.delete(connection);
  }

  /** @internal {@link ConnectionHost}: a failure that is not the client's. */
  reportError(error: unknown): void {
    this.onError(error);
  }

  private open(stream: TcpStream, now: number): void {
    this.accepted++;
    const connection = new Connection(stream, this, now);
    this.connections.add(connection);
    connection.handle = spawn(connection);
  }

  private shutdown(): void {
    this.done = true;
    this.backoff?.drop?.();
    this.backoff = null;
    try {
      this.listener.close();
    } finally {
      for (const connection of [...this.connections]) connection.abort();
      this.log?.flush();
    }
  }
}

function checkMs(name: string, ms: number): number {
  if (typeof ms !== "number" || !(ms > 0) || ms === Infinity)
    throw new RangeError(`${name} must be a positive number of milliseconds, got ${String(ms)}`);
  return ms;
}
