/**
 * `ByteStream`: what a protocol needs of a connection, whatever carries the bytes (`TcpStream`,
 * or a `TlsStream` over one). Code written against it, such as the delay server's
 * connection, runs unchanged on any of them.
 *
 * Contract (the one of a leaf future's poll):
 * - `pollRead` / `pollWrite` move bytes if the stream is ready, else return `PENDING` with `waker`
 *   stored, so the task is woken when they may progress. Registration with the reactor is lazy: a
 *   stream that never has to wait never registers. They may also return `PENDING` when the task's
 *   cooperative budget is spent; the waker has then been woken already.
 * - `pollRead` returns the bytes read (at least 1), or 0 at end of stream or for an empty range.
 *   `pollWrite` returns the bytes written (at least 1, possibly fewer than asked; 0 for an empty
 *   range).
 * - Failures throw `IoError` (`ECONNRESET`, `EPIPE`, ...); after `close()` every operation throws
 *   `IoError` `ECANCELED`, and so do the polls of tasks that waited on the stream when it closed.
 *
 * @module
 */
import type { Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";

/**
 * A bidirectional byte stream driven by polls.
 *
 * @example
 * <!-- ts-check
 * declare const stream: ByteStream;
 * declare const buf: Uint8Array;
 * export function poll(waker: Waker): Poll<void> {
 * ...
 * }
 * -->
 * ```ts
 * // Inside a future's poll: echo what arrives (a real echo keeps what it could not write yet).
 * const n = stream.pollRead(waker, buf, 0, buf.length);
 * if (n === PENDING) return PENDING;
 * if (n === 0) { stream.close(); return undefined; }
 * stream.pollWrite(waker, buf, 0, n);
 * ```
 */
export interface ByteStream {
  /** Reads into `buf[off, off + len)`: bytes read, 0 at end of stream (or for `len` 0), or `PENDING`. */
  pollRead(waker: Waker, buf: Uint8Array, off: number, len: number): Poll<number>;
  /** Writes from `buf[off, off + len)`: bytes written, or `PENDING`. */
  pollWrite(waker: Waker, buf: Uint8Array, off: number, len: number): Poll<number>;
  /**
   * Done once every byte written so far has gone out to the kernel (a TLS stream may hold
   * ciphertext the socket did not take yet), else `PENDING` with `waker` stored.
   */
  pollFlush(waker: Waker): Poll<void>;
  /**
   * Ends the sending side once what was written has gone out (a TLS stream's `close_notify`
   * included): done, or `PENDING` with `waker` stored. The peer then reads end of stream; reading
   * goes on. Calling it again once done does nothing.
   */
  pollShutdown(waker: Waker): Poll<void>;
  /** Releases the stream; the tasks waiting on it fail with `IoError` `ECANCELED`. Closing twice is a no-op. */
  close(): void;
}
