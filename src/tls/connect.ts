/**
 * The future behind `TlsStream.connect` and `TlsStream.clientHandshake`: set up (load OpenSSL,
 * get the context), connect the TCP stream unless given one (by name too: `TcpStream.connect`
 * looks it up), then drive the handshake.
 *
 * It owns what it made or was given until it finishes: on failure or drop the TCP stream is
 * closed and the `SSL` freed, whatever step it had reached, so a handshake that a `timeout`
 * abandons leaks nothing.
 *
 * @module
 */
import { PENDING, describeFuture, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import { TcpStream } from "../net/tcp-stream.js";
import { splitHostPort, type AddressInput } from "../sys/index.js";
import type { TlsConnectOptions } from "./options.js";
import { tlsSetup, type TlsSetup } from "./setup.js";

/** What the connect future needs of the TLS stream it makes (the stream's module names this one). */
export interface HandshakingStream {
  pollHandshake(waker: Waker): Poll<void>;
  close(): void;
}

export class TlsConnectFuture<S extends HandshakingStream> implements Future<S> {
  private setup: TlsSetup | null = null;
  private connecting: Future<TcpStream> | null = null;
  private tcp: TcpStream | null;
  private stream: S | null = null;
  private done = false;

  /** `target`: an address to connect to, or a connected stream this future takes over. */
  constructor(
    private readonly target: AddressInput | TcpStream,
    private readonly options: TlsConnectOptions,
    private readonly make: (tcp: TcpStream, setup: TlsSetup) => S,
  ) {
    this.tcp = target instanceof TcpStream ? target : null;
  }

  poll(waker: Waker): Poll<S> {
    if (this.done) pollAfterReady("TlsStream.connect()");
    try {
      if (this.setup === null) {
        const target = this.target;
        if (target instanceof TcpStream) {
          this.setup = tlsSetup(this.options, "", "");
        } else {
          // The host as the connect reads it (brackets off an IPv6 literal, in either form of
          // address): a name is sent as SNI and checked, an IP literal checked against the IPs.
          const { host, port } = splitHostPort(target);
          this.setup = tlsSetup(this.options, host, `${host}:${port}`);
          this.connecting = TcpStream.connect(target);
        }
      }
      if (this.connecting !== null) {
        const tcp = this.connecting.poll(waker);
        if (tcp === PENDING) return PENDING;
        this.connecting = null;
        this.tcp = tcp;
      }
      if (this.stream === null) {
        this.stream = this.make(this.tcp!, this.setup);
        this.tcp = null;
      }
      if (this.stream.pollHandshake(waker) === PENDING) return PENDING;
      const stream = this.stream;
      this.stream = null;
      this.done = true;
      return stream;
    } catch (e) {
      this.done = true;
      this.release();
      throw e;
    }
  }

  describe(): string {
    if (this.connecting !== null) return `TlsStream.connect: ${describeFuture(this.connecting)}`;
    return this.stream !== null && this.setup !== null
      ? `TlsStream.connect: handshake with ${this.setup.servername || "the peer"}`
      : "TlsStream.connect";
  }

  drop(): void {
    this.release();
  }

  private release(): void {
    this.connecting?.drop?.();
    this.connecting = null;
    this.tcp?.close();
    this.tcp = null;
    this.stream?.close();
    this.stream = null;
  }
}
