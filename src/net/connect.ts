/**
 * Connecting: the state machine behind `TcpStream.connect`. It ends with the connected socket's
 * {@link Registration}, which the stream takes over.
 *
 * Two ways, chosen by the host:
 * - An IP literal or `localhost`: the address is parsed in this thread (and the parse kept, as a
 *   client makes thousands of connections to a few addresses), then a non-blocking `connect(2)`
 *   and a wait for the socket to become writable (`connect-attempt.ts`). `localhost` has two
 *   addresses, 127.0.0.1 then ::1: a refused or unreachable one moves on to the next, and the
 *   error of the last is the one thrown. This is the path a loopback benchmark takes, and it
 *   allocates nothing beyond the socket's registration.
 * - A hostname: looked up without blocking (the hosts file, else the resolver pool), then Happy
 *   Eyeballs across its addresses (`dns/connect-by-name.ts`). A name that does not resolve fails
 *   with the lookup's `DnsError` (`ENOTFOUND`).
 *
 * A failed connect's `IoError` names the address it was for (`address`, `port`, and the message
 * `connect ECONNREFUSED 127.0.0.1:8080`), as Node's do.
 *
 * `close()` gives the connect up from any task, whatever it was doing (looking the name up,
 * connecting): what it opened is closed, the lookup dropped, and the poll of the task waiting on
 * it fails with `IoError` `ECANCELED`. Dropping the future does the same quietly.
 *
 * @module
 */
import { IoError } from "../errors.js";
import { PENDING, dropFuture, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import type { Registration } from "../runtime/registration.js";
import * as sys from "../sys/index.js";
import { TCP_STREAM, atAddress, pollConnected, startConnect } from "./connect-attempt.js";
import { ConnectByName } from "./dns/connect-by-name.js";

export { TCP_STREAM } from "./connect-attempt.js";

/** A host that is neither an IP literal nor `localhost`: it is looked up. */
interface Hostname {
  readonly host: string;
  readonly port: number;
}

/**
 * Parsed string addresses, most recent last: a client makes thousands of connections to a few
 * addresses, and parsing showed up in its profile. Parsed addresses are never modified, so they
 * are shared. Hostnames are not kept: their addresses are looked up at each connect.
 */
const parsed = new Map<string, sys.SocketAddress[]>();
const PARSED_MAX = 256;

function resolve(address: sys.AddressInput): sys.SocketAddress[] | Hostname {
  if (typeof address !== "string") return parse(address);
  const known = parsed.get(address);
  if (known !== undefined) return known;
  const list = parse(address);
  if (!Array.isArray(list)) return list;
  if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value!);
  parsed.set(address, list);
  return list;
}

/**
 * The socket addresses of an IP literal or `localhost`, or the hostname to look up. A host with a
 * colon or made of digits and dots can only be meant as a literal: a malformed one is an
 * `InvalidAddressError` here, not a lookup (`010.0.0.1` is no name, and reading it as octal, as
 * `inet_aton` would, is how an address ends up somewhere else).
 *
 * @throws InvalidAddressError for malformed input or a bad port.
 */
function parse(address: sys.AddressInput): sys.SocketAddress[] | Hostname {
  const target = sys.splitHostPort(address);
  const host = target.host;
  if (host.includes(":") || /^[0-9.]+$/.test(host) || host.toLowerCase() === "localhost") return sys.parseAddresses(target);
  return target;
}

const RETRY_NEXT = new Set(["ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH", "EADDRNOTAVAIL", "EAFNOSUPPORT", "ETIMEDOUT"]);

/**
 * Connects to an address and completes with what the connected socket is wrapped in
 * ({@link wrap}): the stream's module subclasses it, so this one never names the stream.
 */
export abstract class Connect<T> implements Future<T> {
  private addresses: sys.SocketAddress[] | null = null;
  private next = 0;
  private registration: Registration | null = null;
  /** For a hostname: the lookup and the race, and the waker `close()` wakes while they wait. */
  private byName: ConnectByName | null = null;
  private waker: Waker | null = null;
  private done = false;
  private canceled = false;

  constructor(private readonly address: sys.AddressInput) {}

  /** Wraps the connected socket's registration into the future's output. */
  protected abstract wrap(registration: Registration): T;

  poll(waker: Waker): Poll<T> {
    if (this.done) pollAfterReady("TcpStream.connect()");
    if (this.canceled) {
      this.done = true;
      throw IoError.canceled("connect", TCP_STREAM.source);
    }
    if (this.byName !== null) return this.pollByName(waker);
    if (this.addresses === null) {
      let target: sys.SocketAddress[] | Hostname;
      try {
        target = resolve(this.address);
      } catch (e) {
        this.done = true;
        throw e;
      }
      if (!Array.isArray(target)) {
        this.byName = new ConnectByName(target.host, target.port);
        return this.pollByName(waker);
      }
      this.addresses = target;
    }
    for (;;) {
      const address = this.addresses[this.next]!;
      try {
        this.registration ??= startConnect(address);
        if (!pollConnected(this.registration, waker)) return PENDING;
        const r = this.registration;
        this.registration = null;
        this.done = true;
        return this.wrap(r);
      } catch (e) {
        this.drop();
        this.next++;
        const code = (e as { code?: unknown }).code;
        if (this.next < this.addresses.length && typeof code === "string" && RETRY_NEXT.has(code)) continue;
        this.done = true;
        throw atAddress(e, address);
      }
    }
  }

  describe(): string {
    if (this.byName !== null) return `TcpStream.connect ${this.byName.describe()}`;
    const a = this.addresses;
    const to =
      a === null
        ? typeof this.address === "string"
          ? this.address
          : `${this.address.host}:${this.address.port}`
        : sys.formatAddress(a[Math.min(this.next, a.length - 1)]!);
    return `TcpStream.connect ${to}${this.registration !== null ? ` fd ${this.registration.fd}` : ""}`;
  }

  /** Gives the connect up: what it opened is closed, and the task waiting on it fails with `IoError` `ECANCELED`. */
  close(): void {
    if (this.done) return;
    this.canceled = true;
    // Closing a registration wakes the task waiting on it; a lookup has no registration, so the
    // waker stored by the last poll is woken too. The task's poll then throws.
    this.drop();
    const waker = this.waker;
    this.waker = null;
    waker?.wake();
  }

  drop(): void {
    const r = this.registration;
    this.registration = null;
    r?.close();
    const byName = this.byName;
    this.byName = null;
    if (byName !== null) dropFuture(byName);
  }

  private pollByName(waker: Waker): Poll<T> {
    let r: Poll<Registration>;
    try {
      r = this.byName!.poll(waker);
    } catch (e) {
      this.byName = null;
      this.waker = null;
      this.done = true;
      throw e;
    }
    if (r === PENDING) {
      this.waker = waker;
      return PENDING;
    }
    this.byName = null;
    this.waker = null;
    this.done = true;
    return this.wrap(r);
  }
}
