/**
 * Connecting: the state machine behind `TcpStream.connect`. A non-blocking `connect(2)`, then a
 * wait for the socket to become writable, then the verdict; it ends with the socket's
 * {@link Registration}, which the stream takes over.
 *
 * The socket joins the epoll set lazily, once `connect(2)` has started: adding it reports its state
 * at that moment, so a handshake already over is not missed, and a socket not yet connecting (which
 * reports writable and hang-up, being closed) never leaves that readiness behind. When woken, the
 * readiness the reactor recorded tells connected (writable, no error), failed (`connectResult`
 * then gives the errno, e.g. `ECONNREFUSED`), or still in progress. With several addresses
 * (`localhost`: 127.0.0.1, then ::1) a refused or unreachable one moves on to the next; the error
 * of the last is the one thrown.
 *
 * `close()` gives the connect up from any task: the socket is closed and the poll of the task
 * waiting on it fails with `IoError` `ECANCELED`. Dropping the future closes the socket quietly.
 *
 * @module
 */
import { IoError } from "../errors.js";
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import { Interest, Registration, type SourceNames } from "../runtime/registration.js";
import { ERROR, HANGUP, WRITABLE } from "../runtime/token-table.js";
import * as sys from "../sys/index.js";

/** How a TCP stream's registration names its operations in errors. */
export const TCP_STREAM: SourceNames = Object.freeze({ source: "TcpStream", read: "read", write: "write" });

/**
 * Parsed string addresses, most recent last: a client makes thousands of connections to a few
 * addresses, and parsing showed up in its profile. Parsed addresses are never modified, so they
 * are shared.
 */
const parsed = new Map<string, sys.SocketAddress[]>();
const PARSED_MAX = 256;

function resolve(address: sys.AddressInput): sys.SocketAddress[] {
  if (typeof address !== "string") return sys.parseAddresses(address);
  let list = parsed.get(address);
  if (list === undefined) {
    list = sys.parseAddresses(address);
    if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value!);
    parsed.set(address, list);
  }
  return list;
}

const RETRY_NEXT = new Set(["ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH", "EADDRNOTAVAIL", "EAFNOSUPPORT", "ETIMEDOUT"]);

/**
 * Connects to an address and completes with what the connected socket is wrapped in
 * ({@link wrap}): the stream's module subclasses it, so this one never names the stream.
 */
export abstract class Connect<T> implements Future<T> {
  private addresses: sys.SocketAddress[] | null = null;
  private next = 0;
  private registration: Registration | null = null;
  private done = false;
  private canceled = false;

  constructor(private readonly address: sys.AddressInput) {}

  /** Wraps the connected socket's registration into the future's output. */
  protected abstract wrap(registration: Registration): T;

  poll(waker: Waker): Poll<T> {
    if (this.done) pollAfterReady("TcpStream.connect()");
    if (this.canceled) {
      this.done = true;
      throw IoError.canceled("connect", TCP_STREAM.source);
    }
    if (this.addresses === null) this.addresses = resolve(this.address);
    for (;;) {
      try {
        if ((this.registration === null && this.start()) || this.connected(waker)) {
          const r = this.registration!;
          this.registration = null;
          this.done = true;
          return this.wrap(r);
        }
        return PENDING;
      } catch (e) {
        this.drop();
        const code = (e as { code?: unknown }).code;
        if (this.next < this.addresses.length && typeof code === "string" && RETRY_NEXT.has(code)) continue;
        this.done = true;
        throw e;
      }
    }
  }

  /** Gives the connect up: the socket is closed, and the task waiting on it fails with `IoError` `ECANCELED`. */
  close(): void {
    if (this.done) return;
    this.canceled = true;
    // Closing the registration wakes the waiting task, whose poll then throws.
    this.drop();
  }

  drop(): void {
    const r = this.registration;
    this.registration = null;
    r?.close();
  }

  /** Opens the next address's socket and starts connecting; true if connected at once. */
  private start(): boolean {
    const address = this.addresses![this.next++]!;
    // The registration takes the fd at once (and closes it if it cannot be made: no init()).
    const r = (this.registration = new Registration(sys.socket(address.family), TCP_STREAM));
    if (sys.connect(r.fd, address) !== 0) return false;
    r.assumeReady(WRITABLE);
    return true;
  }

  /**
   * Whether the handshake is over, from the readiness the reactor recorded: writable without an
   * error means connected (a connecting socket reports nothing but errors), so the usual
   * `getsockopt`/`getpeername` pair is needed only when an error or hang-up was reported.
   * Throws the connect's error.
   */
  private connected(waker: Waker): boolean {
    const r = this.registration!;
    const ready = r.pollWriteReady(waker);
    if (ready === PENDING) return false;
    if ((ready & (ERROR | HANGUP)) === 0 || sys.connectResult(r.fd)) return true;
    // Reported, yet still connecting: wait for the next event.
    r.setWaker(waker, Interest.WRITABLE);
    return false;
  }
}
