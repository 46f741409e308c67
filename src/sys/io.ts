/**
 * Bytes in and out of a non-blocking fd, and closing it: the hot path, called once per drain step.
 *
 * Contract: EINTR is retried; EAGAIN is "not ready" and returns {@link WOULD_BLOCK} (never thrown,
 * because an edge-triggered drain ends with it every time); any other errno throws `IoError`.
 *
 * Offsets. koffi passes a typed array's memory in place, `byteOffset` included, but has no way to
 * add an offset of our own. Measured on this machine (Node 20, koffi 3.3.4, x86_64, best of 5 x
 * 2M calls): a koffi call with a `void *` typed-array argument costs ~52 ns over the syscall;
 * `buf.subarray(off)` adds ~28-33 ns (`subarray(off, end)` the same, `new Uint8Array(ab, o, n)`
 * ~36 ns); a raw address passed as a number saves ~17 ns per call (koffi's fast path for
 * pointer-free signatures) but getting it costs ~51 ns (`koffi.address`) and is unsafe for small
 * on-heap typed arrays that the GC moves. So: the buffer itself when `off` is 0 (the common case,
 * free), `buf.subarray(off)` otherwise. The length is passed separately, so the one-argument
 * `subarray` is enough.
 *
 * Bounds are checked here, in JS, because koffi cannot know how long a `void *` is: a `len` past
 * the end of `buf` would let the kernel write over the JS heap.
 *
 * @module
 */
import * as c from "./libc.js";
import { EAGAIN, EINTR, throwIoError } from "./errno.js";

/** Returned by {@link read}, {@link write} and `accept4` when the fd is not ready (EAGAIN). */
export const WOULD_BLOCK = -1;

/** The type of {@link WOULD_BLOCK}. */
export type WouldBlock = typeof WOULD_BLOCK;

// send(2) flag: a write to a connection the peer closed fails with EPIPE instead of raising
// SIGPIPE (Node ignores SIGPIPE, but an embedder or a child with default dispositions may not).
const MSG_NOSIGNAL = 0x4000;

function checkRange(buf: Uint8Array, off: number, len: number): void {
  // `>>> 0` rejects negatives, fractions and NaN in one comparison each.
  if (off >>> 0 !== off || len >>> 0 !== len || off + len > buf.length) {
    throw new RangeError(`range [${off}, ${off}+${len}) is outside the buffer (length ${buf.length})`);
  }
}

/**
 * `read(2)`: up to `len` bytes from `fd` into `buf[off .. off+len)`.
 *
 * @param len - at least 1: a zero-length read returns 0, which would be indistinguishable from
 * end of stream, so it is refused.
 * @returns the number of bytes read (at least 1), 0 at end of stream, or {@link WOULD_BLOCK}.
 * @throws IoError (`ECONNRESET`, `EBADF`, ...); RangeError for a range outside `buf` or `len` 0.
 */
export function read(fd: number, buf: Uint8Array, off: number, len: number): number {
  checkRange(buf, off, len);
  if (len === 0) throw new RangeError("read of 0 bytes: its result would look like end of stream");
  const target = off === 0 ? buf : buf.subarray(off);
  for (;;) {
    const n = c.read(fd, target, len);
    if (n >= 0) return n;
    const e = c.errno();
    if (e === EAGAIN) return WOULD_BLOCK;
    if (e !== EINTR) throwIoError("read", e);
  }
}

/**
 * Writes up to `len` bytes of `buf[off .. off+len)` to the socket `fd`, with `send(2)` and
 * `MSG_NOSIGNAL`: a peer that has gone away gives `EPIPE`, not a signal. Sockets only
 * (`ENOTSOCK` otherwise).
 *
 * @returns the number of bytes written (possibly fewer than `len`), or {@link WOULD_BLOCK} when
 * the send buffer is full.
 * @throws IoError (`EPIPE`, `ECONNRESET`, `ENOTSOCK`, ...); RangeError for a range outside `buf`.
 */
export function write(fd: number, buf: Uint8Array, off: number, len: number): number {
  checkRange(buf, off, len);
  const source = off === 0 ? buf : buf.subarray(off);
  for (;;) {
    const n = c.send(fd, source, len, MSG_NOSIGNAL);
    if (n >= 0) return n;
    const e = c.errno();
    if (e === EAGAIN) return WOULD_BLOCK;
    if (e !== EINTR) throwIoError("send", e);
  }
}

/**
 * `close(2)`. Deregister the fd from epoll first: once closed, its number is reused at once, by
 * any thread.
 *
 * EINTR is not retried here, unlike everywhere else: Linux has already released the fd when
 * close reports EINTR, so a retry could close another thread's freshly opened fd. It counts as
 * closed.
 *
 * @throws IoError (`EBADF`: a double close, a bug worth seeing; `EIO`).
 */
export function close(fd: number): void {
  if (c.close(fd) === 0) return;
  const e = c.errno();
  if (e !== EINTR) throwIoError("close", e);
}
