/**
 * `TlsStream`: a TLS client connection over a `TcpStream`, driven by OpenSSL through memory BIOs
 * on the same reactor, with no thread and no blocking call. It is a `ByteStream`, so a protocol
 * written against that interface (the HTTP client) runs over TCP or TLS alike.
 *
 * How it moves bytes: OpenSSL never touches the socket. Ciphertext read from the TCP stream is
 * written into the connection's input BIO; what OpenSSL wants sent collects in its output BIO
 * and is written to the TCP stream from there. When `SSL_read` or `SSL_do_handshake` reports
 * `SSL_ERROR_WANT_READ`, the stream reads the TCP stream by readiness (`PENDING` with the waker
 * stored, as any leaf future); output waits on writability the same way. So the TCP stream keeps
 * the only socket reads and writes, and its readiness, cooperative budget and backend stay in
 * one place: each socket read spends one unit of the task's budget there, and nothing here spends
 * more.
 *
 * Contract:
 * - `pollRead` returns plaintext bytes, 0 once the server's `close_notify` has arrived, and
 *   throws `TlsError` (`ERR_SSL_UNEXPECTED_EOF_WHILE_READING`) when the connection ends without
 *   it: a cut-off stream is an error, never a short success. Where a message's own framing says
 *   it is complete, the caller may choose to accept an end without `close_notify`.
 * - `pollWrite` encrypts up to {@link MAX_WRITE} bytes and counts them written once OpenSSL has
 *   taken them; their ciphertext goes out at once if the socket takes it, else before anything
 *   else is written. `pollFlush` waits until all of it is gone; `writeAll` and `shutdown` do.
 * - A reader and a writer task may share the stream. A read never waits on writability: output
 *   a read produces (the answer to a TLS 1.3 key update) is sent if the socket takes it and
 *   otherwise left for the next write, so the reader never takes the writer's waker slot.
 * - `pollShutdown` sends `close_notify`, waits until it has gone out, then half-closes the TCP
 *   stream; reading goes on.
 * - Before each `SSL_*` call whose result it reads, the stream clears this thread's OpenSSL error
 *   queue (shared by every stream on the thread); a failure empties it. A fatal error is kept:
 *   every later read or write throws it again.
 * - `close()` frees the `SSL` (and its BIOs) exactly once and closes the TCP stream; a second
 *   call does nothing. After it every operation throws `IoError` `ECANCELED`, and so do the polls
 *   of tasks that waited on the stream when it closed (as `TcpStream`). The connect and handshake
 *   futures free both when they fail or are dropped.
 * - Resumption: with a `sessions` cache in its options, the stream offers the session kept for
 *   its key and keeps the ones the server sends (see `session-cache.ts`); `sessionReused` says
 *   whether the handshake was an abbreviated one.
 *
 * @module
 */
import { IoError, RuntimeError, TlsError } from "../errors.js";
import { PENDING, type Future, type Poll } from "../future/future.js";
import { map } from "../future/map.js";
import type { Waker } from "../future/waker.js";
import * as ssl from "../sys/openssl.js";
import { WOULD_BLOCK } from "../sys/index.js";
import type { AddressInput } from "../sys/index.js";
import type { ByteStream } from "../net/byte-stream.js";
import { StreamFlush, StreamRead, StreamWrite } from "../net/stream-futures.js";
import type { TcpStream } from "../net/tcp-stream.js";
import { READABLE } from "../runtime/token-table.js";
import { TlsConnectFuture } from "./connect.js";
import type { TlsConnectOptions } from "./options.js";
import { unwatchSessions, watchSessions } from "./session-cache.js";
import type { TlsSetup } from "./setup.js";
import { verifyErrorCode } from "./verify-codes.js";

/** The most plaintext one `pollWrite` encrypts: four full records. */
export const MAX_WRITE = 64 * 1024;

/**
 * Ciphertext moves through this one buffer per thread, from the socket into the input BIO and
 * from the output BIO to the socket; only what the socket did not take is copied out (into
 * the stream's own pending buffer). Large enough for {@link MAX_WRITE} bytes of records.
 */
const scratch = new Uint8Array(MAX_WRITE + 4096);

/** Node's code for OpenSSL's `SSL_R_UNEXPECTED_EOF_WHILE_READING`: the peer closed without `close_notify`. */
const UNEXPECTED_EOF = "ERR_SSL_UNEXPECTED_EOF_WHILE_READING";

/** How errors name this stream (`IoError.canceled`). */
const TLS_STREAM = "TlsStream";

function checkRange(buf: Uint8Array, off: number, len: number): void {
  // A void * carries no length: a range past the end would let OpenSSL write over the JS heap.
  if (off >>> 0 !== off || len >>> 0 !== len || off + len > buf.length) {
    throw new RangeError(`range [${off}, ${off}+${len}) is outside the buffer (length ${buf.length})`);
  }
}

/**
 * A TLS client connection.
 *
 * @example
 * <!-- ts-check
 * import { readFileSync } from "node:fs";
 * -->
 * ```ts
 * const tls = yield* wait(TlsStream.connect("localhost:8443", { ca: readFileSync("ca.pem", "utf8") }));
 * yield* wait(tls.writeAll(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")));
 * const buf = new Uint8Array(16384);
 * const n = yield* wait(tls.read(buf)); // 0 = the server sent close_notify
 * tls.close();
 * ```
 */
export class TlsStream implements ByteStream {
  private readonly lib: ssl.OpenSslLib;
  private connection: ssl.SslConnection | null;
  /** Ciphertext the socket has not taken yet: `pending[pendingOff..pendingEnd)`. */
  private pending: Uint8Array | null = null;
  private pendingOff = 0;
  private pendingEnd = 0;
  /** The TCP stream reported end of stream (and the input BIO was told so). */
  private inputEnded = false;
  /** The server's `close_notify` arrived: reads return 0 from now on. */
  private readEnded = false;
  private handshaken = false;
  private shutdownSent = false;
  private tcpShut = false;
  private error: Error | null = null;

  /** @internal Use {@link TlsStream.connect}, or `clientHandshake` over a connected TCP stream. */
  constructor(
    private readonly tcp: TcpStream,
    private readonly setup: TlsSetup,
  ) {
    const lib = (this.lib = setup.lib);
    const connection = ssl.newConnection(lib, setup.ctx);
    try {
      configureConnection(lib, connection.ssl, setup);
    } catch (e) {
      ssl.freeConnection(lib, connection);
      throw e;
    }
    if (setup.sessions !== null) watchSessions(lib, connection.ssl, setup.sessions, setup.sessionKey);
    this.connection = connection;
  }

  /**
   * Connects to `address` (`"localhost:8443"`, `"127.0.0.1:8443"`, `{ host, port }`) and completes
   * the TLS handshake: the certificate is verified and must name the host (or
   * `options.servername`). Fails with `TlsError` (a refused certificate, an alert) or `IoError`.
   */
  static connect(address: AddressInput, options: TlsConnectOptions = {}): Future<TlsStream> {
    return new TlsConnectFuture(address, options, (tcp, setup) => new TlsStream(tcp, setup));
  }

  /**
   * Runs the client handshake over a connected `TcpStream`, which the future takes over: it is
   * closed if the handshake fails or the future is dropped, and by the `TlsStream`'s `close()`.
   */
  static clientHandshake(tcp: TcpStream, options: TlsConnectOptions & { readonly servername: string }): Future<TlsStream> {
    return new TlsConnectFuture(tcp, options, (tcp, setup) => new TlsStream(tcp, setup));
  }

  /** The name the certificate was checked against (and sent as SNI unless an IP). */
  get servername(): string {
    return this.setup.servername;
  }

  /** The negotiated protocol version, e.g. `"TLSv1.3"`. */
  get protocol(): string {
    return this.lib.SSL_get_version(this.ssl("protocol"));
  }

  /** The protocol chosen by ALPN (`"http/1.1"`), or null when the server chose none. */
  get alpnProtocol(): string | null {
    return ssl.alpnSelected(this.lib, this.ssl("alpnProtocol"));
  }

  /** Whether the handshake resumed a session (`options.sessions`) instead of making a new one. */
  get sessionReused(): boolean {
    return this.lib.SSL_session_reused(this.ssl("sessionReused")) === 1;
  }

  /** For errors and task dumps (see `stream-futures.ts`). */
  get kind(): string {
    return "TlsStream";
  }

  /** Which stream, for task dumps. */
  get where(): string {
    return this.servername;
  }

  /** True until `close()`. */
  get isOpen(): boolean {
    return this.connection !== null;
  }

  /** Reads plaintext into `buf`; completes with the byte count, 0 once the server closed with `close_notify`. */
  read(buf: Uint8Array): Future<number> {
    return new StreamRead(this, buf);
  }

  /** Writes some of `buf` (at most {@link MAX_WRITE} bytes); completes with how many were taken. */
  write(buf: Uint8Array): Future<number> {
    return new StreamWrite(this, buf, false);
  }

  /** Writes all of `buf` and waits until its ciphertext has been handed to the socket. */
  writeAll(buf: Uint8Array): Future<void> {
    return map(new StreamWrite(this, buf, true), () => undefined);
  }

  /** Waits until every byte written so far has been handed to the socket. */
  flush(): Future<void> {
    return new StreamFlush(this, false);
  }

  /**
   * Sends `close_notify`, waits until it is handed to the socket, then half-closes the TCP
   * connection. Reading the server's remaining data (and its `close_notify`) is still possible.
   */
  shutdown(): Future<void> {
    return new StreamFlush(this, true);
  }

  /** @internal Drives the handshake: done, or `PENDING` with the waker stored. Throws `TlsError`. */
  pollHandshake(waker: Waker): Poll<void> {
    const lib = this.lib;
    const s = this.usable("handshake");
    for (;;) {
      lib.ERR_clear_error();
      const r = lib.SSL_do_handshake(s);
      if (r === 1) {
        if (!this.handshaken) {
          this.handshaken = true;
          if (this.setup.verify) this.checkPeer(s);
        }
        // Our last flight (Finished) must reach the server before the stream is used.
        return this.flushOrWait(waker);
      }
      const err = lib.SSL_get_error(s, r);
      if (err !== ssl.SSL_ERROR_WANT_READ && err !== ssl.SSL_ERROR_WANT_WRITE) throw this.fail(err, "handshake");
      if (this.flushOrWait(waker) === PENDING) return PENDING;
      if (err === ssl.SSL_ERROR_WANT_READ && this.fill(waker) === PENDING) return PENDING;
    }
  }

  /**
   * Reads plaintext into `buf[off..off+len)` ({@link ByteStream.pollRead}): bytes read, 0 after
   * `close_notify` (or for `len` 0), or `PENDING` with `waker` stored for readable.
   */
  pollRead(waker: Waker, buf: Uint8Array, off = 0, len = buf.length - off): Poll<number> {
    checkRange(buf, off, len);
    const s = this.usable("read");
    if (this.readEnded || len === 0) return 0;
    const lib = this.lib;
    const target = off === 0 ? buf : buf.subarray(off);
    const want = Math.min(len, 0x7fffffff);
    for (;;) {
      lib.ERR_clear_error();
      const n = lib.SSL_read(s, target, want);
      this.flushQuietly();
      if (n > 0) return n;
      const err = lib.SSL_get_error(s, n);
      if (err === ssl.SSL_ERROR_ZERO_RETURN) {
        this.readEnded = true;
        return 0;
      }
      if (err !== ssl.SSL_ERROR_WANT_READ) throw this.fail(err, "read");
      if (this.fill(waker) === PENDING) return PENDING;
    }
  }

  /**
   * Encrypts up to {@link MAX_WRITE} bytes of `buf[off..off+len)` ({@link ByteStream.pollWrite}):
   * how many were taken, or `PENDING` (waker stored for writable) while earlier ciphertext is
   * still waiting for the socket.
   */
  pollWrite(waker: Waker, buf: Uint8Array, off = 0, len = buf.length - off): Poll<number> {
    checkRange(buf, off, len);
    const s = this.usable("write");
    if (this.shutdownSent) throw new RuntimeError("write after TlsStream.shutdown()");
    if (len === 0) return 0;
    if (this.flushOrWait(waker) === PENDING) return PENDING;
    const lib = this.lib;
    lib.ERR_clear_error();
    const n = lib.SSL_write(s, off === 0 ? buf : buf.subarray(off), Math.min(len, MAX_WRITE));
    // With memory BIOs OpenSSL takes everything: any other answer (a renegotiation, refused
    // here) is a failure.
    if (n <= 0) throw this.fail(lib.SSL_get_error(s, n), "write");
    this.flushIfPossible();
    return n;
  }

  /** Done once every byte written has been handed to the socket, else `PENDING` with `waker` stored. */
  pollFlush(waker: Waker): Poll<void> {
    this.usable("write");
    return this.flushOrWait(waker);
  }

  /**
   * Sends `close_notify` (once), flushes, then half-closes the TCP stream
   * ({@link ByteStream.pollShutdown}): done, or `PENDING` with `waker` stored.
   */
  pollShutdown(waker: Waker): Poll<void> {
    const s = this.usable("shutdown");
    if (!this.shutdownSent) {
      const lib = this.lib;
      lib.ERR_clear_error();
      // 0: sent, the server's not yet received; 1: both. Either way ours is queued.
      const r = lib.SSL_shutdown(s);
      if (r < 0) throw this.fail(lib.SSL_get_error(s, r), "shutdown");
      this.shutdownSent = true;
    }
    if (this.flushOrWait(waker) === PENDING) return PENDING;
    if (!this.tcpShut) {
      this.tcpShut = true;
      this.tcp.shutdown();
    }
    return undefined;
  }

  /** Closes, as {@link close} does: `using tls = yield* wait(TlsStream.connect(...))`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Frees the TLS state and closes the connection; the tasks waiting on it fail with `IoError`
   * `ECANCELED`. Closing twice is a no-op.
   */
  close(): void {
    const connection = this.connection;
    if (connection === null) return;
    this.connection = null;
    this.pending = null;
    try {
      if (this.setup.sessions !== null) {
        unwatchSessions(connection.ssl);
        // OpenSSL takes a connection freed without close_notify for a broken one and marks its
        // session unusable; one closed in good order keeps it for the next connection.
        if (this.error === null) this.lib.SSL_set_shutdown(connection.ssl, ssl.SSL_SENT_SHUTDOWN);
      }
      ssl.freeConnection(this.lib, connection);
    } finally {
      this.tcp.close();
    }
  }

  /**
   * @internal The TCP stream's readiness word (see `TcpStream.readiness`), with `READABLE` added
   * while OpenSSL holds input not read yet: what a connection pool looks at before it reuses an
   * idle connection.
   */
  readiness(): number {
    const connection = this.connection;
    if (connection === null) throw IoError.canceled("read", TLS_STREAM);
    const buffered = this.lib.SSL_has_pending(connection.ssl) === 1 || ssl.bioHasPending(this.lib, connection.rbio);
    return this.tcp.readiness() | (buffered ? READABLE : 0);
  }

  /** Forgets the wakers stored for the stream (see `TcpStream.releaseWakers`): for a connection kept idle. */
  releaseWakers(): void {
    this.tcp.releaseWakers();
  }

  private ssl(op: string): ssl.Handle {
    if (this.connection === null) throw IoError.canceled(op, TLS_STREAM);
    return this.connection.ssl;
  }

  /** The `SSL *`, after checking the stream is open and has not failed. */
  private usable(op: string): ssl.Handle {
    const s = this.ssl(op);
    if (this.error !== null) throw this.error;
    return s;
  }

  /**
   * Reads ciphertext from the socket into the input BIO: done (bytes added, or end of stream
   * recorded), or `PENDING` with the waker stored. Called only after OpenSSL asked for input.
   */
  private fill(waker: Waker): Poll<void> {
    if (this.inputEnded) {
      // OpenSSL was told the input ended and still asks for more: it will not get any.
      throw this.record(this.truncated());
    }
    const n = this.tcp.pollRead(waker, scratch, 0, scratch.length);
    if (n === PENDING) return PENDING;
    const { lib, connection } = this;
    if (n === 0) {
      this.inputEnded = true;
      ssl.setEndOfInput(lib, connection!.rbio);
    } else if (lib.BIO_write(connection!.rbio, scratch, n) !== n) {
      throw this.fail(ssl.SSL_ERROR_SSL, "read");
    }
    return undefined;
  }

  /** Hands queued ciphertext to the socket until it is all gone, or `PENDING` with the waker stored. */
  private flushOrWait(waker: Waker): Poll<void> {
    for (;;) {
      if (this.pendingEnd > this.pendingOff) {
        const n = this.tcp.pollWrite(waker, this.pending!, this.pendingOff, this.pendingEnd - this.pendingOff);
        if (n === PENDING) return PENDING;
        this.pendingOff += n;
        continue;
      }
      const k = this.lib.BIO_read(this.connection!.wbio, scratch, scratch.length);
      if (k <= 0) return undefined;
      const n = this.tcp.pollWrite(waker, scratch, 0, k);
      if (n === PENDING) {
        this.keep(0, k);
        return PENDING;
      }
      if (n < k) this.keep(n, k - n);
    }
  }

  /** Like {@link flushOrWait}, but stops at the first `EAGAIN` without storing a waker. */
  private flushIfPossible(): void {
    for (;;) {
      if (this.pendingEnd > this.pendingOff) {
        const n = this.tcp.tryWrite(this.pending!, this.pendingOff, this.pendingEnd - this.pendingOff);
        if (n === WOULD_BLOCK) return;
        this.pendingOff += n;
        continue;
      }
      const k = this.lib.BIO_read(this.connection!.wbio, scratch, scratch.length);
      if (k <= 0) return;
      const n = this.tcp.tryWrite(scratch, 0, k);
      if (n === WOULD_BLOCK) return this.keep(0, k);
      if (n < k) this.keep(n, k - n);
    }
  }

  /** Copies `scratch[off..off+len)` into the pending buffer (which is empty when this is called). */
  private keep(off: number, len: number): void {
    if (this.pending === null || this.pending.length < len) this.pending = new Uint8Array(Math.max(len, 16 * 1024));
    this.pending.set(scratch.subarray(off, off + len));
    this.pendingOff = 0;
    this.pendingEnd = len;
  }

  /**
   * The error for a failed `SSL_*` call (its `SSL_get_error` result `err`), kept for later calls.
   * A refused certificate is named by its verification result; a close without `close_notify`
   * by OpenSSL's "unexpected eof" reason, as OpenSSL 3 reports it.
   */
  private fail(err: number, during: string): Error {
    const lib = this.lib;
    const queued = ssl.takeError(lib);
    let error: TlsError;
    if (queued !== null && queued.code !== UNEXPECTED_EOF) {
      error = new TlsError(queued.code, queued.reason, this.describe(`${during} failed: ${queued.reason}`));
    } else if (queued !== null || err === ssl.SSL_ERROR_SYSCALL) {
      error = this.truncated();
    } else {
      error = new TlsError("ERR_TLS_INTERNAL", "", this.describe(`${during} failed (SSL_get_error ${err})`));
    }
    // Tell the server why, if the socket takes it now (an alert OpenSSL queued); never wait for it.
    if (!this.handshaken) this.flushQuietly();
    return this.record(error);
  }

  /**
   * Refuses a server whose certificate did not verify, the way Node does: the handshake runs to
   * its end without stopping at the first verification error (the context's verify callback
   * accepts all), then the result is read, before a byte of data is sent. OpenSSL then reports the last error it found,
   * which is the code Node users know (a lone certificate from an unknown CA is
   * `UNABLE_TO_VERIFY_LEAF_SIGNATURE`; a handshake stopped at the first error would say
   * `UNABLE_TO_GET_ISSUER_CERT_LOCALLY`). A server that sent no certificate is refused too.
   */
  private checkPeer(s: ssl.Handle): void {
    const lib = this.lib;
    const result = lib.SSL_get0_peer_certificate(s) === 0 ? ssl.X509_V_ERR_UNSPECIFIED : lib.SSL_get_verify_result(s);
    if (result === ssl.X509_V_OK) return;
    const reason = lib.X509_verify_cert_error_string(result);
    const host = this.setup.servername;
    const code = verifyErrorCode(result);
    const what = code === "ERR_TLS_CERT_ALTNAME_INVALID" ? `the certificate is not valid for "${host}" (${reason})` : reason;
    throw this.record(new TlsError(code, reason, `TLS handshake with ${host} failed: ${what}`));
  }

  private describe(what: string): string {
    return `TLS ${what} (${this.setup.servername})`;
  }

  /** The connection ended without `close_notify` (OpenSSL 3's "unexpected eof" with SYSCALL before it). */
  private truncated(): TlsError {
    const when = this.handshaken ? "" : " during the handshake";
    const message = `TLS connection with ${this.setup.servername} ended without close_notify${when}: unexpected eof while reading`;
    return new TlsError(UNEXPECTED_EOF, "unexpected eof while reading", message);
  }

  /**
   * {@link flushIfPossible} for output a read or a failure produced: a write error is not the
   * reader's to report (the data it came for may still be there); the next write meets it again.
   */
  private flushQuietly(): void {
    try {
      this.flushIfPossible();
    } catch {
      // Left pending: the next write or flush tries again and throws it.
    }
  }

  private record(error: Error): Error {
    this.error = error;
    return error;
  }
}

/** SNI and the name (or IP) to check, on one fresh `SSL *`. */
function configureConnection(lib: ssl.OpenSslLib, s: ssl.Handle, setup: TlsSetup): void {
  lib.ERR_clear_error();
  if (setup.isIp) {
    if (lib.X509_VERIFY_PARAM_set1_ip_asc(lib.SSL_get0_param(s), setup.servername) !== 1) throw invalidName(lib, setup.servername);
  } else {
    if (lib.SSL_ctrl_str(s, ssl.SSL_CTRL_SET_TLSEXT_HOSTNAME, ssl.TLSEXT_NAMETYPE_HOST_NAME, setup.servername) !== 1) {
      throw invalidName(lib, setup.servername);
    }
    lib.SSL_set_hostflags(s, ssl.X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (lib.SSL_set1_host(s, setup.servername) !== 1) throw invalidName(lib, setup.servername);
  }
}

function invalidName(lib: ssl.OpenSslLib, name: string): TlsError {
  const e = ssl.takeError(lib);
  return new TlsError("ERR_TLS_INVALID_SERVERNAME", e?.reason ?? "", `invalid TLS server name ${JSON.stringify(name)}`);
}
