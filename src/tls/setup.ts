/**
 * What one TLS client connection starts from: OpenSSL itself (loaded on first use), the cached
 * context for its options, and the name the server must prove it holds.
 *
 * @module
 */
import { TlsError } from "../errors.js";
import * as ssl from "../sys/openssl.js";
import { clientContext } from "./context.js";
import type { TlsConnectOptions } from "./options.js";
import type { TlsSessionCache } from "./session-cache.js";

/** What a `TlsStream` is made from. */
export interface TlsSetup {
  readonly lib: ssl.OpenSslLib;
  readonly ctx: ssl.Handle;
  /** The name sent as SNI and checked against the certificate, or an IP literal (checked, no SNI). */
  readonly servername: string;
  readonly isIp: boolean;
  readonly verify: boolean;
  /** Where sessions are resumed from and kept, with the key they are kept under; null for none. */
  readonly sessions: TlsSessionCache | null;
  readonly sessionKey: string;
}

/**
 * Whether a server name is an IP literal: a dotted quad, or anything with a colon (IPv6; no host
 * name has one). `node:net`'s `isIP` would cost every thread that imports the runtime the load
 * of `node:net`; a malformed literal is refused later, by OpenSSL's own parser.
 */
function isIpLiteral(name: string): boolean {
  return name.includes(":") || /^\d{1,3}(?:\.\d{1,3}){3}$/.test(name);
}

/**
 * The key a session is kept under: everything that decided what the session's handshake
 * verified (the name, the trust settings), and where it was made, so a session is offered only
 * to a connection that would have accepted the same certificate.
 */
function sessionKey(options: TlsConnectOptions, origin: string, servername: string): string {
  const ca = options.ca === undefined ? "" : typeof options.ca === "string" ? options.ca : options.ca.join("\n");
  return `${origin}\n${servername}\n${options.rejectUnauthorized !== false}\n${options.systemCa === true}\n${ca}`;
}

/**
 * Loads OpenSSL (first use only), gets the context for `options`, and settles the server name:
 * `options.servername`, else `host`. `origin` is the address connected to ("" when the caller
 * connected): with the name and options, the key of resumed sessions. Runs before any connection
 * is made, so a missing OpenSSL or a bad `ca` costs no socket.
 *
 * @throws TlsError `ERR_TLS_OPENSSL_UNAVAILABLE`, `ERR_TLS_INVALID_CA`, `ERR_TLS_INVALID_SERVERNAME`.
 */
export function tlsSetup(options: TlsConnectOptions, host: string, origin: string): TlsSetup {
  const servername = options.servername ?? host;
  // Embedded NULs would cut the name short on its way to C; 253 is DNS's limit for a name.
  if (servername === "" || servername.length > 253 || servername.includes("\0")) {
    throw new TlsError("ERR_TLS_INVALID_SERVERNAME", "", `invalid TLS server name ${JSON.stringify(servername)}`);
  }
  const lib = ssl.openSslLib();
  return {
    lib,
    ctx: clientContext(lib, options),
    servername,
    isIp: isIpLiteral(servername),
    verify: options.rejectUnauthorized !== false,
    sessions: options.sessions ?? null,
    sessionKey: options.sessions === undefined ? "" : sessionKey(options, origin, servername),
  };
}
