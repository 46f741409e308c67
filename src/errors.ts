/**
 * The runtime's error classes. Each has a stable `code` (what programs branch on) and a `name`
 * (what people read), in the manner of undici's `lib/core/errors.js`.
 *
 * @module
 */

/**
 * A failed system call. `code` is the errno name (`"ECONNREFUSED"`), `errno` the positive number and
 * `syscall` the call that failed, the same fields Node puts on its own `SystemError`s.
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
  override readonly name = "IoError";
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  constructor(code: string, errno: number, syscall: string, message?: string) {
    super(message ?? `${syscall} failed: ${code} (errno ${errno})`);
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
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
 * `blockOn`/`run` found every task pending with nothing left that could wake one (no timer, no
 * registered I/O source, no waker held by another thread, no Promise in flight). `code` is `"EDEADLK"`.
 */
export class DeadlockError extends Error {
  override readonly name = "DeadlockError";
  readonly code = "EDEADLK";
  constructor(message: string) {
    super(message);
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
