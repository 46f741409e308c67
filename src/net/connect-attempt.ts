/**
 * One connect to one socket address: the steps every connect shares (open the socket and start
 * `connect(2)`, read the verdict from the readiness the reactor recorded, name the address in the
 * error) and {@link ConnectAttempt}, the future of one attempt with a time limit of its own, which
 * a connect by hostname races several of (`dns/connect-by-name.ts`).
 *
 * The socket joins the epoll set lazily, once `connect(2)` has started: adding it reports its state
 * at that moment, so a handshake already over is not missed, and a socket not yet connecting (which
 * reports writable and hang-up, being closed) never leaves that readiness behind. When woken, the
 * readiness tells connected (writable, no error), failed (`connectResult` then gives the errno,
 * e.g. `ECONNREFUSED`), or still in progress.
 *
 * @module
 */
import { IoError } from "../errors.js";
import { PENDING, dropFuture, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import { Interest, Registration, type SourceNames } from "../runtime/registration.js";
import { ERROR, HANGUP, WRITABLE } from "../runtime/token-table.js";
import * as sys from "../sys/index.js";
import { sleep } from "../time/sleep.js";

/** How a TCP stream's registration names its operations in errors. */
export const TCP_STREAM: SourceNames = Object.freeze({ source: "TcpStream", read: "read", write: "write" });

/**
 * How long one address of a hostname may take to answer before its attempt fails with
 * `ETIMEDOUT`, so an address that swallows SYNs costs seconds rather than the kernel's two minutes
 * (Linux resends a SYN after 1, 3, 7, 15, 31 and 63 s). 10 s lets three resends through, enough
 * for a slow or lossy path. Connects to an IP literal or `localhost` have no limit of their own:
 * wrap them in `timeout`.
 */
export const CONNECT_ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * Opens a socket for `address` and starts connecting it; returns the socket's registration, whose
 * readiness says writable if it connected at once. The registration takes the fd at once (and
 * closes it if it cannot be made: no `init()`).
 */
export function startConnect(address: sys.SocketAddress): Registration {
  const r = new Registration(sys.socket(address.family), TCP_STREAM);
  if (sys.connect(r.fd, address) === 0) r.assumeReady(WRITABLE);
  return r;
}

/**
 * Whether the handshake is over, from the readiness the reactor recorded: writable without an
 * error means connected (a connecting socket reports nothing but errors), so the usual
 * `getsockopt`/`getpeername` pair is needed only when an error or hang-up was reported. Stores
 * `waker` when it is not over. Throws the connect's error.
 */
export function pollConnected(r: Registration, waker: Waker): boolean {
  const ready = r.pollWriteReady(waker);
  if (ready === PENDING) return false;
  if ((ready & (ERROR | HANGUP)) === 0 || sys.connectResult(r.fd)) return true;
  // Reported, yet still connecting: wait for the next event.
  r.setWaker(waker, Interest.WRITABLE);
  return false;
}

/**
 * `e` with the peer named, as Node names it: an `IoError` gets `address` and `port` and the
 * message `connect ECONNREFUSED 127.0.0.1:8080` (`[::1]:8080` for IPv6); anything else is
 * returned as it is.
 */
export function atAddress(e: unknown, address: sys.SocketAddress): unknown {
  if (!(e instanceof IoError) || e.address !== undefined) return e;
  return new IoError(e.code, e.errno, e.syscall, `${e.syscall} ${e.code} ${sys.formatAddress(address)}`, {
    address: address.ip,
    port: address.port,
  });
}

/**
 * One address's attempt: completes with the connected socket's registration, or fails with the
 * connect's `IoError` naming the address, or with `ETIMEDOUT` once {@link CONNECT_ATTEMPT_TIMEOUT_MS} has passed since
 * its first poll. On failure or drop its socket is closed.
 */
export class ConnectAttempt implements Future<Registration> {
  private registration: Registration | null = null;
  private deadline: Future<void> | null = null;
  private done = false;
  /** Why the attempt failed, once it has. */
  error: IoError | null = null;

  constructor(readonly address: sys.SocketAddress) {}

  poll(waker: Waker): Poll<Registration> {
    if (this.done) pollAfterReady("connect attempt");
    try {
      const r = (this.registration ??= startConnect(this.address));
      if (pollConnected(r, waker)) {
        this.registration = null;
        this.release();
        return r;
      }
      this.deadline ??= sleep(CONNECT_ATTEMPT_TIMEOUT_MS);
      if (this.deadline.poll(waker) === PENDING) return PENDING;
      this.deadline = null;
      throw new IoError(
        "ETIMEDOUT",
        sys.ERRNO.ETIMEDOUT,
        "connect",
        `connect ETIMEDOUT ${sys.formatAddress(this.address)} (no answer within ${CONNECT_ATTEMPT_TIMEOUT_MS} ms)`,
        {
          address: this.address.ip,
          port: this.address.port,
        },
      );
    } catch (e) {
      this.release();
      const named = atAddress(e, this.address);
      if (named instanceof IoError) this.error = named;
      throw named;
    }
  }

  drop(): void {
    this.release();
  }

  private release(): void {
    this.done = true;
    if (this.deadline !== null) dropFuture(this.deadline);
    this.deadline = null;
    const r = this.registration;
    this.registration = null;
    r?.close();
  }
}
