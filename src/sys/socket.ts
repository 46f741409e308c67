/**
 * TCP sockets: create, connect, bind, listen, accept, options, local address, shutdown.
 * (Reading, writing and closing are in `io.ts`: they apply to any fd.)
 *
 * Contract: every socket is created non-blocking and close-on-exec (`SOCK_NONBLOCK |
 * SOCK_CLOEXEC`, on `socket` and on `accept4`), so no fd leaks into a child process and no call
 * blocks a thread. EINTR is retried; the not-ready cases of the hot path come back as sentinels
 * (`connect` → {@link IN_PROGRESS}, `accept4` → `WOULD_BLOCK`); every other errno throws `IoError`.
 *
 * Scratch buffers for option values and addresses are module-level: calls are synchronous and
 * each worker thread has its own instance of this module, so nothing else can touch them mid-call.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import * as c from "./libc.js";
import { ECONNABORTED, EAGAIN, EINPROGRESS, EINTR, ENOTCONN, throwIoError } from "./errno.js";
import { AF_INET, AF_INET6, decodeSockaddr, SOCKADDR_IN6_SIZE } from "./addr.js";
import type { IpFamily, SocketAddress } from "./addr.js";
import { WOULD_BLOCK } from "./io.js";

/** Returned by {@link connect} when the connection has started but not finished (EINPROGRESS). */
export const IN_PROGRESS = -2;

/** The type of {@link IN_PROGRESS}. */
export type InProgress = typeof IN_PROGRESS;

/** `shutdown` how: no more reads. */
export const SHUT_RD = 0;
/** `shutdown` how: no more writes (the peer reads end of stream). */
export const SHUT_WR = 1;
/** `shutdown` how: neither. */
export const SHUT_RDWR = 2;

const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_ERROR = 4;
const SO_SNDBUF = 7;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
const TCP_DEFER_ACCEPT = 9;

const intValue = new Int32Array(1);
const lengthValue = new Uint32Array(1);
const sockaddr = new Uint8Array(SOCKADDR_IN6_SIZE);

/**
 * A new TCP socket for `family`, non-blocking and close-on-exec.
 *
 * @returns its fd.
 * @throws IoError (`EMFILE`, `ENFILE`, `EAFNOSUPPORT` when the kernel has no IPv6, ...).
 */
export function socket(family: IpFamily): number {
  const domain = family === 6 ? AF_INET6 : AF_INET;
  for (;;) {
    const fd = c.socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0) return fd;
    const e = c.errno();
    if (e !== EINTR) throwIoError("socket", e);
  }
}

/**
 * Starts connecting `fd` to `address` (same family as the socket).
 *
 * When it returns {@link IN_PROGRESS}, wait for the socket to become writable (EPOLLOUT, or
 * EPOLLERR/EPOLLHUP), then call {@link connectResult} to learn whether it succeeded.
 *
 * @returns 0 when already connected (possible on loopback), or {@link IN_PROGRESS}.
 * @throws IoError with syscall `"connect"` (`ECONNREFUSED`, `ENETUNREACH`, `EADDRNOTAVAIL`, ...).
 */
export function connect(fd: number, address: SocketAddress): 0 | InProgress {
  if (c.connect(fd, address.bytes, address.bytes.length) === 0) return 0;
  const e = c.errno();
  if (e === EINPROGRESS) return IN_PROGRESS;
  // Not retried: an interrupted connect keeps going in the kernel (a second call would fail with
  // EALREADY), so it is in progress like any other non-blocking connect.
  if (e === EINTR) return IN_PROGRESS;
  return throwIoError("connect", e);
}

/**
 * The pending error of a socket (`getsockopt(SO_ERROR)`), which the read also clears.
 *
 * @returns an errno, or 0 when there is none (which alone does not mean a non-blocking connect
 * has finished: see {@link connectResult}).
 * @throws IoError (`EBADF`, `ENOTSOCK`).
 */
export function socketError(fd: number): number {
  lengthValue[0] = 4;
  for (;;) {
    if (c.getsockopt(fd, SOL_SOCKET, SO_ERROR, intValue, lengthValue) === 0) return intValue[0]!;
    const e = c.errno();
    if (e !== EINTR) throwIoError("getsockopt", e);
  }
}

/**
 * How a non-blocking connect is going, asked after the socket reported writable (or on any wake):
 * the pending error first (`SO_ERROR`), then whether there is a peer (`getpeername`). The second
 * call is what tells "connected" from "still in progress": both have no pending error, and a
 * future can be polled by a wake that was not this socket's.
 *
 * @returns true when connected, false while the handshake is still in progress.
 * @throws IoError with syscall `"connect"` and the connect's errno (`ECONNREFUSED`, `ETIMEDOUT`,
 * `ENETUNREACH`, ...) when it failed; IoError from `getsockopt`/`getpeername` for a bad fd.
 */
export function connectResult(fd: number): boolean {
  const pending = socketError(fd);
  if (pending !== 0) throwIoError("connect", pending);
  lengthValue[0] = SOCKADDR_IN6_SIZE;
  for (;;) {
    if (c.getpeername(fd, sockaddr, lengthValue) === 0) return true;
    const e = c.errno();
    if (e === ENOTCONN) return false;
    if (e !== EINTR) throwIoError("getpeername", e);
  }
}

/**
 * Binds `fd` to `address` (port 0: any free port, see {@link localPort}).
 *
 * @throws IoError (`EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES`, ...).
 */
export function bind(fd: number, address: SocketAddress): void {
  for (;;) {
    if (c.bind(fd, address.bytes, address.bytes.length) === 0) return;
    const e = c.errno();
    if (e !== EINTR) throwIoError("bind", e);
  }
}

let backlog = 0;

/**
 * The largest useful listen backlog: `/proc/sys/net/core/somaxconn` (the kernel caps any larger
 * value to it silently), or 4096, the kernel's default since 5.4, when it cannot be read. Read once.
 */
export function maxBacklog(): number {
  if (backlog === 0) {
    let value = NaN;
    try {
      value = Number.parseInt(readFileSync("/proc/sys/net/core/somaxconn", "utf8").trim(), 10);
    } catch {
      // no /proc (a container without it): the default below
    }
    backlog = Number.isInteger(value) && value > 0 ? value : 4096;
  }
  return backlog;
}

/**
 * Marks `fd` as listening.
 *
 * @param backlogSize - the accept queue's length; default {@link maxBacklog}.
 * @throws IoError (`EADDRINUSE`, ...).
 */
export function listen(fd: number, backlogSize: number = maxBacklog()): void {
  for (;;) {
    if (c.listen(fd, backlogSize) === 0) return;
    const e = c.errno();
    if (e !== EINTR) throwIoError("listen", e);
  }
}

/**
 * Takes the next connection off a listener's queue, as a new non-blocking, close-on-exec socket.
 *
 * `ECONNABORTED` (the client reset the connection while it sat in the queue) is retried with
 * the next one, as Go's and libuv's accept loops do: it is that client's failure, not the
 * listener's, and reporting it would make callers special-case it anyway.
 *
 * @returns the new fd, or `WOULD_BLOCK` when the queue is empty.
 * @throws IoError (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`, `EINVAL` if not listening, ...).
 */
export function accept4(fd: number): number {
  for (;;) {
    const client = c.accept4(fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client >= 0) return client;
    const e = c.errno();
    if (e === EAGAIN) return WOULD_BLOCK;
    if (e !== EINTR && e !== ECONNABORTED) throwIoError("accept4", e);
  }
}

function setIntOption(fd: number, level: number, name: number, value: number): void {
  intValue[0] = value;
  for (;;) {
    if (c.setsockopt(fd, level, name, intValue, 4) === 0) return;
    const e = c.errno();
    if (e !== EINTR) throwIoError("setsockopt", e);
  }
}

/**
 * `SO_REUSEADDR`: lets a listener bind a port that still has connections in TIME_WAIT, so a
 * restarted server does not fail with `EADDRINUSE`.
 *
 * @throws IoError.
 */
export function setReuseAddress(fd: number, on = true): void {
  setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, on ? 1 : 0);
}

/**
 * `TCP_NODELAY`: sends small writes at once instead of holding them for Nagle's algorithm
 * (which adds up to 40 ms to request/response traffic with delayed ACKs).
 *
 * @throws IoError.
 */
export function setNoDelay(fd: number, on = true): void {
  setIntOption(fd, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}

/**
 * `SO_SNDBUF`: caps the kernel's send buffer at `bytes` (the kernel doubles the number for its
 * bookkeeping) and turns off its automatic growth, which otherwise lets a peer that reads nothing
 * have megabytes queued for it. Set on a listener, Linux copies it into every connection accepted.
 *
 * @throws IoError.
 */
export function setSendBufferSize(fd: number, bytes: number): void {
  setIntOption(fd, SOL_SOCKET, SO_SNDBUF, bytes);
}

/**
 * `TCP_DEFER_ACCEPT` on a listening socket: a connection is handed to `accept` only once its first
 * data has arrived (or after about `seconds`), so a server reads a request at once instead of
 * waiting for readiness. Linux.
 *
 * @throws IoError (`ENOPROTOOPT` where the option does not exist, `EBADF`, ...).
 */
export function setDeferAccept(fd: number, seconds: number): void {
  setIntOption(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, seconds);
}

function fillLocalAddress(fd: number): void {
  lengthValue[0] = SOCKADDR_IN6_SIZE;
  for (;;) {
    if (c.getsockname(fd, sockaddr, lengthValue) === 0) return;
    const e = c.errno();
    if (e !== EINTR) throwIoError("getsockname", e);
  }
}

/**
 * The local port of `fd` (`getsockname`): the one the kernel picked after binding port 0.
 *
 * @throws IoError (`EBADF`, `ENOTSOCK`).
 */
export function localPort(fd: number): number {
  fillLocalAddress(fd);
  // sin_port and sin6_port are both at offset 2, big-endian.
  return (sockaddr[2]! << 8) | sockaddr[3]!;
}

/**
 * The local address of `fd` (`getsockname`).
 *
 * @throws IoError (`EBADF`, `ENOTSOCK`).
 */
export function localAddress(fd: number): SocketAddress {
  fillLocalAddress(fd);
  return decodeSockaddr(sockaddr);
}

/**
 * `shutdown(2)`: by default `SHUT_WR`, so the peer reads end of stream while this side can still
 * read its answer.
 *
 * @param how - {@link SHUT_WR} (default), {@link SHUT_RD} or {@link SHUT_RDWR}.
 * @throws IoError (`ENOTCONN` when not or no longer connected, `EBADF`, ...).
 */
export function shutdown(fd: number, how: number = SHUT_WR): void {
  for (;;) {
    if (c.shutdown(fd, how) === 0) return;
    const e = c.errno();
    if (e !== EINTR) throwIoError("shutdown", e);
  }
}
