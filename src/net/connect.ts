/**
 * The connect future behind `TcpStream.connect`: a non-blocking connect that waits for the socket
 * to become writable, then asks the kernel how it went.
 *
 * The socket is registered and the waker stored *before* `connect(2)` starts the handshake, so the
 * writable edge cannot fire before anyone listens for it. When woken, `connectResult` tells
 * connected, failed (the errno, e.g. `ECONNREFUSED`), or still in progress (a spurious wake).
 * With several addresses (`localhost`: 127.0.0.1, then ::1) a refused or unreachable one moves on
 * to the next; the error of the last is the one thrown.
 *
 * @module
 */
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../runtime/waker.js";
import * as sys from "../sys/index.js";
import { TcpStream } from "./tcp-stream.js";

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

export class ConnectFuture implements Future<TcpStream> {
  private addresses: sys.SocketAddress[] | null = null;
  private next = 0;
  private stream: TcpStream | null = null;
  private done = false;

  constructor(private readonly address: sys.AddressInput) {}

  poll(waker: Waker): Poll<TcpStream> {
    if (this.done) pollAfterReady("TcpStream.connect()");
    if (this.addresses === null) this.addresses = resolve(this.address);
    for (;;) {
      const stream = this.stream;
      try {
        if (stream === null) {
          if (this.start(waker)) return this.finish();
        } else if (sys.connectResult(stream.fd)) {
          return this.finish();
        } else {
          stream.waitWritable(waker);
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

  drop(): void {
    this.stream?.close();
    this.stream = null;
  }

  /** Opens, registers and starts connecting the next address; true if connected at once. */
  private start(waker: Waker): boolean {
    const address = this.addresses![this.next++]!;
    const fd = sys.socket(address.family);
    const stream = new TcpStream(fd);
    this.stream = stream;
    stream.waitWritable(waker);
    return sys.connect(fd, address) === 0;
  }

  private finish(): TcpStream {
    const s = this.stream!;
    this.stream = null;
    this.done = true;
    return s;
  }
}
