/**
 * Socket addresses: parsing what users write (`"127.0.0.1:8080"`, `"[::1]:80"`, `{ host, port }`)
 * into the `sockaddr_in` / `sockaddr_in6` bytes the kernel takes, and decoding them back.
 *
 * Parsing resolves nothing: a host is an IPv4 literal, an IPv6 literal or `localhost`. Anything
 * else is refused with `ERR_INVALID_ADDRESS` rather than looked up here, because a lookup is I/O
 * that would block the executor's thread; `lookup()` (`net/dns/`) resolves names without blocking.
 *
 * The sockaddr is built once, when the address is parsed, so `connect`/`bind` pass it straight to
 * the kernel with no per-call encoding.
 *
 * @module
 */
import { endianness } from "node:os";

/** `AF_INET`: the socket domain for IPv4. */
export const AF_INET = 2;
/** `AF_INET6`: the socket domain for IPv6. */
export const AF_INET6 = 10;
/** `sizeof(struct sockaddr_in)`. */
export const SOCKADDR_IN_SIZE = 16;
/** `sizeof(struct sockaddr_in6)`. */
export const SOCKADDR_IN6_SIZE = 28;

/** The IP version of an address: 4 or 6. */
export type IpFamily = 4 | 6;

/** What the address-taking functions accept: `"host:port"`, `"[v6]:port"` or `{ host, port }`. */
export type AddressInput = string | { readonly host: string; readonly port: number };

/** A parsed socket address. */
export interface SocketAddress {
  /** 4 or 6. */
  readonly family: IpFamily;
  /** The IP in canonical text form (`"127.0.0.1"`, `"::1"`; IPv6 per RFC 5952). */
  readonly ip: string;
  /** The port, 0..65535 (0 asks `bind` for any free port). */
  readonly port: number;
  /**
   * The encoded `struct sockaddr_in` (16 bytes) or `struct sockaddr_in6` (28 bytes), port in
   * network byte order: what `connect` and `bind` hand to the kernel, as is.
   */
  readonly bytes: Uint8Array;
}

/** An IP address without a port: its version and its 4 or 16 bytes, in network order. */
export interface IpAddress {
  readonly family: IpFamily;
  readonly bytes: Uint8Array;
}

/** A malformed address, a bad port, or a hostname that would need DNS. `code` is `"ERR_INVALID_ADDRESS"`. */
export class InvalidAddressError extends Error {
  override readonly name = "InvalidAddressError";
  readonly code = "ERR_INVALID_ADDRESS";
  constructor(message: string) {
    super(message);
  }
}

const DNS_MESSAGE = "hostname resolution (DNS) is not supported: use an IP literal or localhost";

// sa_family is a host-order u16; the port is always big-endian (network order).
const LITTLE_ENDIAN = endianness() === "LE";

/**
 * Every address `address` can mean, in the order to try them. Only `localhost` has two:
 * 127.0.0.1 first, then ::1 (what Node does by default, and what a server bound to
 * "localhost:port" by this runtime listens on). IP literals give one.
 *
 * @throws InvalidAddressError for malformed input, a bad port, or a hostname (no DNS).
 */
export function parseAddresses(address: AddressInput): SocketAddress[] {
  const { host, port } = splitHostPort(address);
  if (host.toLowerCase() === "localhost") {
    return [makeAddress(4, Uint8Array.of(127, 0, 0, 1), port), makeAddress(6, LOOPBACK6, port)];
  }
  const v4 = parseIpv4(host);
  if (v4 !== null) return [makeAddress(4, v4, port)];
  if (host.includes(":")) {
    if (host.includes("%")) {
      throw new InvalidAddressError(`IPv6 zone ids are not supported: "${host}"`);
    }
    const v6 = parseIpv6(host);
    if (v6 === null) throw new InvalidAddressError(`invalid IPv6 address "${host}"`);
    return [makeAddress(6, v6, port)];
  }
  if (/^[0-9.]+$/.test(host)) {
    throw new InvalidAddressError(`invalid IPv4 address "${host}": expected four decimal numbers 0..255`);
  }
  throw new InvalidAddressError(`${DNS_MESSAGE} (got "${host}")`);
}

/**
 * The first address `address` means (for `localhost`, 127.0.0.1; see {@link parseAddresses} for
 * the alternative).
 *
 * @throws InvalidAddressError for malformed input, a bad port, or a hostname (no DNS).
 */
export function parseAddress(address: AddressInput): SocketAddress {
  return parseAddresses(address)[0]!;
}

/** `"127.0.0.1:8080"` / `"[::1]:8080"`: an address as users write it (and as `parseAddress` reads it). */
export function formatAddress(address: Pick<SocketAddress, "family" | "ip" | "port">): string {
  return address.family === 6 ? `[${address.ip}]:${address.port}` : `${address.ip}:${address.port}`;
}

/**
 * Decodes a `sockaddr_in` / `sockaddr_in6` (as filled in by `getsockname`) into a
 * {@link SocketAddress}; `bytes` is copied, so the caller may reuse its buffer.
 *
 * @throws InvalidAddressError if the family is neither `AF_INET` nor `AF_INET6`.
 */
export function decodeSockaddr(bytes: Uint8Array): SocketAddress {
  const family = LITTLE_ENDIAN ? bytes[0]! | (bytes[1]! << 8) : (bytes[0]! << 8) | bytes[1]!;
  const port = (bytes[2]! << 8) | bytes[3]!;
  if (family === AF_INET) return makeAddress(4, bytes.slice(4, 8), port);
  if (family === AF_INET6) return makeAddress(6, bytes.slice(8, 24), port);
  throw new InvalidAddressError(`unsupported address family ${family}`);
}

const LOOPBACK6 = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

/**
 * `host` read as an IP literal (dotted quad, or IPv6 text without brackets or zone id), or null
 * when it is not one (a hostname, or a malformed literal).
 */
export function parseIp(host: string): IpAddress | null {
  const v4 = parseIpv4(host);
  if (v4 !== null) return { family: 4, bytes: v4 };
  if (!host.includes(":")) return null;
  const v6 = parseIpv6(host);
  return v6 === null ? null : { family: 6, bytes: v6 };
}

/** The {@link SocketAddress} of `ip` (4 or 16 bytes, network order) and `port`. */
export function makeAddress(family: IpFamily, ip: Uint8Array, port: number): SocketAddress {
  const bytes = new Uint8Array(family === 4 ? SOCKADDR_IN_SIZE : SOCKADDR_IN6_SIZE);
  const af = family === 4 ? AF_INET : AF_INET6;
  bytes[LITTLE_ENDIAN ? 0 : 1] = af;
  bytes[2] = port >>> 8;
  bytes[3] = port & 0xff;
  // sockaddr_in: addr at 4, 8 zero bytes after. sockaddr_in6: flowinfo at 4 (0), addr at 8,
  // scope_id at 24 (0: no zone ids, see parseAddresses).
  bytes.set(ip, family === 4 ? 4 : 8);
  return { family, ip: family === 4 ? ip.join(".") : formatIpv6(ip), port, bytes };
}

/**
 * Splits what users write into host and port, checking both (brackets around an IPv6 host are
 * removed); the host is not interpreted.
 *
 * @throws InvalidAddressError for a missing or bad port, a missing host, or unbracketed IPv6.
 */
export function splitHostPort(address: AddressInput): { host: string; port: number } {
  if (typeof address === "object" && address !== null) {
    const { host, port } = address;
    if (typeof host !== "string" || host === "") {
      throw new InvalidAddressError(`invalid address: host must be a non-empty string, got ${String(host)}`);
    }
    if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new InvalidAddressError(`invalid port ${String(port)} for host "${host}": expected an integer 0..65535`);
    }
    // `{ host: "[::1]" }` is what people copy out of a URL; accept it.
    const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
    return { host: bare, port };
  }
  if (typeof address !== "string") {
    throw new InvalidAddressError(`invalid address: expected "host:port" or { host, port }, got ${typeof address}`);
  }
  let host: string;
  let portText: string;
  if (address.startsWith("[")) {
    const close = address.indexOf("]");
    if (close < 0 || address[close + 1] !== ":") {
      throw new InvalidAddressError(`invalid address "${address}": expected "[ipv6]:port"`);
    }
    host = address.slice(1, close);
    portText = address.slice(close + 2);
  } else {
    const colon = address.lastIndexOf(":");
    if (colon < 0) {
      throw new InvalidAddressError(`invalid address "${address}": missing ":port"`);
    }
    if (address.indexOf(":") !== colon) {
      throw new InvalidAddressError(`invalid address "${address}": an IPv6 address with a port needs brackets, e.g. "[::1]:8080"`);
    }
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
  }
  if (host === "") throw new InvalidAddressError(`invalid address "${address}": missing host`);
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new InvalidAddressError(`invalid port "${portText}" in "${address}": expected an integer 0..65535`);
  }
  return { host, port: Number(portText) };
}

/** Strict dotted quad: four decimal parts 0..255, no leading zeros (which some read as octal). */
function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    out[i] = value;
  }
  return out;
}

/** RFC 4291 text form: up to eight hex groups, one optional "::", an optional dotted-quad tail. */
function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] === "" ? [] : halves[0]!.split(":");
  const tail = halves.length === 2 ? (halves[1] === "" ? [] : halves[1]!.split(":")) : [];
  const groups: number[] = [];
  const parseGroups = (parts: string[], last: boolean): boolean => {
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (last && i === parts.length - 1 && part.includes(".")) {
        const v4 = parseIpv4(part);
        if (v4 === null) return false;
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        groups.push(parseInt(part, 16));
      } else {
        return false;
      }
    }
    return true;
  };
  const compressed = halves.length === 2;
  if (!parseGroups(head, !compressed)) return null;
  const headCount = groups.length;
  if (!parseGroups(tail, true)) return null;
  const tailCount = groups.length - headCount;
  if (compressed ? groups.length > 7 : groups.length !== 8) return null;
  const out = new Uint8Array(16);
  const put = (group: number, at: number): void => {
    out[at * 2] = group >>> 8;
    out[at * 2 + 1] = group & 0xff;
  };
  for (let i = 0; i < headCount; i++) put(groups[i]!, i);
  for (let i = 0; i < tailCount; i++) put(groups[headCount + i]!, 8 - tailCount + i);
  return out;
}

/** RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups as "::". */
function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  // ::ffff:a.b.c.d (IPv4-mapped) keeps its dotted tail, as RFC 5952 section 5 recommends.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}
