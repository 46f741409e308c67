/**
 * The runtime's error classes. Each has a stable `code` (what programs branch on) and a `name`
 * (what people read), in the manner of undici's `lib/core/errors.js`.
 *
 * @module
 */

/** `ECANCELED`'s number on Linux (every supported architecture). */
const ECANCELED = 125;

/**
 * A failed system call. `code` is the errno name (`"ECONNREFUSED"`), `errno` the positive number and
 * `syscall` the call that failed, the same fields Node puts on its own `SystemError`s. A failed
 * connect also names its peer, as Node's do: `address` and `port`, and a message such as
 * `connect ECONNREFUSED 127.0.0.1:8080` (`[::1]:8080` for IPv6).
 *
 * @example
 * <!-- ts-check
 * declare function retry(): void;
 * -->
 * ```ts
 * try { yield* wait(TcpStream.connect("127.0.0.1:1")); }
 * catch (e) { if (e instanceof IoError && e.code === "ECONNREFUSED") retry(); }
 * ```
 */
export class IoError extends Error {
  override readonly name: string = "IoError";
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  /**
   * The IP the failed operation was for, where there is one (a connect: `"127.0.0.1"`, `"::1"`),
   * as on Node's errors; absent otherwise.
   */
  declare readonly address?: string;
  /** The port the failed operation was for, with {@link address}. */
  declare readonly port?: number;

  /** `at`: the address and port the operation was for (see {@link address}). */
  constructor(code: string, errno: number, syscall: string, message?: string, at?: { readonly address: string; readonly port: number }) {
    super(message ?? `${syscall} failed: ${code} (errno ${errno})`);
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
    // Own properties only when there is an address, so other errors do not show them as undefined.
    if (at !== undefined) Object.assign(this, { address: at.address, port: at.port });
  }

  /**
   * The one error for "the source was closed": what an operation on a stream, listener or other
   * source throws when the source is closed while it waits, or before it starts. `code` is
   * `"ECANCELED"`, `errno` 125 (Linux), `syscall` the operation that was cut short (`"read"`,
   * `"accept"`, ...). Closing wakes the tasks that wait, so none of them is left asleep.
   *
   * @example
   * <!-- ts-check
   * declare const listener: TcpListener;
   * -->
   * ```ts
   * try { yield* wait(listener.accept()); }
   * catch (e) { if (e instanceof IoError && e.code === "ECANCELED") return; } // the listener was closed
   * ```
   */
  static canceled(syscall: string, source: string): IoError {
    return new IoError("ECANCELED", ECANCELED, syscall, `${syscall} canceled: the ${source} was closed (ECANCELED)`);
  }
}

/**
 * A hostname that did not resolve. `code` uses Node's names: `"ENOTFOUND"` (no such name, or no
 * address of the family asked for), `"EAI_AGAIN"` (the name server did not answer: try again
 * later), `"EAI_FAIL"`, `"EAI_MEMORY"`, ...; `syscall` is `"getaddrinfo"` and `hostname` the name
 * looked up.
 *
 * `errno` is what `code` stands for: for the `EAI_*` results, the magnitude of glibc's `EAI_`
 * constant (`ENOTFOUND`: 2 for `EAI_NONAME`, 5 for `EAI_NODATA`; `EAI_AGAIN`: 3; `EAI_FAIL`: 4;
 * `EAI_MEMORY`: 10; `EAI_SYSTEM`: 11). When the resolver failed with a system error it knows,
 * `code` is that errno's name and `errno` its number, as on any `IoError`.
 *
 * @example
 * ```ts
 * try { yield* wait(lookup("no-such-host.invalid")); }
 * catch (e) { if (e instanceof DnsError && e.code === "ENOTFOUND") console.log("no such host:", e.hostname); }
 * ```
 */
export class DnsError extends IoError {
  override readonly name: string = "DnsError";
  readonly hostname: string;
  constructor(code: string, errno: number, hostname: string) {
    super(code, errno, "getaddrinfo", `getaddrinfo ${code} ${hostname}`);
    this.hostname = hostname;
  }
}

/** A `timeout(future, ms)` expired before the future finished. `code` is `"ETIMEDOUT"`. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
  readonly code = "ETIMEDOUT";
  constructor(message = "operation timed out") {
    super(message);
  }
}

/** Awaiting the `JoinHandle` of a task that was aborted. `code` is `"ECANCELED"`. */
export class CancelledError extends Error {
  override readonly name = "CancelledError";
  readonly code = "ECANCELED";
  constructor(message = "task was cancelled") {
    super(message);
  }
}

/** A malformed HTTP message: the message names what was wrong. `code` is `"EHTTPPARSE"`. */
export class HttpParseError extends Error {
  override readonly name = "HttpParseError";
  readonly code = "EHTTPPARSE";
  constructor(message: string) {
    super(message);
  }
}

/**
 * One live task in a dump (`executor.dump()`, `DeadlockError.dump`). The shape is defined here, at
 * the bottom layer, because `DeadlockError` carries a dump; the executor builds it.
 */
export interface TaskDump {
  /** The task's id, unique within its executor. */
  readonly id: number;
  /** Given to `spawn`, or derived from the future ("main" for the one `blockOn`/`run` was given). */
  readonly name: string;
  /** `"ready"`: woken, queued for a poll; `"running"`: being polled now; `"pending"`: waiting for a wake. */
  readonly state: "ready" | "pending" | "running";
  /**
   * What it waits on (its future's `describe()`, through the combinators to the child awaited:
   * "TcpStream.read fd 12", "sleep until +340 ms", "JoinHandle #7 (worker)"); absent while running.
   */
  readonly waitingOn?: string;
  /** Polls so far (it stops counting at 2^31 - 1). */
  readonly polls: number;
  /** Executor cycles since its last poll, or since its spawn if never polled. */
  readonly cyclesSincePoll: number;
  /** Where it was spawned (a stack trace); with diagnostics on only (a capture costs every spawn). */
  readonly spawnedAt?: string;
}

/** What `executor.dump()` returns: the executor, and every live task it holds, by id. */
export interface ExecutorDump {
  /** The executor's name. */
  readonly executor: string;
  /** The Node `threadId` of the thread it runs on (0: the main thread). */
  readonly threadId: number;
  /** Its cycles so far: one cycle polls what is ready, then looks at its inbox, timers and I/O. */
  readonly cycles: number;
  readonly tasks: readonly TaskDump[];
}

/**
 * `blockOn`/`run` found every task pending with nothing left that could wake one (no timer, no
 * registered I/O source, no waker held by another thread, no Promise in flight). `code` is
 * `"EDEADLK"`. The message lists the tasks and what each waits on; `dump` has the same as data.
 *
 * @example
 * <!-- ts-check
 * declare const neverWoken: Future<void>;
 * -->
 * ```ts
 * try { new Executor().blockOn(coroutine(function* () { yield* wait(neverWoken); })); }
 * catch (e) { if (e instanceof DeadlockError) console.error(e.dump?.tasks.map((t) => t.waitingOn)); }
 * ```
 */
export class DeadlockError extends Error {
  override readonly name = "DeadlockError";
  readonly code = "EDEADLK";
  /** The executor's task dump at the moment it gave up, as `executor.dump()` returns it. */
  readonly dump: ExecutorDump | undefined;
  constructor(message: string, dump?: ExecutorDump) {
    super(message);
    this.dump = dump;
  }
}

/** Misuse of the runtime's API (polling a finished future, `spawn` outside an executor, ...). `code` is `"ERR_RUNTIME"`. */
export class RuntimeError extends Error {
  override readonly name = "RuntimeError";
  readonly code = "ERR_RUNTIME";
  constructor(message: string) {
    super(message);
  }
}

/**
 * A TLS failure: the handshake was refused (an untrusted, expired or misnamed certificate, an
 * alert from the server), the connection broke its protocol (a record cut off, a close without
 * `close_notify`), or OpenSSL could not be loaded at all.
 *
 * `code` follows Node's where Node has one: the certificate verification codes
 * (`"CERT_HAS_EXPIRED"`, `"UNABLE_TO_VERIFY_LEAF_SIGNATURE"`, `"DEPTH_ZERO_SELF_SIGNED_CERT"`,
 * `"SELF_SIGNED_CERT_IN_CHAIN"`, ...), `"ERR_TLS_CERT_ALTNAME_INVALID"` for a certificate that does
 * not name the host, and `"ERR_SSL_<REASON>"` / `"ERR_OSSL_<LIB>_<REASON>"` for OpenSSL's own
 * errors (`"ERR_SSL_WRONG_VERSION_NUMBER"`, `"ERR_SSL_UNEXPECTED_EOF_WHILE_READING"`). This
 * runtime's own: `"ERR_TLS_OPENSSL_UNAVAILABLE"` (no usable OpenSSL; the message says what to
 * install), `"ERR_TLS_INVALID_CA"` (a `ca` that holds no PEM certificate, or no system store for
 * `systemCa`), `"ERR_TLS_INVALID_SERVERNAME"`, and `"ERR_TLS_INTERNAL"` (OpenSSL failed without
 * saying why). `reason` is OpenSSL's own text ("certificate has expired"), empty where it gave none.
 *
 * @example
 * ```ts
 * try { yield* wait(TlsStream.connect("localhost:8443")); }
 * catch (e) { if (e instanceof TlsError && e.code === "CERT_HAS_EXPIRED") console.log(e.reason); }
 * ```
 */
export class TlsError extends Error {
  override readonly name = "TlsError";
  readonly code: string;
  readonly reason: string;
  constructor(code: string, reason: string, message: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}
