/**
 * Linux errno numbers and names, and the one place an errno becomes an error.
 *
 * The numbers are the kernel's generic ones (`asm-generic/errno-base.h`, `asm-generic/errno.h`),
 * which x86_64 and arm64 share; only alpha, mips, parisc and sparc differ, and they are not targets.
 * The table is spelled out here rather than taken from `os.constants.errno` so that the names this
 * layer emits are the ones in this file (a test checks the two agree on this machine).
 *
 * Every wrapper in `src/sys` that sees a failing syscall hands the errno to {@link throwIoError};
 * nothing else in the project constructs an `IoError` from an errno.
 *
 * @module
 */
import { IoError } from "../errors.js";

/**
 * Errno name to number, Linux generic numbering. Aliases (`EWOULDBLOCK` = `EAGAIN`,
 * `EDEADLOCK` = `EDEADLK`, `ENOTSUP` = `EOPNOTSUPP`) are included for lookups by name; the name
 * reported for a number is always the primary one.
 */
export const ERRNO = Object.freeze({
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  ENOTBLK: 15,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  EDOM: 33,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOLCK: 37,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENOMSG: 42,
  EIDRM: 43,
  ECHRNG: 44,
  EL2NSYNC: 45,
  EL3HLT: 46,
  EL3RST: 47,
  ELNRNG: 48,
  EUNATCH: 49,
  ENOCSI: 50,
  EL2HLT: 51,
  EBADE: 52,
  EBADR: 53,
  EXFULL: 54,
  ENOANO: 55,
  EBADRQC: 56,
  EBADSLT: 57,
  EBFONT: 59,
  ENOSTR: 60,
  ENODATA: 61,
  ETIME: 62,
  ENOSR: 63,
  ENONET: 64,
  ENOPKG: 65,
  EREMOTE: 66,
  ENOLINK: 67,
  EADV: 68,
  ESRMNT: 69,
  ECOMM: 70,
  EPROTO: 71,
  EMULTIHOP: 72,
  EDOTDOT: 73,
  EBADMSG: 74,
  EOVERFLOW: 75,
  ENOTUNIQ: 76,
  EBADFD: 77,
  EREMCHG: 78,
  ELIBACC: 79,
  ELIBBAD: 80,
  ELIBSCN: 81,
  ELIBMAX: 82,
  ELIBEXEC: 83,
  EILSEQ: 84,
  ERESTART: 85,
  ESTRPIPE: 86,
  EUSERS: 87,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  EOPNOTSUPP: 95,
  EPFNOSUPPORT: 96,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ENETRESET: 102,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ESHUTDOWN: 108,
  ETOOMANYREFS: 109,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
  ESTALE: 116,
  EUCLEAN: 117,
  ENOTNAM: 118,
  ENAVAIL: 119,
  EISNAM: 120,
  EREMOTEIO: 121,
  EDQUOT: 122,
  ENOMEDIUM: 123,
  EMEDIUMTYPE: 124,
  ECANCELED: 125,
  ENOKEY: 126,
  EKEYEXPIRED: 127,
  EKEYREVOKED: 128,
  EKEYREJECTED: 129,
  EOWNERDEAD: 130,
  ENOTRECOVERABLE: 131,
  ERFKILL: 132,
  EHWPOISON: 133,
  // Aliases: the same numbers under a second name. Listed after the primaries so the
  // number-to-name table below keeps the primary name.
  EWOULDBLOCK: 11,
  EDEADLOCK: 35,
  ENOTSUP: 95,
} as const);

/** An errno name known to {@link ERRNO}. */
export type ErrnoName = keyof typeof ERRNO;

// Constants the wrappers compare against on every failing call: plain module constants so the
// comparison is against a literal, not a property load.
/** `EINTR` (4): a signal interrupted the call; the wrappers retry it. */
export const EINTR = 4;
/** `EAGAIN` / `EWOULDBLOCK` (11): a non-blocking fd is not ready; wrappers report `WOULD_BLOCK`. */
export const EAGAIN = 11;
/** `EINPROGRESS` (115): a non-blocking `connect` has started; `connect` reports `IN_PROGRESS`. */
export const EINPROGRESS = 115;
/** `ENOTCONN` (107): no peer; `connectResult` reads it as "still connecting". */
export const ENOTCONN = 107;
/** `ECONNABORTED` (103): a queued connection was reset before `accept4` took it. */
export const ECONNABORTED = 103;

const NAMES: string[] = [];
for (const [name, number] of Object.entries(ERRNO)) {
  if (NAMES[number] === undefined) NAMES[number] = name;
}

/**
 * The errno name for a number (`111` → `"ECONNREFUSED"`). A number outside the table gives
 * `"ERRNO_<n>"`, so an unexpected errno still yields a stable, searchable code.
 */
export function errnoName(errno: number): string {
  return NAMES[errno] ?? `ERRNO_${errno}`;
}

/**
 * Throws the `IoError` for a failed syscall: `code` is the errno name, `errno` the positive number,
 * `syscall` the call's name (`"connect"`, `"accept4"`, ...). The only place an errno becomes an
 * error, so every I/O failure in the project has the same shape.
 *
 * @param syscall - the syscall that failed, as Node names them on its own errors.
 * @param errno - the positive errno value read right after the call.
 */
export function throwIoError(syscall: string, errno: number): never {
  throw new IoError(errnoName(errno), errno, syscall);
}
