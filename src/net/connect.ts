/**
 * The connect future behind `TcpStream.connect`: a non-blocking connect that waits for the socket
 * to become writable, then asks the kernel how it went.
 *
 * The waker is stored *before* `connect(2)` starts the handshake and the socket added to the epoll
 * set right after (which reports its state at that moment), so the writable edge cannot be
 * missed. When woken, the readiness the reactor recorded tells connected (writable, no error),
 * failed (`connectResult` then gives the errno, e.g. `ECONNREFUSED`), or still in progress (a
 * wake that was not this socket's).
 * With several addresses (`localhost`: 127.0.0.1, then ::1) a refused or unreachable one moves on
 * to the next; the error of the last is the one thrown.
 *
 * @module
 */
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import * as sys from "../sys/index.js";
import { ERROR, HANGUP, WRITABLE } from "../runtime/token-table.js";

/**
 * Parsed string addresses, most recent last: a client makes thousands of connections to a few
 * addresses, and parsing showed up in its profile (4% of W2's CPU). Parsed addresses are never
 * modified, so they are shared.
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
 * What the connect future needs of the stream it connects: made around a fresh socket and added to
 * the reactor only once `connect(2)` has started (see {@link ConnectFuture.start}). `TcpStream`
 * provides it; the stream's own module names this one, not the other way round.
 */
export interface ConnectingStream {
  readonly fd: number;
  waitWritable(waker: Waker): void;
  addToReactor(): void;
  readiness(): number;
  close(): void;
}

export class ConnectFuture<S extends ConnectingStream> implements Future<S> {
  private addresses: sys.SocketAddress[] | null = null;
  private next = 0;
  private stream: S | null = null;
  private done = false;

  /** `wrap` makes the stream around a fresh, not yet connected socket fd. */
  constructor(
    private readonly address: sys.AddressInput,
    private readonly wrap: (fd: number) => S,
  ) {}

  poll(waker: Waker): Poll<S> {
    if (this.done) pollAfterReady("TcpStream.connect()");
    if (this.addresses === null) this.addresses = resolve(this.address);
    for (;;) {
      const stream = this.stream;
      try {
        if (stream === null) {
          if (this.start(waker)) return this.finish();
        } else if (this.connected(stream, waker)) {
          return this.finish();
        }
        return PENDING;
      } catch (e) {
        this.stream?.close();
        this.stream = null;
        const code = (e as { code?: unknown }).code;
        if (this.next < this.addresses.length && typeof code === "string" && RETRY_NEXT.has(code)) continue;
        this.done = true;
        throw e;
      }
    }
  }

  describe(): string {
    const a = this.addresses;
    const to =
      a === null
        ? typeof this.address === "string"
          ? this.address
          : `${this.address.host}:${this.address.port}`
        : sys.formatAddress(a[Math.max(this.next - 1, 0)]!);
    return `TcpStream.connect ${to}${this.stream !== null ? ` fd ${this.stream.fd}` : ""}`;
  }

  drop(): void {
    this.stream?.close();
    this.stream = null;
  }

  /**
   * Opens the next address's socket, starts connecting, and registers it; true if connected at
   * once. The waker is stored first, so the first event has someone to wake. The socket joins the
   * epoll set only after `connect(2)`: a socket not yet connecting reports writable and hang-up
   * (it is closed), which its readiness must not keep; the `epoll_ctl(ADD)` reports the state as
   * it is then, so a handshake already over is not missed either.
   */
  private start(waker: Waker): boolean {
    const address = this.addresses![this.next++]!;
    const stream = this.wrap(sys.socket(address.family));
    this.stream = stream;
    stream.waitWritable(waker);
    const now = sys.connect(stream.fd, address) === 0;
    stream.addToReactor();
    return now;
  }

  /**
   * Whether the handshake is over, from the readiness the reactor recorded: writable without an
   * error means connected (a connecting socket reports nothing but errors), so the usual
   * `getsockopt`/`getpeername` pair is needed only when an error or hang-up was reported.
   * Throws the connect's error.
   */
  private connected(stream: S, waker: Waker): boolean {
    let ready = stream.readiness();
    if ((ready & (WRITABLE | ERROR | HANGUP)) === 0) {
      // A wake that was not this socket's: keep waiting (with this poll's waker), and look again
      // after storing it, as an event may land in between.
      stream.waitWritable(waker);
      ready = stream.readiness();
      if ((ready & (WRITABLE | ERROR | HANGUP)) === 0) return false;
    }
    if ((ready & (ERROR | HANGUP)) === 0) return true;
    if (sys.connectResult(stream.fd)) return true;
    stream.waitWritable(waker);
    return false;
  }

  private finish(): S {
    const s = this.stream!;
    this.stream = null;
    this.done = true;
    return s;
  }
}
