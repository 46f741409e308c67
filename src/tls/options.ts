/**
 * The options of a TLS client connection.
 *
 * @module
 */
import type { TlsSessionCache } from "./session-cache.js";

/**
 * How a TLS client connection is set up. Everything defaults to secure: the server's
 * certificate chain is verified against trusted roots, the certificate must name the host,
 * SNI carries the host name, TLS 1.2 is the oldest version offered, and ALPN offers `http/1.1`.
 *
 * @example
 * <!-- ts-check
 * import { readFileSync } from "node:fs";
 * -->
 * ```ts
 * const options: TlsConnectOptions = { ca: readFileSync("test-ca.pem", "utf8"), servername: "api.test" };
 * const tls = yield* wait(TlsStream.connect("127.0.0.1:8443", options));
 * ```
 */
export interface TlsConnectOptions {
  /**
   * Extra trusted root certificates (PEM text, one or more certificates each), added to the
   * default roots (Node's bundled Mozilla list, `tls.rootCertificates`). Unlike Node's `ca`, which
   * replaces the defaults, this adds to them.
   */
  readonly ca?: string | readonly string[];
  /**
   * Also trust the operating system's store: `SSL_CERT_FILE` (and `SSL_CERT_DIR`) when set, else
   * the distribution's bundle (`/etc/ssl/certs/ca-certificates.crt`, `/etc/pki/tls/certs/ca-bundle.crt`, ...).
   * Default false, as in Node without `--use-system-ca`.
   */
  readonly systemCa?: boolean;
  /**
   * The name to send as SNI and to check the certificate against. Default: the host of the
   * address connected to. An IP literal is checked against the certificate's IP addresses and
   * sends no SNI (RFC 6066 allows none).
   */
  readonly servername?: string;
  /**
   * **DANGER: `false` turns off certificate verification.** The connection is then encrypted
   * but not authenticated: anyone on the path can impersonate the server, read and change
   * everything. Only for tests against a throwaway certificate; prefer `ca`. Default true.
   */
  readonly rejectUnauthorized?: boolean;
  /**
   * Resume TLS sessions through this cache: the session kept for this address, server name and
   * trust options is offered (an abbreviated handshake if the server accepts it), and the sessions
   * the server sends are kept for the next connection. Default: none (a full handshake each time).
   * The HTTP client passes its own.
   */
  readonly sessions?: TlsSessionCache;
}
