/**
 * Where trusted root certificates come from: Node's bundled Mozilla roots (the defaults, the ones
 * `node:https` trusts) and, when asked, the operating system's store.
 *
 * @module
 */
import { existsSync } from "node:fs";

let bundled: string | null = null;

/**
 * Node's bundled root certificates (`tls.rootCertificates`) as one PEM text. `node:tls` is
 * fetched on first use only: loading it costs a few milliseconds that a program without TLS
 * should not pay.
 */
export function bundledRoots(): string {
  if (bundled === null) bundled = process.getBuiltinModule("node:tls").rootCertificates.join("\n");
  return bundled;
}

/**
 * Bundle files of the common distributions, in the order Go's `crypto/x509` looks for them:
 * Debian/Ubuntu/Arch/Alpine, Fedora/RHEL 6, openSUSE, OpenELEC, CentOS/RHEL 7, Alpine.
 */
const SYSTEM_FILES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/ca-bundle.pem",
  "/etc/pki/tls/cacert.pem",
  "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
  "/etc/ssl/cert.pem",
];

/** The system store to load: a bundle file and/or a hashed directory (`c_rehash` layout). */
export interface SystemStore {
  file: string | null;
  dir: string | null;
}

/**
 * The operating system's trust store: `SSL_CERT_FILE` / `SSL_CERT_DIR` when set (OpenSSL's own
 * variables), else the first bundle file of {@link SYSTEM_FILES} that exists. Null when none is found.
 */
export function systemStore(): SystemStore | null {
  const file = process.env.SSL_CERT_FILE || null;
  const dir = process.env.SSL_CERT_DIR || null;
  if (file !== null || dir !== null) return { file, dir };
  const found = SYSTEM_FILES.find((f) => existsSync(f));
  return found === undefined ? null : { file: found, dir: null };
}

/** Where {@link systemStore} looked, for the error when it found nothing. */
export const SYSTEM_STORE_PLACES = `SSL_CERT_FILE, SSL_CERT_DIR, ${SYSTEM_FILES.join(", ")}`;
