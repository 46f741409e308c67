/**
 * getaddrinfo's results (glibc's `EAI_*` values) and the one place one becomes an error: a
 * {@link DnsError} with Node's code for it (`dns.lookup` reports `EAI_NONAME` and `EAI_NODATA` as
 * `ENOTFOUND`, the others under their own names).
 *
 * No libc here: the thread that turns a result into an error is not the one that called
 * getaddrinfo (see `getaddrinfo.ts`), and it should not have to load those bindings.
 *
 * @module
 */
import { DnsError } from "../errors.js";
import { errnoName } from "./errno.js";

/** glibc's getaddrinfo results (`netdb.h`): 0 is success. */
export const EAI = Object.freeze({
  BADFLAGS: -1,
  NONAME: -2,
  AGAIN: -3,
  FAIL: -4,
  NODATA: -5,
  FAMILY: -6,
  SOCKTYPE: -7,
  SERVICE: -8,
  ADDRFAMILY: -9,
  MEMORY: -10,
  SYSTEM: -11,
  OVERFLOW: -12,
  INPROGRESS: -100,
  CANCELED: -101,
  NOTCANCELED: -102,
  ALLDONE: -103,
  INTR: -104,
  IDN_ENCODE: -105,
} as const);

const NAMES = new Map<number, string>([
  [EAI.BADFLAGS, "EAI_BADFLAGS"],
  [EAI.NONAME, "ENOTFOUND"],
  [EAI.AGAIN, "EAI_AGAIN"],
  [EAI.FAIL, "EAI_FAIL"],
  [EAI.NODATA, "ENOTFOUND"],
  [EAI.FAMILY, "EAI_FAMILY"],
  [EAI.SOCKTYPE, "EAI_SOCKTYPE"],
  [EAI.SERVICE, "EAI_SERVICE"],
  [EAI.ADDRFAMILY, "EAI_ADDRFAMILY"],
  [EAI.MEMORY, "EAI_MEMORY"],
  [EAI.SYSTEM, "EAI_SYSTEM"],
  [EAI.OVERFLOW, "EAI_OVERFLOW"],
  [EAI.CANCELED, "EAI_CANCELED"],
  [EAI.INTR, "EAI_INTR"],
  [EAI.IDN_ENCODE, "EAI_IDN_ENCODE"],
]);

/**
 * The error for getaddrinfo's failure `status` (an `EAI_*` value) looking up `hostname`.
 *
 * @param systemErrno - for `EAI_SYSTEM`, the errno the resolver left, when known (the blocking
 *   call's thread can read it; a `getaddrinfo_a` request fails on glibc's thread, whose errno
 *   nobody can read): the error then carries that errno's name and number. 0 = unknown.
 */
export function dnsError(status: number, systemErrno: number, hostname: string): DnsError {
  if (status === EAI.SYSTEM && systemErrno > 0) return new DnsError(errnoName(systemErrno), systemErrno, hostname);
  return new DnsError(NAMES.get(status) ?? `EAI_${-status}`, -status, hostname);
}
