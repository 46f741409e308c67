/**
 * What a TLS stream needs of the connection under it: ciphertext in and out by readiness, a
 * half-close and a close. The TLS stream owns its transport and makes every read and write on
 * it, so readiness, the cooperative budget and a later io_uring backend stay in the transport.
 *
 * {@link TcpTransport} adapts `TcpStream`'s current surface to this shape. It is the one piece
 * that goes when net/'s streams offer the byte-stream interface themselves (`pollRead`,
 * `pollWrite`, `shutdown`, `close`): `TlsStream` then takes such a stream directly.
 *
 * @module
 */
import { PENDING, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import type { TcpStream } from "../net/tcp-stream.js";
import { WOULD_BLOCK } from "../sys/index.js";

/** A connection carrying bytes: the ciphertext side of a `TlsStream`. */
export interface ByteTransport {
  /** Bytes read into `buf[off..off+len)`, 0 at end of stream, or `PENDING` with `waker` stored for readable. */
  pollRead(waker: Waker, buf: Uint8Array, off: number, len: number): Poll<number>;
  /** Bytes written from `buf[off..off+len)` (at least 1), or `PENDING` with `waker` stored for writable. */
  pollWrite(waker: Waker, buf: Uint8Array, off: number, len: number): Poll<number>;
  /**
   * Bytes written, or `WOULD_BLOCK` with no waker stored: for output a reader produces (a TLS 1.3
   * key update's answer), which must not take the writable slot of a writer task waiting on it.
   */
  tryWrite(buf: Uint8Array, off: number, len: number): number;
  /** Half-closes the write side (the peer reads end of stream). */
  shutdown(): void;
  /** Releases the connection (deregisters, then closes); a second call does nothing. */
  close(): void;
}

/** `TcpStream` as a {@link ByteTransport}. */
export class TcpTransport implements ByteTransport {
  constructor(readonly tcp: TcpStream) {}

  pollRead(waker: Waker, buf: Uint8Array, off: number, len: number): Poll<number> {
    // One unit of the task's budget per read from the socket: a TLS reader fed by a fast peer
    // yields like a plain one.
    if (!waker.consumeBudget()) {
      waker.wake();
      return PENDING;
    }
    return this.tcp.pollRead(waker, buf, off, len);
  }

  pollWrite(waker: Waker, buf: Uint8Array, off: number, len: number): Poll<number> {
    const n = this.tcp.tryWrite(buf, off, len);
    if (n !== WOULD_BLOCK) return n;
    // Store the waker, then try once more: the send buffer may have drained in between.
    this.tcp.waitWritable(waker);
    const again = this.tcp.tryWrite(buf, off, len);
    return again === WOULD_BLOCK ? PENDING : again;
  }

  tryWrite(buf: Uint8Array, off: number, len: number): number {
    return this.tcp.tryWrite(buf, off, len);
  }

  shutdown(): void {
    this.tcp.shutdown();
  }

  close(): void {
    this.tcp.close();
  }
}
