/**
 * One client connection of the delay server: a hand-written `Future<void>` that reads requests,
 * answers each after its delay, and finishes when the connection is over. The server spawns one
 * task per connection; there is no other per-connection or per-request task, closure or promise.
 *
 * Contract:
 * - Requests are answered in the order they arrived (HTTP/1.1 pipelining), each at `arrival +
 *   delay` or, if an earlier answer is later than that, right after it. Up to {@link MAX_QUEUED}
 *   requests are held at once; past that (or {@link READ_CAP} buffered bytes) the connection stops
 *   reading until answers go out, and reads again as soon as they have: however many requests
 *   one write holds, none waits for a timeout.
 * - `HEAD` is answered like `GET` without the body. A request with `Expect: 100-continue` whose
 *   body has not arrived gets `100 Continue` (in order, after the answers due before it) if it
 *   will be served, else its final answer at once, as the last (RFC 9110 §10.1.1). Every request
 *   is reported to the host as it arrives: `requestArrived` for a 200, `requestRefused` for an
 *   error status (the log lines).
 * - End of stream (the client half-closed or left): every request received before it is answered,
 *   in order, as long as its answer is due; when an answer still has a delay to run, the client
 *   did not wait for it and the connection closes at once (its timer is dropped, its fd
 *   deregistered and closed), as nginx does ("client closed request"). While answers are pending
 *   the socket is still read, so a disconnect is seen at once. An error (`ECONNRESET`) closes
 *   at once too.
 * - Deadlines: a request's head, and its body, must arrive within `headerTimeoutMs` (from the
 *   connection's start for the first request; from the first byte otherwise, or from when the
 *   answers ahead of it went out); an idle keep-alive connection is closed after
 *   `idleTimeoutMs`; a client that reads nothing while an answer waits to be sent is dropped
 *   after `headerTimeoutMs` in which none of the waiting output was taken. Expiry closes
 *   without an answer.
 * - Output is bounded: answers are written only once what is pending has gone, so the
 *   connection holds at most one output buffer's worth ({@link OUT_BYTES}) of unsent bytes, plus
 *   what the kernel holds, which the server bounds with the listener's send buffer (see
 *   delay-server.ts): a client that does not read runs into `EAGAIN` early, not after megabytes.
 * - `Connection: close` (or HTTP/1.0 without keep-alive) is honoured: its answer is the last, then
 *   the connection closes. A request the parser refuses (`HttpRequestError`: 400 malformed, 431
 *   headers too large, ...) is answered with that status and `Connection: close`; the close then
 *   *lingers* (shut down the sending side, read and drop whatever the client still sends, until it
 *   closes or {@link LINGER_MS}), so that closing with unread bytes does not reset the connection
 *   before the client has read the answer.
 * - Socket errors (`ECONNRESET`, `EPIPE`, ...) end the connection quietly; anything else is a bug,
 *   reported through the host and the connection is closed.
 *
 * Implementation notes:
 * - The connection talks to a {@link ByteStream} (a `TcpStream` now, a TLS stream later) through
 *   its polls; the stream registers with the reactor lazily, the first time the connection has to
 *   wait on it. Whether the first poll reads at once is decided when the stream is accepted:
 *   when the listener defers accepts until data has arrived (`TCP_DEFER_ACCEPT`), the stream
 *   assumes it is readable, so the first poll reads and the stream registers only if the
 *   connection has to wait: a `Connection: close` request is then read, answered and closed with
 *   no `epoll_ctl` and no reactor event at all. With a plain listener the request is rarely there
 *   yet, and the first poll only registers (a read would nearly always say `EAGAIN`).
 * - Reads go into one scratch buffer shared by every connection of the thread (polls never
 *   overlap). Complete simple requests are taken from it in place (request-head.ts); anything
 *   else, and everything after it, is copied into the general request parser. Answers due
 *   together are written one after the other into a shared output buffer and sent with one
 *   write. Only bytes the stream did not take are copied into a buffer of the connection's own.
 * - Reads stop at a short read (fewer bytes than asked: the socket held no more at that moment;
 *   the stream clears its readiness, and any byte that arrives later raises a new edge), saving
 *   the `read` that would only say `EAGAIN` (a third of the syscalls of a keep-alive request).
 *   Before the connection waits it polls the stream once more, which costs no syscall: it stores
 *   the waker and looks at the readiness, where a FIN that came with the data being served is
 *   still recorded, so a disconnect while an answer waits is never missed.
 * - One timer per connection, re-armed lazily: it sleeps until the earliest of the next answer's
 *   due time and the current deadline; when a deadline moves later (every keep-alive request
 *   moves the idle deadline) the timer is left alone and, when it fires early, is re-armed for what
 *   is then needed. A timer that must fire *earlier* is replaced. So a busy keep-alive connection
 *   costs one timer operation every few seconds, not two per request.
 *
 * @module
 */
import { IoError } from "../errors.js";
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { latin1 } from "../http/parse-buffer.js";
import { HttpRequestError, RequestParser } from "../http/parse-request.js";
import type { ByteStream } from "../net/byte-stream.js";
import type { JoinHandle } from "../runtime/task.js";
import type { Waker } from "../future/waker.js";
import { sleep } from "../time/sleep.js";
import { SimpleHead } from "./request-head.js";
import { responseBound, writeContinue, writeResponse } from "./response.js";
import { route } from "./route.js";

/** Requests held (parsed, not yet answered) per connection before it stops reading. */
export const MAX_QUEUED = 64;
/** Bytes held in the parser (received, not yet parsed into a request) before the connection stops reading. */
export const READ_CAP = 64 * 1024;
/** The longest a closing connection waits for the client to finish sending. */
export const LINGER_MS = 2_000;
/** The largest request body accepted (the delay server expects none; the body is read and ignored). */
export const MAX_BODY_BYTES = 64 * 1024;

/** The shared output buffer's size: the most a connection keeps of answers the stream did not take (one answer may be larger). */
export const OUT_BYTES = 64 * 1024;

/** Scratch memory shared by every connection on this thread: a poll never overlaps another. */
const IN = Buffer.allocUnsafe(64 * 1024);
const OUT = Buffer.allocUnsafe(OUT_BYTES);
const HEAD = new SimpleHead();

/** What a connection needs from the server that owns it. */
export interface ConnectionHost {
  /** Closes an idle keep-alive connection after this long (ms). */
  readonly idleTimeoutMs: number;
  /** Drops a connection whose request head has not arrived after this long (ms). */
  readonly headerTimeoutMs: number;
  /** Called once per routed request, as it arrives (the log line and the request count). */
  requestArrived(delayMs: number, message: string): void;
  /**
   * Called once per request answered with an error status, as it is queued (the log line):
   * `method` and `target` as received, `undefined` when the request line could not be read;
   * `reason` the body sent.
   */
  requestRefused(status: number, method: string | undefined, target: string | undefined, reason: string): void;
  /** Called once when the connection has closed. */
  connectionClosed(connection: Connection): void;
  /** A failure that is not the client's (a bug): the connection is closed after this. */
  reportError(error: unknown): void;
}

/** An answer waiting for its time: due at `due` (the `performance.now()` clock). */
class Reply {
  constructor(
    readonly due: number,
    readonly status: number,
    readonly body: string,
    readonly keepAlive: boolean,
    /** The request was `HEAD`: the body is counted, not sent. */
    readonly head = false,
  ) {}
}

/** Writes `reply` at `buf[off..]` (`status` 100: the interim `100 Continue`); see `writeResponse`. */
function writeReply(buf: Buffer, off: number, reply: Reply): number {
  return reply.status === 100 ? writeContinue(buf, off) : writeResponse(buf, off, reply.status, reply.body, reply.keepAlive, reply.head);
}

/**
 * The future that serves one connection; it completes when the connection has been closed.
 *
 * @example
 * ```ts
 * // in the server's accept loop (inside a poll), for a stream from listener.pollAccept(waker):
 * const connection = new Connection(stream, host, performance.now());
 * connection.handle = spawn(connection);
 * // later, to close it from the server: connection.abort();
 * ```
 */
export class Connection implements Future<void> {
  /** The task serving this connection, set by whoever spawned it; used by {@link abort}. */
  handle: JoinHandle<void> | null = null;

  /** The general parser, created for the first request the fast path does not take. */
  private parser: RequestParser | null = null;
  private readonly queue: Reply[] = [];
  /** Bytes of sent answers the kernel has not taken yet, from `pendingOff`. */
  private pending: Buffer | null = null;
  private pendingOff = 0;
  /** When the stream last took some of the pending bytes (the no-progress deadline counts from here). */
  private writeSince = 0;
  private timer: Future<void> | null = null;
  private timerAt = Infinity;
  /**
   * Where the current request's header timeout counts from: the connection's start, then the
   * first byte of each request, or when the answers ahead of it went out if that is later.
   */
  private headStart: number;
  /** When the connection last became idle (every answer sent, nothing buffered). */
  private idleSince = 0;
  /** Requests received so far (routed, or refused once their head was read). */
  private requests = 0;
  /** No more requests are taken: a `Connection: close` request or a refused one was queued. */
  private noMore = false;
  /** The close must linger: the client may still be sending. */
  private lingerClose = false;
  private lingerUntil = -1;
  private eof = false;
  private closed = false;

  /** @param stream - an accepted connection; the connection owns it from now on. */
  constructor(
    private readonly stream: ByteStream,
    private readonly host: ConnectionHost,
    now: number,
  ) {
    this.headStart = now;
  }

  /** Number of requests received and not answered yet. */
  get queued(): number {
    return this.queue.length;
  }

  poll(waker: Waker): Poll<void> {
    if (this.closed) pollAfterReady("delay server connection");
    let done: boolean;
    try {
      done = this.lingerUntil >= 0 ? this.linger(waker, performance.now()) : this.step(waker, performance.now());
    } catch (e) {
      if (!(e instanceof IoError)) this.host.reportError(e);
      done = true;
    }
    if (!done) return PENDING;
    this.close();
    return undefined;
  }

  /** Called when the task is dropped (aborted, or its executor ends): closes the connection. */
  drop(): void {
    this.close();
  }

  /** Ends the connection now, from outside its task (server shutdown): the task is aborted and dropped. */
  abort(): void {
    if (this.handle !== null) this.handle.abort();
    else this.close();
  }

  /** One poll: read, parse, answer what is due, then wait. Returns true when the connection is over. */
  private step(waker: Waker, now: number): boolean {
    for (let round = 0; ; round++) {
      // Every round after the first goes on because the one before made progress. The task's
      // budget bounds how many rounds one poll runs, so that one connection cannot hold the
      // thread; when it is spent the task is woken, to go on after the others have had a turn.
      if (round > 0 && !waker.consumeBudget()) {
        waker.wake();
        return false;
      }
      const reading = !this.eof && this.buffered() < READ_CAP && this.queue.length < MAX_QUEUED;
      // Whether the stream holds the waker for reading (its poll said PENDING).
      const waiting = reading && this.fill(waker, now);
      const parsedAll = this.noMore || this.parse(now);
      const answered = this.answer(waker, now);
      if (this.eof) {
        // The client has sent everything it will: answer, in order, what it sent, unless an
        // answer has a delay still to run, which it did not wait for (see the contract).
        if (this.pending === null && (this.queue.length === 0 ? parsedAll : this.queue[0]!.due > now)) return true;
      } else if (this.noMore && this.queue.length === 0 && this.pending === null) {
        if (!this.lingerClose && !this.partial()) return true;
        return this.startLinger(waker, now);
      }
      // Reading or parsing stopped because the queue or the buffer was full, and answers made room.
      if (answered > 0 && (!reading || !parsedAll)) continue;
      // Reading stopped at a short read: poll once more before waiting (see the notes); what
      // came in between is served first.
      if (reading && parsedAll && !waiting && !this.fill(waker, now)) continue;
      return this.wait(waker, now);
    }
  }

  /**
   * Reads until a short read, `PENDING` or end of stream, taking requests out of what arrives.
   * Returns true when the stream said `PENDING` (the waker is stored, or the budget is spent and
   * the task woken).
   */
  private fill(waker: Waker, now: number): boolean {
    for (;;) {
      const n = this.stream.pollRead(waker, IN, 0, IN.length);
      if (n === PENDING) return true;
      if (n === 0) {
        this.eof = true;
        return false;
      }
      if (this.noMore) {
        // Bytes after the last request we will answer: dropped, and the close must linger.
        this.lingerClose = true;
      } else {
        // Body bytes are consumed as they arrive, so the parser may hold none mid-request: ask it.
        const partial = this.partial();
        // A new request starts: its head has the header timeout from now (the first request's, from the start).
        if (!partial && this.requests > 0) this.headStart = now;
        // The fast path reads fresh bytes only between requests: order is kept, and body bytes
        // that look like a request stay a body.
        const taken = partial ? 0 : this.takeSimple(n, now);
        if (taken < n) {
          if (this.noMore) this.lingerClose = true;
          else this.generalParser().push(IN.subarray(taken, n));
        }
        if (this.buffered() >= READ_CAP) return false;
      }
      if (n < IN.length) return false;
    }
  }

  /** Queues the simple requests at the start of `IN[0..n)` (see request-head.ts); returns the bytes they took. */
  private takeSimple(n: number, now: number): number {
    const text = latin1(IN, 0, n);
    let pos = 0;
    while (pos < text.length && this.queue.length < MAX_QUEUED) {
      const next = HEAD.parse(text, pos);
      if (next < 0) break;
      pos = next;
      this.enqueue("GET", HEAD.target, HEAD.keepAlive, now);
      if (this.noMore) break;
    }
    return pos;
  }

  /** Takes complete requests out of the general parser into the queue. Returns false if it stopped because the queue is full. */
  private parse(now: number): boolean {
    const parser = this.parser;
    if (parser === null) return true;
    while (this.queue.length < MAX_QUEUED) {
      let request;
      try {
        request = parser.next();
      } catch (e) {
        if (!(e instanceof HttpRequestError)) throw e;
        this.host.requestRefused(e.status, undefined, undefined, e.message);
        this.queue.push(new Reply(now, e.status, `${e.status} ${e.message}\n`, false));
        this.noMore = true;
        this.lingerClose = true;
        return true;
      }
      if (request === undefined) {
        const head = parser.takeContinue();
        if (head !== undefined) this.expectContinue(head.method, head.target, now);
        return true;
      }
      this.enqueue(request.method, request.target, request.keepAlive, now);
      if (this.noMore) return true;
    }
    return false;
  }

  /** Routes one request and queues its answer; the last one if it does not keep the connection alive. */
  private enqueue(method: string, target: string, keepAlive: boolean, now: number): void {
    this.requests++;
    const routed = route(method, target);
    let due = now;
    if (routed.status === 200) {
      this.host.requestArrived(routed.delayMs, routed.body);
      due += routed.delayMs;
    } else this.host.requestRefused(routed.status, method, target, routed.body);
    this.queue.push(new Reply(due, routed.status, routed.body, keepAlive, method === "HEAD"));
    if (!keepAlive) this.noMore = true;
  }

  /**
   * A request waits for `100 Continue` before sending its body (RFC 9110 §10.1.1): queue the 100
   * if it will be served, else its final answer now, as the last one (its body may be on the way,
   * so the close lingers). Either goes out in order, after the answers due before it.
   */
  private expectContinue(method: string, target: string, now: number): void {
    const routed = route(method, target);
    if (routed.status === 200) {
      this.queue.push(new Reply(now, 100, "", true));
      return;
    }
    this.requests++;
    this.host.requestRefused(routed.status, method, target, routed.body);
    this.queue.push(new Reply(now, routed.status, routed.body, false, method === "HEAD"));
    this.noMore = true;
    this.lingerClose = true;
  }

  /** Writes every answer that is due, in order, in as few sends as fit. Returns how many were taken. */
  private answer(waker: Waker, now: number): number {
    if (this.pending !== null) {
      if (!this.flushPending(waker, now)) return 0;
      if (this.queue.length === 0) this.idleSince = now;
    }
    const queue = this.queue;
    let taken = 0;
    let off = 0;
    while (queue.length > 0 && queue[0]!.due <= now) {
      const reply = queue[0]!;
      const end = writeReply(OUT, off, reply);
      if (end < 0) {
        if (off > 0) {
          // The output buffer is full: send it, then go on with an empty one.
          if (!this.send(OUT, 0, off, waker, now)) return this.noteAnswered(taken, now);
          off = 0;
          continue;
        }
        // One answer larger than the whole output buffer (not possible within the head limit, but cheap to handle).
        const big = Buffer.allocUnsafe(responseBound(reply.body));
        const bigEnd = writeReply(big, 0, reply);
        queue.shift();
        taken++;
        if (!this.send(big, 0, bigEnd, waker, now)) return this.noteAnswered(taken, now);
        continue;
      }
      off = end;
      queue.shift();
      taken++;
    }
    if (off > 0) this.send(OUT, 0, off, waker, now);
    return this.noteAnswered(taken, now);
  }

  /** Notes that `taken` answers went out (or into `pending`); returns `taken`. */
  private noteAnswered(taken: number, now: number): number {
    if (taken > 0 && this.queue.length === 0 && this.pending === null) {
      // Every answer is out: the connection is idle, or waiting for the rest of a request whose
      // head's time starts now (it could not be served before the answers ahead of it).
      this.idleSince = this.headStart = now;
    }
    return taken;
  }

  /** Sends `buf[off..end)`; what the stream does not take is copied to `pending`. Returns true when all was sent. */
  private send(buf: Buffer, off: number, end: number, waker: Waker, now: number): boolean {
    while (off < end) {
      const n = this.stream.pollWrite(waker, buf, off, end - off);
      if (n !== PENDING) {
        off += n;
        continue;
      }
      this.pending = Buffer.from(buf.subarray(off, end));
      this.pendingOff = 0;
      this.writeSince = now;
      return false;
    }
    return true;
  }

  /** Sends what is pending. Returns true once it is all sent. */
  private flushPending(waker: Waker, now: number): boolean {
    const pending = this.pending!;
    let off = this.pendingOff;
    while (off < pending.length) {
      const n = this.stream.pollWrite(waker, pending, off, pending.length - off);
      if (n !== PENDING) {
        off += n;
        this.writeSince = now;
        continue;
      }
      this.pendingOff = off;
      return false;
    }
    this.pending = null;
    this.pendingOff = 0;
    return true;
  }

  /**
   * Arms the timer for what comes next: the next answer's due time, or the deadline that applies.
   * Returns true when that deadline has passed (the connection is dropped).
   */
  private wait(waker: Waker, now: number): boolean {
    let at: number;
    if (this.pending !== null) at = this.writeSince + this.host.headerTimeoutMs;
    else if (this.queue.length > 0) at = this.queue[0]!.due;
    else if (this.requests === 0 || this.partial()) at = this.headStart + this.host.headerTimeoutMs;
    else at = this.idleSince + this.host.idleTimeoutMs;
    if (at <= now) return true;
    this.arm(waker, at, now);
    return false;
  }

  /** Makes sure the timer wakes the task at `at` or before (see the implementation notes). */
  private arm(waker: Waker, at: number, now: number): void {
    let timer = this.timer;
    if (timer !== null && this.timerAt > at) {
      timer.drop?.();
      timer = this.timer = null;
    }
    for (;;) {
      if (timer === null) {
        timer = this.timer = sleep(at - now);
        this.timerAt = at;
      }
      if (timer.poll(waker) === PENDING) return;
      // It fired before `at` (armed for an earlier deadline that has since moved): arm it again.
      timer = this.timer = null;
      now = performance.now();
      if (at <= now) {
        waker.wake();
        return;
      }
    }
  }

  /** Starts a lingering close: no more sending; read and drop until the client closes or time runs out. */
  private startLinger(waker: Waker, now: number): boolean {
    this.lingerUntil = now + Math.min(LINGER_MS, this.host.headerTimeoutMs);
    try {
      // A TCP stream's shutdown never waits (a TLS one would, for its close_notify).
      this.stream.pollShutdown(waker);
    } catch {
      return true; // not connected any more: nothing to wait for
    }
    return this.linger(waker, now);
  }

  private linger(waker: Waker, now: number): boolean {
    if (now >= this.lingerUntil) return true;
    for (;;) {
      const n = this.stream.pollRead(waker, IN, 0, IN.length);
      if (n === 0) return true;
      if (n === PENDING) break;
    }
    this.arm(waker, this.lingerUntil, now);
    return false;
  }

  /** The bytes the general parser holds (received, not yet a request). */
  private buffered(): number {
    return this.parser === null ? 0 : this.parser.buffered;
  }

  /** Whether a request is partly received (bytes of its head, or a head whose body has not all come). */
  private partial(): boolean {
    return this.parser !== null && this.parser.partial;
  }

  private generalParser(): RequestParser {
    return (this.parser ??= new RequestParser({ maxBodyBytes: MAX_BODY_BYTES }));
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    const timer = this.timer;
    this.timer = null;
    try {
      timer?.drop?.();
      this.stream.close();
    } finally {
      this.host.connectionClosed(this);
    }
  }
}
