/**
 * OpenSSL for the TLS layer: the constants it needs, the one place an OpenSSL error becomes a
 * name, and the `SSL_CTX`/`SSL` lifecycle with a count of the live ones.
 *
 * Contract:
 * - OpenSSL keeps one error queue per thread, shared by every stream on it (and by Node's own
 *   crypto on the main thread). A caller clears it (`ERR_clear_error`) right before each `SSL_*`
 *   call whose outcome it will read with `SSL_get_error`, and {@link takeError} empties it after a
 *   failure, so no error outlives the call that caused it.
 * - Every `SSL_CTX *` and `SSL *` is made by {@link newContext}/{@link newConnection} and freed by
 *   {@link freeContext}/{@link freeConnection}, once: {@link liveObjects} counts them, for the
 *   tests that look for leaks on every path.
 * - A connection's two memory BIOs belong to its `SSL` (`SSL_set_bio`) and are freed with it.
 *
 * Which OpenSSL, and why: see `openssl-lib.ts`.
 *
 * @module
 */
import koffi from "koffi";
import { TlsError } from "../errors.js";
import { type Handle, type OpenSslLib } from "./openssl-lib.js";

export { LIBSSL_ENV, openSslLib, type Handle, type OpenSslLib } from "./openssl-lib.js";

/** `SSL_get_error` results. */
export const SSL_ERROR_NONE = 0;
export const SSL_ERROR_SSL = 1;
export const SSL_ERROR_WANT_READ = 2;
export const SSL_ERROR_WANT_WRITE = 3;
export const SSL_ERROR_SYSCALL = 5;
export const SSL_ERROR_ZERO_RETURN = 6;

/** `SSL_VERIFY_PEER`: verify the server's chain (the callback decides whether a failure stops the handshake). */
export const SSL_VERIFY_PEER = 1;

/** `X509_V_OK`: the verification result of a certificate chain that passed. */
export const X509_V_OK = 0;
/** `X509_V_ERR_UNSPECIFIED`: what a server that sent no certificate at all counts as. */
export const X509_V_ERR_UNSPECIFIED = 1;

/** `SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION`: no CRIME, no renegotiation mid-stream. */
export const CLIENT_OPTIONS = 2 ** 17 + 2 ** 30;
/** `TLS1_2_VERSION`. */
export const TLS1_2_VERSION = 0x0303;
/** `SSL_CTRL_SET_MIN_PROTO_VERSION`, for `SSL_CTX_ctrl`. */
export const SSL_CTRL_SET_MIN_PROTO_VERSION = 123;
/** `SSL_CTRL_MODE`, for `SSL_CTX_ctrl`. */
export const SSL_CTRL_MODE = 33;
/** `SSL_MODE_RELEASE_BUFFERS`: an idle connection gives its record buffers back. */
export const SSL_MODE_RELEASE_BUFFERS = 0x10;
/** `SSL_CTRL_SET_TLSEXT_HOSTNAME` and `TLSEXT_NAMETYPE_host_name`: the SNI macro's arguments. */
export const SSL_CTRL_SET_TLSEXT_HOSTNAME = 55;
export const TLSEXT_NAMETYPE_HOST_NAME = 0;
/** `X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS`: `*.example.com` matches, `f*.example.com` does not (as Node). */
export const X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS = 0x4;
/** `BIO_C_SET_BUF_MEM_EOF_RETURN`: what an empty memory BIO's read returns (-1 "retry" by default). */
const BIO_C_SET_BUF_MEM_EOF_RETURN = 130;
/** `BIO_CTRL_PENDING`: how many bytes a BIO holds, unread. */
const BIO_CTRL_PENDING = 10;
/** `SSL_SENT_SHUTDOWN`, for `SSL_set_shutdown`. */
export const SSL_SENT_SHUTDOWN = 1;
/** `SSL_CTRL_SET_SESS_CACHE_MODE`, for `SSL_CTX_ctrl`. */
export const SSL_CTRL_SET_SESS_CACHE_MODE = 44;
/**
 * `SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE`: each new client session (TLS 1.2's at
 * the handshake, each TLS 1.3 ticket when it arrives) goes to the new-session callback, and
 * OpenSSL keeps no cache of its own.
 */
export const SSL_SESS_CACHE_CLIENT_ONLY = 0x0001 | 0x0200;

/** `ERR_LIB_*` numbers to the names Node puts in its `ERR_OSSL_<LIB>_<REASON>` codes. */
const LIB_NAMES: Readonly<Record<number, string>> = {
  2: "SYS",
  3: "BN",
  4: "RSA",
  5: "DH",
  6: "EVP",
  7: "BUF",
  8: "OBJ",
  9: "PEM",
  10: "DSA",
  11: "X509",
  13: "ASN1",
  14: "CONF",
  15: "CRYPTO",
  16: "EC",
  32: "BIO",
  34: "X509V3",
  36: "RAND",
  57: "PROV",
};
const ERR_LIB_SSL = 20;
const ERR_LIB_SYS = 2;
const ERR_SYSTEM_FLAG = 2 ** 31;

/** An OpenSSL error by name: Node's code for it and OpenSSL's reason text. */
export interface OpenSslError {
  code: string;
  reason: string;
}

/**
 * Empties this thread's error queue and names its earliest error the way Node does:
 * `ERR_SSL_<REASON>` for libssl's (`ERR_SSL_WRONG_VERSION_NUMBER`), `ERR_OSSL_<LIB>_<REASON>` for
 * the others (`ERR_OSSL_PEM_NO_START_LINE`). Null when the queue was empty.
 */
export function takeError(lib: OpenSslLib): OpenSslError | null {
  let first = 0;
  for (let e = lib.ERR_get_error(); e !== 0; e = lib.ERR_get_error()) if (first === 0) first = e;
  if (first === 0) return null;
  const reason = lib.ERR_reason_error_string(first) ?? `error ${first.toString(16)}`;
  const libNumber = first >= ERR_SYSTEM_FLAG ? ERR_LIB_SYS : Math.floor(first / 2 ** 23) & 0xff;
  const name = reason.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
  if (libNumber === ERR_LIB_SSL) return { code: `ERR_SSL_${name}`, reason };
  const libName = LIB_NAMES[libNumber];
  return { code: libName === undefined ? `ERR_OSSL_${name}` : `ERR_OSSL_${libName}_${name}`, reason };
}

let liveSsl = 0;
let liveCtx = 0;
let liveSessions = 0;

/**
 * How many `SSL *`, `SSL_CTX *` and `SSL_SESSION *` this thread holds and has not yet freed. A
 * debugging count for leak tests: each stream holds one `SSL *` until it is closed; contexts are
 * cached (`tls/context.ts`); sessions are kept for resumption (`tls/session-cache.ts`).
 */
export function liveObjects(): { ssl: number; ctx: number; session: number } {
  return { ssl: liveSsl, ctx: liveCtx, session: liveSessions };
}

function allocationFailed(lib: OpenSslLib, what: string): TlsError {
  const e = takeError(lib);
  return new TlsError(e?.code ?? "ERR_OSSL_MALLOC_FAILURE", e?.reason ?? "", `${what} failed${e === null ? "" : `: ${e.reason}`}`);
}

/** `SSL_CTX_new(TLS_client_method())`. The caller configures it and frees it with {@link freeContext}. */
export function newContext(lib: OpenSslLib): Handle {
  lib.ERR_clear_error();
  const ctx = lib.SSL_CTX_new(lib.TLS_client_method());
  if (ctx === 0) throw allocationFailed(lib, "SSL_CTX_new");
  liveCtx++;
  return ctx;
}

/** Gives up this thread's reference to `ctx` (connections made from it keep their own). */
export function freeContext(lib: OpenSslLib, ctx: Handle): void {
  lib.SSL_CTX_free(ctx);
  liveCtx--;
}

/** An `SSL *` with its two memory BIOs: ciphertext in (`rbio`, written by us) and out (`wbio`, read by us). */
export interface SslConnection {
  readonly ssl: Handle;
  readonly rbio: Handle;
  readonly wbio: Handle;
}

/** `SSL_new(ctx)` over two fresh memory BIOs, in client mode. Free it with {@link freeConnection}. */
export function newConnection(lib: OpenSslLib, ctx: Handle): SslConnection {
  lib.ERR_clear_error();
  const ssl = lib.SSL_new(ctx);
  if (ssl === 0) throw allocationFailed(lib, "SSL_new");
  const rbio = lib.BIO_new(lib.BIO_s_mem());
  const wbio = rbio === 0 ? 0 : lib.BIO_new(lib.BIO_s_mem());
  if (wbio === 0) {
    if (rbio !== 0) lib.BIO_free(rbio);
    lib.SSL_free(ssl);
    throw allocationFailed(lib, "BIO_new");
  }
  lib.SSL_set_bio(ssl, rbio, wbio);
  lib.SSL_set_connect_state(ssl);
  liveSsl++;
  return { ssl, rbio, wbio };
}

/** `SSL_free`: the connection and its BIOs. Call once. */
export function freeConnection(lib: OpenSslLib, connection: SslConnection): void {
  lib.SSL_free(connection.ssl);
  liveSsl--;
}

/** Whether a memory BIO holds bytes not read yet. */
export function bioHasPending(lib: OpenSslLib, bio: Handle): boolean {
  return lib.BIO_ctrl(bio, BIO_CTRL_PENDING, 0, 0) > 0;
}

/** Gives up a session reference that {@link newSessionCallback}'s handler kept. Call once per kept session. */
export function freeSession(lib: OpenSslLib, session: Handle): void {
  lib.SSL_SESSION_free(session);
  liveSessions--;
}

let newSession: Handle = 0;
let onNewSession: (ssl: Handle, session: Handle) => boolean = () => false;

/**
 * The new-session callback for `SSL_CTX_sess_set_new_cb`, which hands each session OpenSSL
 * reports (with the `SSL *` it belongs to) to `handler`: true keeps the reference (free it with
 * {@link freeSession}), false lets OpenSSL drop it. One callback and one handler per thread (koffi
 * runs a callback on the thread that made it; contexts are per thread too); a handler that throws
 * keeps nothing.
 */
export function newSessionCallback(handler: (ssl: Handle, session: Handle) => boolean): Handle {
  onNewSession = handler;
  if (newSession === 0) {
    const proto = koffi.proto("int NewSessionCallback(intptr_t ssl, intptr_t session)");
    const callback = (ssl: Handle, session: Handle): number => {
      try {
        if (!onNewSession(ssl, session)) return 0;
      } catch {
        return 0;
      }
      liveSessions++;
      return 1;
    };
    newSession = Number(koffi.register(callback, koffi.pointer(proto)));
  }
  return newSession;
}

/** Tells a memory BIO that no more bytes will come: reading it empty is then end of stream, not "retry". */
export function setEndOfInput(lib: OpenSslLib, bio: Handle): void {
  lib.BIO_ctrl(bio, BIO_C_SET_BUF_MEM_EOF_RETURN, 0, 0);
}

/**
 * Adds every certificate of a PEM text to `store`; returns how many. Text outside the
 * `-----BEGIN CERTIFICATE-----` blocks is ignored, as OpenSSL does.
 *
 * @throws TlsError `ERR_TLS_INVALID_CA` when the text holds no certificate, or one that OpenSSL cannot parse.
 */
export function addPemCertificates(lib: OpenSslLib, store: Handle, pem: string): number {
  const bytes = Buffer.from(pem, "latin1");
  lib.ERR_clear_error();
  const bio = lib.BIO_new(lib.BIO_s_mem());
  if (bio === 0) throw allocationFailed(lib, "BIO_new");
  let added = 0;
  try {
    if (bytes.length > 0 && lib.BIO_write(bio, bytes, bytes.length) !== bytes.length) throw allocationFailed(lib, "BIO_write");
    for (;;) {
      const x509 = lib.PEM_read_bio_X509(bio, 0, 0, 0);
      if (x509 === 0) break;
      // The store takes its own reference; a certificate already there is not an error (3.0+).
      const ok = lib.X509_STORE_add_cert(store, x509);
      lib.X509_free(x509);
      if (ok !== 1) throw allocationFailed(lib, "X509_STORE_add_cert");
      added++;
    }
    // The loop ends on "no start line" after the last certificate; anything else was a broken one.
    const end = takeError(lib);
    if (added === 0 || (end !== null && end.code !== "ERR_OSSL_PEM_NO_START_LINE")) {
      const why = end === null || end.code === "ERR_OSSL_PEM_NO_START_LINE" ? "no PEM certificate found" : end.reason;
      throw new TlsError("ERR_TLS_INVALID_CA", end?.reason ?? "", `invalid ca: ${why}`);
    }
    return added;
  } finally {
    lib.BIO_free(bio);
  }
}

let acceptAll: Handle = 0;

/**
 * A verify callback that accepts every certificate, so OpenSSL checks the whole chain instead of
 * stopping at its first error, and `SSL_get_verify_result` then holds the last error found: what
 * Node does (its `VerifyCallback` returns 1 and its JS reads the result after the handshake), and
 * so the code Node reports. Made once per thread (a koffi callback runs on the thread that made it;
 * contexts are per thread too) and kept for the thread's life.
 */
export function acceptAllVerifyCallback(): Handle {
  if (acceptAll === 0) {
    const proto = koffi.proto("int VerifyCallback(int preverify_ok, intptr_t store_ctx)");
    acceptAll = Number(koffi.register(() => 1, koffi.pointer(proto)));
  }
  return acceptAll;
}

const alpnData = new BigUint64Array(1);
const alpnLength = new Uint32Array(1);

/** The protocol ALPN settled on (`"http/1.1"`), or null when the server chose none. */
export function alpnSelected(lib: OpenSslLib, ssl: Handle): string | null {
  lib.SSL_get0_alpn_selected(ssl, alpnData, alpnLength);
  const len = alpnLength[0]!;
  if (alpnData[0] === 0n || len === 0) return null;
  // The bytes belong to the SSL: copied out at once.
  return Buffer.from(koffi.view(alpnData[0]!, len)).toString("latin1");
}
