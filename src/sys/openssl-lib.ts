/**
 * Which OpenSSL, and its raw functions: loaded once per thread, on first use, through koffi.
 *
 * **The choice: the OpenSSL that Node itself runs on.** Node's binary carries OpenSSL and exports
 * its symbols for native addons (a Node built against a shared libssl has it in the process's
 * global scope instead). `koffi.load(null)` is `dlopen(NULL)`: it binds every function to that
 * one copy, on purpose. Why this and not the system's `libssl.so.3`:
 * - Loading the system's library naively mixes two copies: the dynamic linker binds hundreds of
 *   libssl's references to the same-named functions inside `node`, so the system's libssl runs on
 *   Node's libcrypto. That holds together only while both are the same release, which is true of
 *   Node 20 on Debian 12 (3.0.x both) and false from Node 22 on (OpenSSL 3.5 inside, 3.0 here).
 * - The system's copy loaded with `RTLD_DEEPBIND` (`{ deep: true }`) is isolated and sound, but
 *   it needs a package that slim images lack, `RTLD_DEEPBIND` exists only on glibc, and the
 *   process then holds two OpenSSLs, each initialised, with its own error queues and exit handlers.
 * - Node's copy is always there, is the release Node's own `tls` is tested with, and is OpenSSL 3
 *   on every Node line this package supports (3.0 on Node 20, 3.5 on 22/24/26): only functions of
 *   OpenSSL 3.0's stable ABI are declared here. The trust roots go with it: Node's bundled
 *   Mozilla roots (`tls.rootCertificates`), plus the system store when asked (see `tls/trust.ts`).
 *
 * `REACTOR_EXECUTOR_LIBSSL=/path/to/libssl.so.3` overrides the choice for a Node built without
 * OpenSSL: that library is loaded with deep binding, and every function, libcrypto's included, is
 * looked up through its handle (its own dependency scope), so the two copies never mix. The tests
 * also point it at a missing path to see the error a user without OpenSSL gets.
 *
 * Everything here is raw: pointers are numbers (`intptr_t`; user-space addresses fit in a double
 * exactly, and koffi's number path allocates nothing), return values are OpenSSL's own. The
 * wrappers in `openssl.ts` give them their contract; only `src/tls/` calls these.
 *
 * @module
 */
import koffi from "koffi";
import { TlsError } from "../errors.js";

/** A pointer to an OpenSSL object (`SSL *`, `SSL_CTX *`, `BIO *`, ...) as a number; 0 is NULL. */
export type Handle = number;
/** A buffer passed in place (typed array memory, no copy). */
type Bytes = ArrayBufferView;

/** The OpenSSL functions this runtime uses, bound to one library. */
export interface OpenSslLib {
  /** `OpenSSL_version(OPENSSL_VERSION)` of the library loaded, e.g. "OpenSSL 3.5.9 29 Sep 2026". */
  readonly version: string;
  /** Where it came from: "node" (the process's own) or the path given in `REACTOR_EXECUTOR_LIBSSL`. */
  readonly source: string;

  ERR_clear_error(): void;
  ERR_get_error(): number;
  ERR_reason_error_string(e: number): string | null;

  BIO_s_mem(): Handle;
  BIO_new(method: Handle): Handle;
  BIO_free(bio: Handle): number;
  BIO_read(bio: Handle, buf: Bytes, len: number): number;
  BIO_write(bio: Handle, buf: Bytes, len: number): number;
  BIO_ctrl(bio: Handle, cmd: number, larg: number, parg: Handle): number;

  PEM_read_bio_X509(bio: Handle, x: Handle, cb: Handle, u: Handle): Handle;
  X509_free(x: Handle): void;
  X509_STORE_add_cert(store: Handle, x: Handle): number;
  X509_STORE_load_file(store: Handle, file: string): number;
  X509_STORE_load_path(store: Handle, dir: string): number;
  X509_verify_cert_error_string(n: number): string;
  X509_VERIFY_PARAM_set1_ip_asc(param: Handle, ip: string): number;

  TLS_client_method(): Handle;
  SSL_CTX_new(method: Handle): Handle;
  SSL_CTX_free(ctx: Handle): void;
  SSL_CTX_set_options(ctx: Handle, options: number): number;
  SSL_CTX_ctrl(ctx: Handle, cmd: number, larg: number, parg: Handle): number;
  SSL_CTX_set_verify(ctx: Handle, mode: number, callback: Handle): void;
  SSL_CTX_get_cert_store(ctx: Handle): Handle;
  SSL_CTX_set_alpn_protos(ctx: Handle, protos: Bytes, len: number): number;

  SSL_new(ctx: Handle): Handle;
  SSL_free(ssl: Handle): void;
  SSL_set_bio(ssl: Handle, rbio: Handle, wbio: Handle): void;
  SSL_set_connect_state(ssl: Handle): void;
  SSL_do_handshake(ssl: Handle): number;
  SSL_read(ssl: Handle, buf: Bytes, len: number): number;
  SSL_write(ssl: Handle, buf: Bytes, len: number): number;
  SSL_shutdown(ssl: Handle): number;
  SSL_get_error(ssl: Handle, ret: number): number;
  SSL_get_verify_result(ssl: Handle): number;
  SSL_get0_peer_certificate(ssl: Handle): Handle;
  SSL_set1_host(ssl: Handle, host: string): number;
  SSL_set_hostflags(ssl: Handle, flags: number): void;
  SSL_get0_param(ssl: Handle): Handle;
  /** `SSL_ctrl` with a string argument (`SSL_set_tlsext_host_name` is a macro over it). */
  SSL_ctrl_str(ssl: Handle, cmd: number, larg: number, parg: string): number;
  SSL_get0_alpn_selected(ssl: Handle, data: BigUint64Array, len: Uint32Array): void;
  SSL_get_version(ssl: Handle): string;
  SSL_has_pending(ssl: Handle): number;
  SSL_set_shutdown(ssl: Handle, mode: number): void;

  SSL_CTX_sess_set_new_cb(ctx: Handle, callback: Handle): void;
  SSL_set_session(ssl: Handle, session: Handle): number;
  SSL_session_reused(ssl: Handle): number;
  SSL_SESSION_is_resumable(session: Handle): number;
  SSL_SESSION_free(session: Handle): void;
}

/** Functions declared from C prototypes; `SSL_ctrl_str` is `SSL_ctrl` under another JS name. */
const PROTOTYPES: Record<Exclude<keyof OpenSslLib, "version" | "source">, string> = {
  ERR_clear_error: "void ERR_clear_error(void)",
  ERR_get_error: "unsigned long ERR_get_error(void)",
  ERR_reason_error_string: "const char *ERR_reason_error_string(unsigned long e)",

  BIO_s_mem: "intptr_t BIO_s_mem(void)",
  BIO_new: "intptr_t BIO_new(intptr_t method)",
  BIO_free: "int BIO_free(intptr_t bio)",
  BIO_read: "int BIO_read(intptr_t bio, void *buf, int len)",
  BIO_write: "int BIO_write(intptr_t bio, void *buf, int len)",
  BIO_ctrl: "long BIO_ctrl(intptr_t bio, int cmd, long larg, intptr_t parg)",

  PEM_read_bio_X509: "intptr_t PEM_read_bio_X509(intptr_t bio, intptr_t x, intptr_t cb, intptr_t u)",
  X509_free: "void X509_free(intptr_t x)",
  X509_STORE_add_cert: "int X509_STORE_add_cert(intptr_t store, intptr_t x)",
  X509_STORE_load_file: "int X509_STORE_load_file(intptr_t store, const char *file)",
  X509_STORE_load_path: "int X509_STORE_load_path(intptr_t store, const char *dir)",
  X509_verify_cert_error_string: "const char *X509_verify_cert_error_string(long n)",
  X509_VERIFY_PARAM_set1_ip_asc: "int X509_VERIFY_PARAM_set1_ip_asc(intptr_t param, const char *ip)",

  TLS_client_method: "intptr_t TLS_client_method(void)",
  SSL_CTX_new: "intptr_t SSL_CTX_new(intptr_t method)",
  SSL_CTX_free: "void SSL_CTX_free(intptr_t ctx)",
  SSL_CTX_set_options: "uint64_t SSL_CTX_set_options(intptr_t ctx, uint64_t options)",
  SSL_CTX_ctrl: "long SSL_CTX_ctrl(intptr_t ctx, int cmd, long larg, intptr_t parg)",
  SSL_CTX_set_verify: "void SSL_CTX_set_verify(intptr_t ctx, int mode, intptr_t callback)",
  SSL_CTX_get_cert_store: "intptr_t SSL_CTX_get_cert_store(intptr_t ctx)",
  SSL_CTX_set_alpn_protos: "int SSL_CTX_set_alpn_protos(intptr_t ctx, void *protos, unsigned int len)",

  SSL_new: "intptr_t SSL_new(intptr_t ctx)",
  SSL_free: "void SSL_free(intptr_t ssl)",
  SSL_set_bio: "void SSL_set_bio(intptr_t ssl, intptr_t rbio, intptr_t wbio)",
  SSL_set_connect_state: "void SSL_set_connect_state(intptr_t ssl)",
  SSL_do_handshake: "int SSL_do_handshake(intptr_t ssl)",
  SSL_read: "int SSL_read(intptr_t ssl, void *buf, int len)",
  SSL_write: "int SSL_write(intptr_t ssl, void *buf, int len)",
  SSL_shutdown: "int SSL_shutdown(intptr_t ssl)",
  SSL_get_error: "int SSL_get_error(intptr_t ssl, int ret)",
  SSL_get_verify_result: "long SSL_get_verify_result(intptr_t ssl)",
  SSL_get0_peer_certificate: "intptr_t SSL_get0_peer_certificate(intptr_t ssl)",
  SSL_set1_host: "int SSL_set1_host(intptr_t ssl, const char *host)",
  SSL_set_hostflags: "void SSL_set_hostflags(intptr_t ssl, unsigned int flags)",
  SSL_get0_param: "intptr_t SSL_get0_param(intptr_t ssl)",
  SSL_ctrl_str: "long SSL_ctrl(intptr_t ssl, int cmd, long larg, const char *parg)",
  SSL_get0_alpn_selected: "void SSL_get0_alpn_selected(intptr_t ssl, void *data, void *len)",
  SSL_get_version: "const char *SSL_get_version(intptr_t ssl)",
  SSL_has_pending: "int SSL_has_pending(intptr_t ssl)",
  SSL_set_shutdown: "void SSL_set_shutdown(intptr_t ssl, int mode)",

  SSL_CTX_sess_set_new_cb: "void SSL_CTX_sess_set_new_cb(intptr_t ctx, intptr_t callback)",
  SSL_set_session: "int SSL_set_session(intptr_t ssl, intptr_t session)",
  SSL_session_reused: "int SSL_session_reused(intptr_t ssl)",
  SSL_SESSION_is_resumable: "int SSL_SESSION_is_resumable(intptr_t session)",
  SSL_SESSION_free: "void SSL_SESSION_free(intptr_t session)",
};

/** OpenSSL 3.0.0 as `OpenSSL_version_num()` reports it: the oldest release these declarations fit. */
const MIN_VERSION = 0x30000000;
const OPENSSL_VERSION = 0;

/** The environment variable that names a libssl to load instead of the process's own. */
export const LIBSSL_ENV = "REACTOR_EXECUTOR_LIBSSL";

const INSTALL_HINT =
  "install a Node.js build that includes OpenSSL 3 (the nodejs.org binaries do), or the system's OpenSSL 3 " +
  `(Debian/Ubuntu: apt-get install libssl3; Fedora: dnf install openssl-libs; Alpine: apk add libssl3) and set ${LIBSSL_ENV} ` +
  "to the path of its libssl.so.3";

function unavailable(what: string): TlsError {
  return new TlsError("ERR_TLS_OPENSSL_UNAVAILABLE", "", `TLS needs OpenSSL 3, and ${what}: ${INSTALL_HINT}`);
}

function open(): { lib: ReturnType<typeof koffi.load>; source: string } {
  const path = process.env[LIBSSL_ENV];
  if (path !== undefined && path !== "") {
    try {
      return { lib: koffi.load(path, { deep: true }), source: path };
    } catch (e) {
      throw unavailable(`${path} (from ${LIBSSL_ENV}) could not be loaded (${(e as Error).message})`);
    }
  }
  if (!process.versions.openssl) throw unavailable("this Node.js was built without it");
  return { lib: koffi.load(null), source: "node" };
}

function load(): OpenSslLib {
  if (process.platform !== "linux") throw unavailable(`this runtime's OS layer supports Linux only (this is ${process.platform})`);
  const { lib, source } = open();
  const fns: Record<string, unknown> = {};
  for (const [name, prototype] of Object.entries(PROTOTYPES)) {
    try {
      fns[name] = lib.func(prototype);
    } catch {
      throw unavailable(`${source === "node" ? "this Node.js" : source} does not export ${prototype.split("(")[0]!.split(" ").pop()}`);
    }
  }
  const versionNum = (lib.func("unsigned long OpenSSL_version_num(void)") as () => number)();
  const version = (lib.func("const char *OpenSSL_version(int type)") as (t: number) => string)(OPENSSL_VERSION);
  if (versionNum < MIN_VERSION) throw unavailable(`${source === "node" ? "this Node.js" : source} has ${version}`);
  return Object.assign(fns, { version, source }) as unknown as OpenSslLib;
}

let loaded: OpenSslLib | null = null;
let failure: string | null = null;

/**
 * The OpenSSL functions, loaded on the first call (per thread: koffi's declarations are).
 *
 * @throws TlsError `ERR_TLS_OPENSSL_UNAVAILABLE` when no usable OpenSSL 3 can be loaded, and the
 * same error on every later call without trying again (the process does not change under us).
 */
export function openSslLib(): OpenSslLib {
  if (loaded !== null) return loaded;
  if (failure === null) {
    try {
      return (loaded = load());
    } catch (e) {
      failure = (e as Error).message;
    }
  }
  throw new TlsError("ERR_TLS_OPENSSL_UNAVAILABLE", "", failure);
}
