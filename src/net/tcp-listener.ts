/**
 * `TcpListener`: a listening socket; `accept()` is a future.
 *
 * Contract: `bind` is synchronous and listens with the system's largest backlog. `accept()` takes
 * a waiting connection at once when there is one, else waits for the listener's readiness (the
 * listener joins the reactor the first time it has to wait). Out of file descriptors
 * (`EMFILE`/`ENFILE`), it retries after a short timer: with the edge already consumed and
 * connections still queued, waiting for readiness would stall forever, and retrying at once would
 * spin. A connection aborted before it was taken (`ECONNABORTED`) is skipped. `close()` (or
 * `using`) fails the accepts waiting on the listener, and every later one, with `IoError`
 * `ECANCELED`. Promise code iterates the connections with `for await`.
 *
 * @module
 */
import { IoError } from "../errors.js";
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import { toPromise } from "../runtime/promise.js";
import { Interest, Registration, type Source, type SourceNames } from "../runtime/registration.js";
import { READABLE, WRITABLE } from "../runtime/token-table.js";
import * as sys from "../sys/index.js";
import { sleep } from "../time/sleep.js";
import { TCP_STREAM } from "./connect.js";
import { TcpStream } from "./tcp-stream.js";

/** How long `accept()` waits before retrying when the process is out of file descriptors. */
const FD_EXHAUSTED_RETRY_MS = 20;

const TCP_LISTENER: SourceNames = Object.freeze({ source: "TcpListener", read: "accept", write: "accept" });

/**
 * A TCP server socket.
 *
 * @example
 * <!-- ts-check
 * declare function handle(stream: TcpStream): Future<void>;
 * -->
 * ```ts
 * const listener = TcpListener.bind("127.0.0.1:0");
 * console.log(`listening on ${listener.port}`);
 * for (;;) spawn(handle(yield* wait(listener.accept())));
 * ```
 */
export class TcpListener implements Source {
  /** The bound port (the one the kernel chose for port 0). */
  readonly port: number;
  private readonly registration: Registration;

  private constructor(fd: number, port: number) {
    this.port = port;
    // A new listener may have connections queued already: the first accept tries at once.
    this.registration = new Registration(fd, TCP_LISTENER, READABLE);
  }

  /** Binds and listens on `address` ("127.0.0.1:0", "[::1]:8080", `{ host, port }`). Needs `init()`. */
  static bind(address: sys.AddressInput): TcpListener {
    const addr = sys.parseAddress(address);
    const fd = sys.socket(addr.family);
    let port: number;
    try {
      sys.setReuseAddress(fd);
      sys.bind(fd, addr);
      sys.listen(fd);
      port = sys.localPort(fd);
    } catch (e) {
      sys.close(fd);
      throw e;
    }
    return new TcpListener(fd, port);
  }

  /** The listening socket's file descriptor. */
  get fd(): number {
    return this.registration.fd;
  }

  /** The reactor token of this listener. */
  get id(): number {
    return this.registration.token;
  }

  /** The next incoming connection. */
  accept(): Future<TcpStream> {
    return new AcceptFuture(this);
  }

  /**
   * Takes a waiting connection for a leaf future: the stream, or `PENDING` with `waker` stored.
   * `expectData` says whether the connection's first bytes are likely there already (the listener
   * defers accepts until they are, or the protocol has the client speak first): its first read is
   * then tried at once, else it waits for the first event. Throws `IoError` (`EMFILE`, ...).
   *
   * @example
   * <!-- ts-check
   * declare const listener: TcpListener;
   * declare function serve(stream: TcpStream): Future<void>;
   * export function poll(waker: Waker): Poll<void> {
   * ...
   * }
   * -->
   * ```ts
   * // An accept loop inside a future's poll:
   * for (let s = listener.pollAccept(waker); s !== PENDING; s = listener.pollAccept(waker)) spawn(serve(s));
   * return PENDING;
   * ```
   */
  pollAccept(waker: Waker, expectData = true): Poll<TcpStream> {
    const r = this.registration;
    for (;;) {
      const ready = r.pollReadReady(waker);
      if (ready === PENDING) return PENDING;
      const fd = sys.accept4(r.fd);
      if (fd !== sys.WOULD_BLOCK) return new TcpStream(new Registration(fd, TCP_STREAM, expectData ? READABLE | WRITABLE : WRITABLE));
      // EAGAIN: the queue is empty (an accept is a read of one connection).
      r.afterRead(ready, fd, 1);
    }
  }

  /**
   * Takes a waiting connection without waiting: its fd, or `sys.WOULD_BLOCK`. The raw syscall: it
   * leaves the readiness alone (use {@link pollAccept} in futures). Throws `IoError` (`EMFILE`,
   * ...); `ECONNABORTED` is skipped.
   */
  tryAccept(): number {
    if (!this.registration.isOpen) throw IoError.canceled("accept", TCP_LISTENER.source);
    return sys.accept4(this.registration.fd);
  }

  /** Stores `waker` to be woken when a connection may be waiting, registering the listener if needed. */
  waitAcceptable(waker: Waker): void {
    this.registration.register();
    this.registration.setWaker(waker, Interest.READABLE);
  }

  /**
   * Sets `TCP_NODELAY` on the listening socket; Linux copies it into every connection accepted
   * from then on (one `setsockopt` instead of one per connection).
   *
   * @example
   * ```ts
   * TcpListener.bind("127.0.0.1:0").setNoDelay();
   * ```
   */
  setNoDelay(on = true): void {
    sys.setNoDelay(this.fd, on);
  }

  /**
   * Caps the kernel's send buffer of every connection accepted from now on at `bytes`
   * (`SO_SNDBUF`, which Linux copies from the listener; the kernel doubles the number for its
   * bookkeeping and stops growing the buffer by itself). A server whose answers are small uses
   * it to bound what a client that does not read can have queued.
   *
   * @example
   * ```ts
   * TcpListener.bind("127.0.0.1:0").setSendBufferSize(64 * 1024);
   * ```
   */
  setSendBufferSize(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes <= 0 || bytes > 0x7fffffff) {
      throw new RangeError(`the send buffer size must be a positive whole number of bytes, got ${String(bytes)}`);
    }
    sys.setSendBufferSize(this.fd, bytes);
  }

  /**
   * Asks the kernel to hand connections over only once their first data has arrived
   * (`TCP_DEFER_ACCEPT`, Linux), or after about `seconds` without. Returns false where the system
   * does not offer it (the listener then works as before).
   *
   * @example
   * ```ts
   * const deferred = TcpListener.bind("127.0.0.1:0").setDeferAccept(1);
   * ```
   */
  setDeferAccept(seconds: number): boolean {
    try {
      sys.setDeferAccept(this.fd, seconds);
      return true;
    } catch {
      return false;
    }
  }

  /** Deregisters, then closes; the accepts waiting on it fail with `IoError` `ECANCELED`. Closing twice is a no-op. */
  close(): void {
    this.registration.close();
  }

  /** Closes, as {@link close} does: `using listener = TcpListener.bind(...)`. */
  [Symbol.dispose](): void {
    this.registration.close();
  }

  /**
   * The incoming connections, for Promise code: `for await (const stream of listener)`. Each one
   * is accepted as `toPromise(listener.accept())` would (on the thread's default executor when
   * called outside any). The loop ends when the listener is closed (the accept waiting then fails
   * with `ECANCELED`, which ends the loop instead of throwing); other errors are thrown. Leaving
   * the loop (`break`) leaves the listener open: close it, or bind it with `using`.
   *
   * @example
   * ```ts
   * using listener = TcpListener.bind("127.0.0.1:0");
   * for await (const stream of listener) {
   *   using s = stream;
   *   await toPromise(s.writeAll(new TextEncoder().encode("hello\n")));
   * }
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<TcpStream> {
    return {
      next: async (): Promise<IteratorResult<TcpStream>> => {
        try {
          return { done: false, value: await toPromise(this.accept()) };
        } catch (e) {
          if (e instanceof IoError && e.code === "ECANCELED") return { done: true, value: undefined };
          throw e;
        }
      },
    };
  }
}

class AcceptFuture implements Future<TcpStream> {
  private backoff: Future<void> | null = null;
  private done = false;

  constructor(private readonly listener: TcpListener) {}

  poll(waker: Waker): Poll<TcpStream> {
    if (this.done) pollAfterReady("TcpListener.accept()");
    for (;;) {
      if (this.backoff !== null) {
        if (this.backoff.poll(waker) === PENDING) return PENDING;
        this.backoff = null;
      }
      let stream: Poll<TcpStream>;
      try {
        stream = this.listener.pollAccept(waker);
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        if (code !== "EMFILE" && code !== "ENFILE") {
          this.done = true;
          throw e;
        }
        this.backoff = sleep(FD_EXHAUSTED_RETRY_MS);
        continue;
      }
      if (stream === PENDING) return PENDING;
      this.done = true;
      return stream;
    }
  }

  describe(): string {
    const l = this.listener;
    return `TcpListener.accept fd ${l.fd} port ${l.port}${this.backoff !== null ? " (out of fds: retrying after a pause)" : ""}`;
  }

  drop(): void {
    this.backoff?.drop?.();
    this.backoff = null;
  }
}
