/**
 * `lookup(host)`: a hostname's addresses, without blocking the executor.
 *
 * Where each answer comes from, in this order:
 * 1. an IP literal is its own answer (whatever family was asked for, as Node's `dns.lookup`);
 * 2. `localhost` is 127.0.0.1, then ::1 (DESIGN: "127.0.0.1 first"; it is what
 *    `TcpListener.bind("localhost:port")` listens on);
 * 3. a name in the hosts file (`/etc/hosts`) has the addresses listed there, in file order;
 * 4. anything else goes to the system resolver (getaddrinfo: NSS, DNS) on the runtime's resolver
 *    threads (`runtime/resolver-pool.ts`), in the order it returns.
 * The first three answer in the calling thread, during the first poll.
 *
 * A name that is not ASCII is converted to its IDNA (punycode) form first, as URLs do.
 *
 * @module
 */
import { domainToASCII } from "node:url";
import { map } from "../../future/map.js";
import { PENDING, dropFuture, pollAfterReady, type Future, type Poll } from "../../future/future.js";
import type { Waker } from "../../future/waker.js";
import { InvalidAddressError, makeAddress, parseIp, type IpAddress } from "../../sys/addr.js";
import { HostsFile } from "../../sys/hosts.js";
import { resolveInPool } from "../../runtime/resolver-pool.js";

/** One address of a name, in Node's shape (`dns.lookup(name, { all: true })`). */
export interface LookupAddress {
  /** The IP in text form: `"127.0.0.1"`, `"::1"`. */
  readonly address: string;
  readonly family: 4 | 6;
}

/** Options of {@link lookup}. */
export interface LookupOptions {
  /** 4 or 6: only addresses of that family; 0 (default): both. */
  readonly family?: 0 | 4 | 6;
}

/** Longest name accepted: 253 characters, 254 with the final dot of an absolute name. */
const MAX_NAME_LENGTH = 254;

const LOCALHOST: readonly IpAddress[] = [
  { family: 4, bytes: Uint8Array.of(127, 0, 0, 1) },
  { family: 6, bytes: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1) },
];

let hosts = new HostsFile("/etc/hosts");

/** @internal Reads names from `path` instead of /etc/hosts in this thread (tests). */
export function useHostsFile(path: string): void {
  hosts = new HostsFile(path);
}

/**
 * The addresses `host` has, answered in the calling thread when it can be (an IP literal,
 * `localhost`, a hosts-file name), else null: the system resolver must be asked.
 *
 * @throws InvalidAddressError when `host` cannot be a hostname.
 */
export function resolveHostNow(host: string, family: 0 | 4 | 6 = 0): IpAddress[] | null {
  const ip = parseIp(host);
  if (ip !== null) return [ip];
  const name = asciiName(host);
  const listed = name === "localhost" ? LOCALHOST : hosts.lookup(name);
  if (listed === undefined) return null;
  const found = family === 0 ? listed.slice() : listed.filter((a) => a.family === family);
  // A listed name without an address of that family is asked of the resolver, as glibc would.
  return found.length > 0 ? found : null;
}

class HostLookup implements Future<IpAddress[]> {
  private pool: Future<IpAddress[]> | null = null;
  private done = false;

  constructor(
    private readonly host: string,
    private readonly family: 0 | 4 | 6,
  ) {}

  poll(waker: Waker): Poll<IpAddress[]> {
    if (this.done) pollAfterReady("lookup()");
    let r: Poll<IpAddress[]>;
    try {
      if (this.pool === null) {
        const f: number = this.family;
        if (f !== 0 && f !== 4 && f !== 6) throw new RangeError(`lookup: family must be 0, 4 or 6, got ${String(f)}`);
        const now = resolveHostNow(this.host, this.family);
        if (now !== null) {
          this.done = true;
          return now;
        }
        this.pool = resolveInPool(asciiName(this.host), this.family, this.host);
      }
      r = this.pool.poll(waker);
    } catch (e) {
      this.done = true;
      throw e;
    }
    if (r === PENDING) return PENDING;
    this.done = true;
    return r;
  }

  describe(): string {
    return `lookup ${this.host}${this.pool !== null ? " (resolver thread)" : ""}`;
  }

  drop(): void {
    if (this.pool !== null) dropFuture(this.pool);
  }
}

/**
 * The addresses of `host`, as a future of raw IPs (the connect's form; see {@link lookup}).
 */
export function resolveHost(host: string, family: 0 | 4 | 6 = 0): Future<IpAddress[]> {
  return new HostLookup(host, family);
}

/**
 * Resolves `host` to its addresses (IPv4 and IPv6 unless `options.family` says one), without
 * blocking the executor: IP literals, `localhost` (127.0.0.1, then ::1) and /etc/hosts names are
 * answered at once in this thread; other names by the system resolver (getaddrinfo) on the
 * runtime's resolver threads, whose answer wakes the task. Works under `blockOn` and `run`, with
 * either reactor.
 *
 * @throws DnsError from the future: `ENOTFOUND` (no such name, or none of that family),
 *   `EAI_AGAIN` (no answer from the name servers), ... ; InvalidAddressError for a string that
 *   cannot be a hostname (empty, over 253 characters, spaces or control characters); RangeError
 *   for a family other than 0, 4 or 6.
 *
 * @example
 * ```ts
 * const addresses = new Executor().blockOn(lookup("localhost"));
 * // [{ address: "127.0.0.1", family: 4 }, { address: "::1", family: 6 }]
 * ```
 */
export function lookup(host: string, options: LookupOptions = {}): Future<LookupAddress[]> {
  return map(resolveHost(host, options.family ?? 0), (ips) =>
    ips.map((ip) => ({ address: makeAddress(ip.family, ip.bytes, 0).ip, family: ip.family })),
  );
}

/** `host` as the name resolvers take: ASCII (IDNA for the rest), checked to be a possible name. */
function asciiName(host: string): string {
  if (typeof host !== "string" || host === "")
    throw new InvalidAddressError(`a hostname must be a non-empty string, got ${JSON.stringify(host)}`);
  const ascii = /^[\x21-\x7e]+$/.test(host) ? host : /[\x00-\x20\x7f]/.test(host) ? "" : domainToASCII(host);
  if (ascii === "")
    throw new InvalidAddressError(`invalid hostname ${JSON.stringify(host)}: spaces, control characters or a malformed international name`);
  if (ascii.length > MAX_NAME_LENGTH) throw new InvalidAddressError(`invalid hostname: longer than 253 characters (${ascii.length})`);
  return ascii.toLowerCase() === "localhost" ? "localhost" : ascii;
}
