/**
 * `TcpStream`: a non-blocking TCP connection registered with the reactor (the book's use of mio's
 * `TcpStream`).
 *
 * Contract:
 * - Reads go by the readiness the reactor recorded (tokio's way, {@link TcpStream.pollRead}): no
 *   syscall is spent to hear `EAGAIN` again, nor to hear 0 after the peer's FIN. Writes try the
 *   syscall first (a socket is nearly always writable) and, on `EAGAIN`, store the waker and retry
 *   once. `tryRead`/`tryWrite` are the raw syscalls.
 * - The stream is registered once, for both directions, when it is created, and stays registered
 *   until `close()`, which deregisters, then closes. A reader task and a writer task may share it:
 *   each direction has its own waker.
 * - Failures throw `IoError` with the errno name (`ECONNREFUSED`, `ECONNRESET`, `EPIPE`, ...).
 *
 * @module
 */
import { RuntimeError } from "../errors.js";
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { map } from "../future/map.js";
import { reactor } from "../runtime/init.js";
import { Interest, type Reactor, type Source } from "../runtime/reactor.js";
import { ERROR, HANGUP, READABLE, READ_CLOSED, WRITABLE } from "../runtime/token-table.js";
import type { Waker } from "../future/waker.js";
import * as sys from "../sys/index.js";
import { deregisterAndClose } from "./close.js";
import { ConnectFuture } from "./connect.js";

/** Readiness that a read should look at: data, an error, or the end of the stream. */
const READ_ANY = READABLE | ERROR | HANGUP | READ_CLOSED;

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
export class TcpStream implements Source {
  /** The reactor token of this stream. */
  readonly id: number;
  private open = true;
  /**
   * The peer's FIN had arrived before a read that then took less than it asked for: that read
   * took the last bytes, and every read from now on returns 0 without a syscall.
   */
  private atEnd = false;
  /** This thread's reactor (a stream stays on the thread that made it). */
  private readonly reactor: Reactor;

  /**
   * @internal Wraps a socket fd. `"connecting"`: the caller registers it later with
   * {@link addToReactor} (see connect.ts). `"accepted"`: registered now, and the first read and
   * write are tried at once, as data is usually there already (the epoll event that says so comes
   * through the reactor thread a little later).
   */
  constructor(
    readonly fd: number,
    origin: "accepted" | "connecting",
  ) {
    const r = (this.reactor = reactor());
    this.id = r.nextId();
    if (origin === "connecting") return;
    try {
      this.addToReactor();
    } catch (e) {
      this.close();
      throw e;
    }
    r.assumeReady(this.id, READABLE | WRITABLE);
  }

  /** @internal Adds the fd to the epoll set, for both directions. */
  addToReactor(): void {
    this.reactor.register(this, Interest.READABLE | Interest.WRITABLE, this.id);
  }

  /**
   * Connects to `address` ("127.0.0.1:8080", "[::1]:8080", "localhost:8080" or `{ host, port }`).
   * For `localhost` the IPv4 address is tried first, then IPv6.
   */
  static connect(address: sys.AddressInput): Future<TcpStream> {
    return new ConnectFuture(address, (fd) => new TcpStream(fd, "connecting"));
  }

  /** True until `close()`. */
  get isOpen(): boolean {
    return this.open;
  }

  /** Reads into `buf`; completes with the byte count, 0 at end of stream. */
  read(buf: Uint8Array): Future<number> {
    return new ReadFuture(this, buf);
  }

  /** Writes some of `buf`; completes with how many bytes were written. */
  write(buf: Uint8Array): Future<number> {
    return new WriteFuture(this, buf, false);
  }

  /** Writes all of `buf`. */
  writeAll(buf: Uint8Array): Future<void> {
    return map(new WriteFuture(this, buf, true), () => undefined);
  }

  /**
   * Reads what is there without waiting: bytes read, 0 at end of stream, or `sys.WOULD_BLOCK`.
   * Leaf futures use this with {@link waitReadable} to avoid a future per read.
   */
  tryRead(buf: Uint8Array, off = 0, len = buf.length - off): number {
    this.check();
    return sys.read(this.fd, buf, off, len);
  }

  /**
   * @internal Reads by readiness, for leaf futures: bytes read, 0 at end of stream, or `PENDING`
   * with `waker` stored. A read is tried only when an event reported the stream readable, closed
   * or failed since the last `EAGAIN` (which clears that readiness); with nothing reported the
   * waker is stored and the readiness looked at once more (an event that landed in between is seen
   * there). So no syscall is spent to hear `EAGAIN` again, nor, after the peer's FIN, to hear 0.
   */
  pollRead(waker: Waker, buf: Uint8Array, off = 0, len = buf.length - off): Poll<number> {
    // Checked once here: the loop below goes to the reactor directly.
    this.check();
    if (this.atEnd) return 0;
    const r = this.reactor;
    let stored = false;
    for (;;) {
      const ready = r.readiness(this.id);
      if ((ready & READ_ANY) === 0) {
        if (stored) return PENDING;
        r.setWaker(waker, this.id, Interest.READABLE);
        stored = true;
        continue;
      }
      const n = sys.read(this.fd, buf, off, len);
      if (n === sys.WOULD_BLOCK) {
        // EAGAIN also says there is no end of stream and no error pending: clear them all, so a
        // stale hang-up cannot make this loop spin.
        r.clearReadiness(this.id, ready, READ_ANY);
        continue;
      }
      if (n < len && (ready & (READ_CLOSED | ERROR)) === READ_CLOSED) this.atEnd = true;
      return n;
    }
  }

  /** Writes what fits without waiting: bytes written or `sys.WOULD_BLOCK`. */
  tryWrite(buf: Uint8Array, off = 0, len = buf.length - off): number {
    this.check();
    return sys.write(this.fd, buf, off, len);
  }

  /**
   * @internal The stream's readiness word (`Reactor.readiness`): what its events reported since
   * the last {@link clearReadiness}. Test it with the bits of `token-table.ts`.
   */
  readiness(): number {
    // A closed stream's token may already serve another source: refuse before reading it.
    this.check();
    return this.reactor.readiness(this.id);
  }

  /** Stores `waker` to be woken when the stream may be readable (the book's `set_waker`). */
  waitReadable(waker: Waker): void {
    this.check();
    this.reactor.setWaker(waker, this.id, Interest.READABLE);
  }

  /** Stores `waker` to be woken when the stream may be writable. */
  waitWritable(waker: Waker): void {
    this.check();
    this.reactor.setWaker(waker, this.id, Interest.WRITABLE);
  }

  /** Half-closes the connection: no more writes (`shutdown(SHUT_WR)`); the peer reads end of stream. */
  shutdown(): void {
    this.check();
    sys.shutdown(this.fd, sys.SHUT_WR);
  }

  /** Deregisters, then closes. Closing twice is a no-op. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    deregisterAndClose(this, this.id);
  }

  private check(): void {
    if (!this.open) throw new RuntimeError("the TcpStream is closed");
  }
}

class ReadFuture implements Future<number> {
  private done = false;
  constructor(
    private readonly stream: TcpStream,
    private readonly buf: Uint8Array,
  ) {}

  poll(waker: Waker): Poll<number> {
    if (this.done) pollAfterReady("TcpStream.read()");
    const n = this.stream.pollRead(waker, this.buf);
    if (n !== PENDING) this.done = true;
    return n;
  }

  describe(): string {
    return `TcpStream.read fd ${this.stream.fd}`;
  }
}

class WriteFuture implements Future<number> {
  private written = 0;
  private done = false;
  constructor(
    private readonly stream: TcpStream,
    private readonly buf: Uint8Array,
    private readonly all: boolean,
  ) {}

  poll(waker: Waker): Poll<number> {
    if (this.done) pollAfterReady(this.all ? "TcpStream.writeAll()" : "TcpStream.write()");
    const len = this.buf.length;
    let stored = false;
    while (this.written < len) {
      const n = this.stream.tryWrite(this.buf, this.written, len - this.written);
      if (n !== sys.WOULD_BLOCK) {
        this.written += n;
        if (!this.all) break;
      } else if (stored) {
        return PENDING;
      } else {
        // Store the waker, then try once more: the buffer may have drained in between.
        this.stream.waitWritable(waker);
        stored = true;
      }
    }
    this.done = true;
    return this.written;
  }

  describe(): string {
    return `TcpStream.${this.all ? "writeAll" : "write"} fd ${this.stream.fd} (${this.written} of ${this.buf.length} bytes written)`;
  }
}
