/**
 * `TcpStream`: a non-blocking TCP connection (the book's use of mio's `TcpStream`), a
 * {@link ByteStream} over its {@link Registration}.
 *
 * Contract:
 * - Reads and writes go by the readiness the reactor recorded (tokio's way): no syscall is spent
 *   to hear `EAGAIN` again, nor to hear 0 after the peer's FIN; the registration keeps the rule of
 *   edge-triggered readiness. `tryRead`/`tryWrite` are the raw syscalls.
 * - The stream joins the reactor the first time a task has to wait on it, for both directions, and
 *   leaves it at `close()`. A reader task and a writer task may share it: each direction has its
 *   own waker.
 * - A read of 0 bytes means end of stream, or an empty buffer (returned at once).
 * - Failures throw `IoError` with the errno name (`ECONNREFUSED`, `ECONNRESET`, `EPIPE`, ...).
 *   `close()` fails the operations waiting on the stream, and every later one, with `IoError`
 *   `ECANCELED`.
 *
 * @module
 */
import { IoError } from "../errors.js";
import { PENDING, type Future, type Poll } from "../future/future.js";
import { map } from "../future/map.js";
import type { Waker } from "../future/waker.js";
import { Interest, type Registration, type Source } from "../runtime/registration.js";
import { ERROR, READ_CLOSED } from "../runtime/token-table.js";
import * as sys from "../sys/index.js";
import type { ByteStream } from "./byte-stream.js";
import { Connect, TCP_STREAM } from "./connect.js";
import { StreamRead, StreamWrite } from "./stream-futures.js";

/**
 * A TCP connection.
 *
 * @example
 * ```ts
 * const stream = yield* wait(TcpStream.connect("127.0.0.1:8080"));
 * yield* wait(stream.writeAll(new TextEncoder().encode("GET /0/hi HTTP/1.1\r\n\r\n")));
 * const buf = new Uint8Array(4096);
 * const n = yield* wait(stream.read(buf)); // 0 = the peer closed
 * stream.close();
 * ```
 */
export class TcpStream implements Source, ByteStream {
  /**
   * The peer's FIN had arrived before a read that then took less than it asked for: that read
   * took the last bytes, and every read from now on returns 0 without a syscall.
   */
  private atEnd = false;

  /** @internal Wraps a connected socket's registration (see `TcpListener` and `connect`). */
  constructor(private readonly registration: Registration) {}

  /**
   * Connects to `address` ("127.0.0.1:8080", "[::1]:8080", "localhost:8080", "db.internal:5432"
   * or `{ host, port }`). For `localhost` the IPv4 address is tried first, then IPv6. A hostname is
   * looked up without blocking the executor (as `lookup`), then its addresses are raced the Happy
   * Eyeballs way (RFC 8305): the next one 250 ms after the last attempt started, or at once when
   * one fails; each address gets 10 s. The future's `close()` gives the connect up from another
   * task.
   *
   * @throws from the future: `IoError` naming the address (`connect ECONNREFUSED 127.0.0.1:8080`,
   *   with `address` and `port`); `DnsError` (`ENOTFOUND`, ...) for a name that does not resolve;
   *   `InvalidAddressError` for a malformed address.
   *
   * @example
   * ```ts
   * const stream = yield* wait(TcpStream.connect("localhost:8080"));
   * ```
   */
  static connect(address: sys.AddressInput): ConnectFuture {
    return new ConnectFuture(address);
  }

  /** The socket's file descriptor. */
  get fd(): number {
    return this.registration.fd;
  }

  /** The reactor token of this stream. */
  get id(): number {
    return this.registration.token;
  }

  /** For errors and task dumps (see `stream-futures.ts`). */
  get kind(): string {
    return "TcpStream";
  }

  /** Which stream, for task dumps. */
  get where(): string {
    return `fd ${this.fd}`;
  }

  /** True until `close()`. */
  get isOpen(): boolean {
    return this.registration.isOpen;
  }

  /** Reads into `buf`; completes with the byte count, 0 at end of stream (or for an empty `buf`). */
  read(buf: Uint8Array): Future<number> {
    return new StreamRead(this, buf);
  }

  /** Writes some of `buf`; completes with how many bytes were written. */
  write(buf: Uint8Array): Future<number> {
    return new StreamWrite(this, buf, false);
  }

  /** Writes all of `buf`. */
  writeAll(buf: Uint8Array): Future<void> {
    return map(new StreamWrite(this, buf, true), () => undefined);
  }

  /**
   * Reads what is there without waiting: bytes read, 0 at end of stream, or `sys.WOULD_BLOCK`.
   * The raw syscall: it leaves the readiness alone (use {@link pollRead} in futures).
   */
  tryRead(buf: Uint8Array, off = 0, len = buf.length - off): number {
    this.check("read");
    return sys.read(this.fd, buf, off, len);
  }

  /**
   * Reads by readiness, for leaf futures ({@link ByteStream.pollRead}): bytes read, 0 at end of
   * stream or for `len` 0, or `PENDING` with `waker` stored. A read is tried only when an event
   * reported the stream readable, closed or failed since the readiness was last cleared.
   */
  pollRead(waker: Waker, buf: Uint8Array, off = 0, len = buf.length - off): Poll<number> {
    if (this.atEnd || len === 0) {
      this.check("read");
      return 0;
    }
    const r = this.registration;
    for (;;) {
      const ready = r.pollReadReady(waker);
      if (ready === PENDING) return PENDING;
      const n = sys.read(r.fd, buf, off, len);
      r.afterRead(ready, n, len);
      if (n === sys.WOULD_BLOCK) continue;
      // The FIN had arrived before this read, which took less than it could: it took the last bytes.
      if (n < len && (ready & (READ_CLOSED | ERROR)) === READ_CLOSED) this.atEnd = true;
      return n;
    }
  }

  /** Writes what fits without waiting: bytes written or `sys.WOULD_BLOCK` (the raw syscall). */
  tryWrite(buf: Uint8Array, off = 0, len = buf.length - off): number {
    this.check("write");
    return sys.write(this.fd, buf, off, len);
  }

  /**
   * Writes by readiness, for leaf futures ({@link ByteStream.pollWrite}): bytes written (0 for
   * `len` 0), or `PENDING` with `waker` stored.
   */
  pollWrite(waker: Waker, buf: Uint8Array, off = 0, len = buf.length - off): Poll<number> {
    if (len === 0) {
      this.check("write");
      return 0;
    }
    const r = this.registration;
    for (;;) {
      const ready = r.pollWriteReady(waker);
      if (ready === PENDING) return PENDING;
      const n = sys.write(r.fd, buf, off, len);
      r.afterWrite(ready, n, len);
      if (n !== sys.WOULD_BLOCK) return n;
    }
  }

  /**
   * @internal The stream's readiness word: what its events reported since the readiness was last
   * cleared. Test it with the bits of `token-table.ts`.
   */
  readiness(): number {
    return this.registration.readiness();
  }

  /** Stores `waker` to be woken when the stream may be readable (the book's `set_waker`), registering it if needed. */
  waitReadable(waker: Waker): void {
    this.registration.register();
    this.registration.setWaker(waker, Interest.READABLE);
  }

  /** Stores `waker` to be woken when the stream may be writable, registering it if needed. */
  waitWritable(waker: Waker): void {
    this.registration.register();
    this.registration.setWaker(waker, Interest.WRITABLE);
  }

  /** Half-closes the connection: no more writes (`shutdown(SHUT_WR)`); the peer reads end of stream. */
  shutdown(): void {
    this.check("shutdown");
    sys.shutdown(this.fd, sys.SHUT_WR);
  }

  /** {@link ByteStream.pollFlush}: a write is handed to the kernel whole, so there is never anything left to flush. */
  pollFlush(_waker: Waker): Poll<void> {
    this.check("write");
    return undefined;
  }

  /**
   * {@link shutdown} as {@link ByteStream.pollShutdown}: a write is handed to the kernel whole, so
   * there is nothing to wait for (and shutting down twice is harmless).
   */
  pollShutdown(_waker: Waker): Poll<void> {
    this.shutdown();
    return undefined;
  }

  /**
   * Forgets the wakers stored for the stream, which stays open and registered: events still record
   * its readiness and wake nobody. For a connection kept idle (a pool's): it holds no task's waker,
   * so it keeps no executor waiting and hides no deadlock.
   */
  releaseWakers(): void {
    this.registration.releaseWakers();
  }

  /** Deregisters, then closes; the tasks waiting on the stream fail with `IoError` `ECANCELED`. Closing twice is a no-op. */
  close(): void {
    this.registration.close();
  }

  /** Closes, as {@link close} does: `using stream = yield* wait(TcpStream.connect(...))`. */
  [Symbol.dispose](): void {
    this.registration.close();
  }

  private check(op: string): void {
    if (!this.registration.isOpen) throw IoError.canceled(op, TCP_STREAM.source);
  }
}

/**
 * The future of {@link TcpStream.connect}: completes with the connected stream. `close()` gives the
 * connect up from another task: the task waiting on it fails with `IoError` `ECANCELED`.
 *
 * @example
 * ```ts
 * const connecting = TcpStream.connect("10.0.0.1:80");
 * spawn(coroutine(function* () { yield* wait(sleep(1000)); connecting.close(); }));
 * try { yield* wait(connecting); } catch (e) { (e as IoError).code; } // "ECANCELED" after a second
 * ```
 */
export class ConnectFuture extends Connect<TcpStream> {
  protected wrap(registration: Registration): TcpStream {
    return new TcpStream(registration);
  }
}
