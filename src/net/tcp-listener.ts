/**
 * `TcpListener`: a listening socket registered with the reactor; `accept()` is a future.
 *
 * Contract: `bind` is synchronous and listens with the system's largest backlog. `accept()` takes
 * a waiting connection at once when there is one, else stores its waker and retries once before
 * it waits. Out of file descriptors (`EMFILE`/`ENFILE`), it retries after a short timer: with the
 * edge already consumed and connections still queued, waiting for readiness would stall forever,
 * and retrying at once would spin. A connection aborted before it was taken (`ECONNABORTED`) is
 * skipped.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import { reactor } from "../runtime/init.js";
import { Interest, type Source } from "../runtime/reactor.js";
import type { Waker } from "../future/waker.js";
import * as sys from "../sys/index.js";
import { deregisterAndClose } from "./close.js";
import { sleep } from "../time/sleep.js";
import { TcpStream } from "./tcp-stream.js";

/** How long `accept()` waits before retrying when the process is out of file descriptors. */
const FD_EXHAUSTED_RETRY_MS = 20;

/**
 * A TCP server socket.
 *
 * @example
 * ```ts
 * const listener = TcpListener.bind("127.0.0.1:0");
 * console.log(`listening on ${listener.port}`);
 * for (;;) spawn(handle(yield* wait(listener.accept())));
 * ```
 */
export class TcpListener implements Source {
  /** The reactor token of this listener. */
  readonly id: number;
  /** The bound port (the one the kernel chose for port 0). */
  readonly port: number;
  private open = true;

  private constructor(readonly fd: number) {
    this.port = sys.localPort(fd);
    const r = reactor();
    this.id = r.nextId();
    r.register(this, Interest.READABLE, this.id);
  }

  /** Binds and listens on `address` ("127.0.0.1:0", "[::1]:8080", `{ host, port }`). Needs `init()`. */
  static bind(address: sys.AddressInput): TcpListener {
    const addr = sys.parseAddress(address);
    const fd = sys.socket(addr.family);
    try {
      sys.setReuseAddress(fd);
      sys.bind(fd, addr);
      sys.listen(fd);
      return new TcpListener(fd);
    } catch (e) {
      sys.close(fd);
      throw e;
    }
  }

  /** The next incoming connection. */
  accept(): Future<TcpStream> {
    return new AcceptFuture(this);
  }

  /**
   * Takes a waiting connection without waiting: its fd, or `sys.WOULD_BLOCK`. Throws `IoError`
   * (`EMFILE`, ...); `ECONNABORTED` is skipped.
   */
  tryAccept(): number {
    if (!this.open) throw new RuntimeError("the TcpListener is closed");
    for (;;) {
      try {
        return sys.accept4(this.fd);
      } catch (e) {
        if ((e as { code?: unknown }).code !== "ECONNABORTED") throw e;
      }
    }
  }

  /** Stores `waker` to be woken when a connection may be waiting. */
  waitAcceptable(waker: Waker): void {
    reactor().setWaker(waker, this.id, Interest.READABLE);
  }

  /** Deregisters, then closes. Closing twice is a no-op. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    deregisterAndClose(this, this.id);
  }
}

class AcceptFuture implements Future<TcpStream> {
  private backoff: Future<void> | null = null;
  private done = false;

  constructor(private readonly listener: TcpListener) {}

  poll(waker: Waker): Poll<TcpStream> {
    if (this.done) pollAfterReady("TcpListener.accept()");
    if (this.backoff !== null) {
      if (this.backoff.poll(waker) === PENDING) return PENDING;
      this.backoff = null;
    }
    let stored = false;
    for (;;) {
      let fd: number;
      try {
        fd = this.listener.tryAccept();
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        if (code !== "EMFILE" && code !== "ENFILE") {
          this.done = true;
          throw e;
        }
        this.backoff = sleep(FD_EXHAUSTED_RETRY_MS);
        if (this.backoff.poll(waker) === PENDING) return PENDING;
        this.backoff = null;
        continue;
      }
      if (fd !== sys.WOULD_BLOCK) {
        this.done = true;
        return new TcpStream(fd, "accepted");
      }
      if (stored) return PENDING;
      this.listener.waitAcceptable(waker);
      stored = true;
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
