/**
 * Client contexts (`SSL_CTX`): the settings every connection shares, made once and cached.
 *
 * A context holds the trusted roots, and loading Node's ~140 bundled roots costs milliseconds,
 * so contexts are cached per thread by what changes them (`ca`, `systemCa`): a thousand
 * connections with the same options share one. The cache is small and drops its oldest entry
 * when full; OpenSSL counts references, so connections still using a dropped context keep it
 * alive until they are freed.
 *
 * Every context: TLS 1.2 at least, no compression, no renegotiation,
 * ALPN offering `http/1.1`, record buffers released while idle, new sessions reported to the
 * resumption cache (`session-cache.ts`).
 *
 * @module
 */
import { TlsError } from "../errors.js";
import * as ssl from "../sys/openssl.js";
import type { TlsConnectOptions } from "./options.js";
import { sessionCallback } from "./session-cache.js";
import { bundledRoots, SYSTEM_STORE_PLACES, systemStore } from "./trust.js";

/** ALPN's wire form: each protocol name prefixed by its length. */
const ALPN_HTTP1 = Buffer.from("\x08http/1.1", "latin1");
const CACHE_MAX = 8;
const cache = new Map<string, ssl.Handle>();

function cacheKey(options: TlsConnectOptions): string {
  const ca = options.ca === undefined ? "" : typeof options.ca === "string" ? options.ca : options.ca.join("\n");
  return (options.systemCa === true ? "system\n" : "\n") + ca;
}

function configure(lib: ssl.OpenSslLib, ctx: ssl.Handle, options: TlsConnectOptions): void {
  lib.SSL_CTX_set_options(ctx, ssl.CLIENT_OPTIONS);
  lib.ERR_clear_error();
  if (lib.SSL_CTX_ctrl(ctx, ssl.SSL_CTRL_SET_MIN_PROTO_VERSION, ssl.TLS1_2_VERSION, 0) !== 1)
    throw failed(lib, "setting TLS 1.2 as the minimum");
  lib.SSL_CTX_ctrl(ctx, ssl.SSL_CTRL_MODE, ssl.SSL_MODE_RELEASE_BUFFERS, 0);
  // New sessions go to the resumption cache of the connection they belong to, if it has one.
  lib.SSL_CTX_ctrl(ctx, ssl.SSL_CTRL_SET_SESS_CACHE_MODE, ssl.SSL_SESS_CACHE_CLIENT_ONLY, 0);
  lib.SSL_CTX_sess_set_new_cb(ctx, sessionCallback());
  // The whole chain is checked and the result read after the handshake, as Node does (see
  // TlsStream.checkPeer): the callback lets verification go on past the first error.
  lib.SSL_CTX_set_verify(ctx, ssl.SSL_VERIFY_PEER, ssl.acceptAllVerifyCallback());
  // The one setter that returns 0 on success.
  if (lib.SSL_CTX_set_alpn_protos(ctx, ALPN_HTTP1, ALPN_HTTP1.length) !== 0) throw failed(lib, "setting ALPN");
  const store = lib.SSL_CTX_get_cert_store(ctx);
  ssl.addPemCertificates(lib, store, bundledRoots());
  if (options.systemCa === true) loadSystemStore(lib, store);
  const extra = options.ca === undefined ? [] : typeof options.ca === "string" ? [options.ca] : options.ca;
  for (const pem of extra) ssl.addPemCertificates(lib, store, pem);
}

function loadSystemStore(lib: ssl.OpenSslLib, store: ssl.Handle): void {
  const found = systemStore();
  if (found === null)
    throw new TlsError("ERR_TLS_INVALID_CA", "", `systemCa: no system trust store found (looked at ${SYSTEM_STORE_PLACES})`);
  lib.ERR_clear_error();
  if (found.file !== null && lib.X509_STORE_load_file(store, found.file) !== 1) throw failed(lib, `systemCa: loading ${found.file}`);
  if (found.dir !== null && lib.X509_STORE_load_path(store, found.dir) !== 1) throw failed(lib, `systemCa: loading ${found.dir}`);
}

function failed(lib: ssl.OpenSslLib, what: string): TlsError {
  const e = ssl.takeError(lib);
  return new TlsError(e?.code ?? "ERR_TLS_INVALID_CA", e?.reason ?? "", `${what} failed${e === null ? "" : `: ${e.reason}`}`);
}

/** The client context for `options`, made on first use and cached. */
export function clientContext(lib: ssl.OpenSslLib, options: TlsConnectOptions): ssl.Handle {
  const key = cacheKey(options);
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const ctx = ssl.newContext(lib);
  try {
    configure(lib, ctx, options);
  } catch (e) {
    ssl.freeContext(lib, ctx);
    throw e;
  }
  if (cache.size >= CACHE_MAX) {
    const [oldestKey, oldest] = cache.entries().next().value!;
    cache.delete(oldestKey);
    ssl.freeContext(lib, oldest);
  }
  cache.set(key, ctx);
  return ctx;
}

/** @internal Frees every cached context (tests check that the live count then returns to zero). */
export function clearContextCache(): void {
  if (cache.size === 0) return;
  const lib = ssl.openSslLib();
  for (const ctx of cache.values()) ssl.freeContext(lib, ctx);
  cache.clear();
}
