/**
 * Streamed responses (`HttpClient.send`, `Http.stream`): the future completes once the status
 * line and headers have arrived, and the body is read piece by piece afterwards.
 *
 * Contract:
 * - `read()` completes with the next piece of the body (de-chunked; a fresh `Uint8Array` the
 *   caller may keep), or `null` at its end. Each piece is what one read from the socket brought:
 *   memory held is what the caller keeps, whatever the body's size. One read at a time.
 * - The body has no size limit unless `maxBodyBytes` was given; malformed or cut-off framing is
 *   an `HttpParseError`, as for a buffered response, and a TLS connection that ends without
 *   `close_notify` under a body read until the close is a `TlsError`.
 * - The connection goes back to the client's pool as soon as the body is complete (when the
 *   response allows it); `close()` gives up a body not read to its end (the connection is closed)
 *   and does nothing after the end. `[Symbol.dispose]` calls it, so `using` ends the exchange
 *   however the block ends. A response that is neither read to its end nor closed holds its
 *   connection (and one of the origin's permits) until it is.
 * - `bytes()`, `text()` and `json()` read the rest of the body and return it whole; for Promise
 *   code the response is an `AsyncIterable<Uint8Array>` (`for await`), whose early exit closes it.
 * - With a `signal`, an abort fails the read in progress (and every later one) with the signal's
 *   reason, and closes the connection.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { map } from "../future/map.js";
import type { Waker } from "../future/waker.js";
import { toPromise } from "../runtime/promise.js";
import { abortable } from "../sync/abort.js";
import { scratch } from "./client-request.js";
import type { HttpHeaders } from "./parse-headers.js";
import type { HttpResponse, ResponseHead, ResponseParser } from "./parse-response.js";
import type { Lease } from "./pool.js";

/**
 * Collects the body bytes one socket read decodes into one buffer (the parser's `onBody`), so a
 * read hands out one piece however many chunks it held.
 */
export class BodyPieces {
  private buf: Buffer | null = null;
  private len = 0;

  /** The parser's `onBody`: copies `data[start..end)` in. */
  readonly onData = (data: Buffer, start: number, end: number): void => {
    const n = end - start;
    let buf = this.buf;
    if (buf === null) {
      // What is left of the bytes being parsed bounds the body they can still hold.
      buf = this.buf = Buffer.allocUnsafe(Math.max(data.length - start, n));
      this.len = 0;
    } else if (this.len + n > buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.len + n, 2 * buf.length));
      buf.copy(grown, 0, 0, this.len);
      buf = this.buf = grown;
    }
    data.copy(buf, this.len, start, end);
    this.len += n;
  };

  /** The bytes collected since the last call, or null if none. */
  take(): Uint8Array | null {
    const buf = this.buf;
    if (buf === null) return null;
    this.buf = null;
    return this.len === buf.length ? buf : buf.subarray(0, this.len);
  }
}

/**
 * A response whose body is read as it arrives (from {@link HttpClient.send} or `Http.stream`).
 *
 * @example
 * ```ts
 * const res = yield* wait(Http.stream({ url: "http://127.0.0.1:8080/0/hello" }));
 * let size = 0;
 * for (let piece = yield* wait(res.read()); piece !== null; piece = yield* wait(res.read())) size += piece.length;
 * // or: const text = yield* wait(res.text());
 * ```
 */
export class HttpStreamResponse implements AsyncIterable<Uint8Array>, Disposable {
  /** The status code, 100..999. */
  readonly status: number;
  /** The reason phrase (`"OK"`), possibly empty. */
  readonly statusText: string;
  /** The header fields: case-insensitive `get`, repeated fields joined with `", "`. */
  readonly headers: HttpHeaders;
  private reading = false;
  /** The body is complete or given up: the lease has ended. */
  private done: boolean;
  /** What broke the body (an error, or the signal's reason): thrown again by every later read. */
  private failure: Error | undefined = undefined;

  /**
   * @internal Made by the client once the head has arrived; takes over the lease. `complete` is
   * the whole response if it arrived with the head (the lease has then ended already).
   */
  constructor(
    head: ResponseHead,
    private complete: HttpResponse | undefined,
    private readonly lease: Lease,
    private readonly parser: ResponseParser,
    private readonly pieces: BodyPieces,
    private readonly keepAlive: () => boolean,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.status = head.status;
    this.statusText = head.statusText;
    this.headers = head.headers;
    this.done = complete !== undefined;
  }

  /** True once the body has been read to its end, or given up (`close()`, an error, an abort). */
  get ended(): boolean {
    return this.done;
  }

  /** The trailer fields of a chunked body, once it has been read to its end (empty otherwise); throws before. */
  get trailers(): HttpHeaders {
    if (this.complete === undefined) throw new RuntimeError("the trailers are known once the body has been read to its end");
    return this.complete.trailers;
  }

  /** The next piece of the body, or `null` at its end. */
  read(): Future<Uint8Array | null> {
    const f = new ReadPiece(this);
    return this.signal === undefined ? f : abortable(f, this.signal);
  }

  /** The rest of the body, whole. */
  bytes(): Future<Uint8Array> {
    const f = new ReadAll(this);
    return this.signal === undefined ? f : abortable(f, this.signal);
  }

  /** The rest of the body decoded as UTF-8 (invalid sequences become U+FFFD). */
  text(): Future<string> {
    return map(this.bytes(), (b) => Buffer.from(b.buffer, b.byteOffset, b.length).toString("utf8"));
  }

  /** The rest of the body parsed as JSON. */
  json<T = unknown>(): Future<T> {
    return map(this.text(), (t) => JSON.parse(t) as T);
  }

  /** Gives up the rest of the body: the connection is closed unless the body was complete. Closing twice is a no-op. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.failure ??= new RuntimeError("the response was closed before its body was read to its end");
    this.lease.abandon();
  }

  /** `using` calls this: {@link close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** For Promise code: `for await (const piece of res)`; leaving the loop early closes the response. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      for (;;) {
        const piece = await toPromise(this.read());
        if (piece === null) return;
        yield piece;
      }
    } finally {
      this.close();
    }
  }

  /** @internal The next piece, `null` at the end, or `PENDING`. Throws what broke the body (again on later calls). */
  pollPiece(waker: Waker): Poll<Uint8Array | null> {
    if (this.failure !== undefined) throw this.failure;
    const ready = this.pieces.take();
    if (ready !== null) return ready;
    if (this.done) return null;
    const stream = this.lease.stream!;
    try {
      for (;;) {
        const n = stream.pollRead(waker, scratch, 0, scratch.length);
        if (n === PENDING) return PENDING;
        if (n === 0) {
          this.complete = this.parser.end();
          this.finish(false);
        } else {
          this.complete = this.parser.push(scratch.subarray(0, n));
          if (this.complete !== undefined) this.finish(this.keepAlive());
        }
        const piece = this.pieces.take();
        if (piece !== null) return piece;
        if (this.done) return null;
      }
    } catch (e) {
      this.failure = e as Error;
      this.done = true;
      this.lease.abandon();
      throw e;
    }
  }

  /** @internal Whether the request's signal has aborted. */
  abortedBySignal(): boolean {
    return this.signal?.aborted === true;
  }

  /** @internal Starts a read; only one at a time. */
  beginRead(): void {
    if (this.reading) throw new RuntimeError("HttpStreamResponse: another read is in progress");
    this.reading = true;
  }

  /** @internal Ends a read. An abort (the signal) closes the response. */
  endRead(aborted: boolean): void {
    this.reading = false;
    if (aborted) {
      this.failure ??= this.signal!.reason as Error;
      this.close();
    }
  }

  /** The body is complete: the connection goes back (or is closed). */
  private finish(keepAlive: boolean): void {
    this.done = true;
    this.lease.finish(keepAlive);
  }
}

class ReadPiece implements Future<Uint8Array | null> {
  private state = 0; // 0 not started, 1 reading, 2 done

  constructor(private readonly response: HttpStreamResponse) {}

  poll(waker: Waker): Poll<Uint8Array | null> {
    if (this.state === 2) pollAfterReady("HttpStreamResponse.read()");
    if (this.state === 0) {
      this.response.beginRead();
      this.state = 1;
    }
    let r: Poll<Uint8Array | null>;
    try {
      r = this.response.pollPiece(waker);
    } catch (e) {
      this.end(false);
      throw e;
    }
    if (r !== PENDING) this.end(false);
    return r;
  }

  drop(): void {
    // Dropped while reading: an abort, a timeout or a select that went another way. Nothing was
    // taken from the body that this read would have returned, so the response stays usable,
    // unless the signal aborted it.
    if (this.state === 1) this.end(this.response.abortedBySignal());
  }

  private end(aborted: boolean): void {
    this.state = 2;
    this.response.endRead(aborted);
  }
}

class ReadAll implements Future<Uint8Array> {
  private readonly parts: Uint8Array[] = [];
  private size = 0;
  private piece: ReadPiece;

  constructor(private readonly response: HttpStreamResponse) {
    this.piece = new ReadPiece(response);
  }

  poll(waker: Waker): Poll<Uint8Array> {
    for (;;) {
      const r = this.piece.poll(waker);
      if (r === PENDING) return PENDING;
      if (r === null) return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
      this.parts.push(r);
      this.size += r.length;
      // The next piece is a read of its own: the last one has ended.
      this.piece = new ReadPiece(this.response);
    }
  }

  drop(): void {
    this.piece.drop();
  }
}
