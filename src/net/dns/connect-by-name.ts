/**
 * Connecting to a hostname: the part of `TcpStream.connect` that IP literals and `localhost` never
 * reach. The name is looked up ({@link resolveHost}: the hosts file in this thread, else the
 * resolver pool), its addresses are put in Happy Eyeballs order ({@link interleaveFamilies}:
 * the families alternate, the resolver's first family first), and one {@link ConnectAttempt} per
 * address is raced ({@link happyEyeballs}), as Node's `autoSelectFamily` does: the next address is
 * tried 250 ms after the last attempt started, or at once when one fails; the first to connect
 * wins and the others are dropped, their sockets closed. So an address that swallows SYNs (an IPv6
 * route that goes nowhere) costs 250 ms, and one that refuses costs nothing.
 *
 * Each attempt gives up after `CONNECT_ATTEMPT_TIMEOUT_MS` (10 s) with `ETIMEDOUT`. When every
 * address fails, the error is the `IoError` of the attempt that failed last (its `code`, `errno`,
 * `address`, `port`); with more than one address its message lists each address and its code:
 * `connect ECONNREFUSED db.test:8080: every address failed (127.0.0.2:8080 ECONNREFUSED, ...)`.
 * A name that does not resolve fails with the lookup's `DnsError` (`ENOTFOUND`, ...).
 *
 * No answer is cached: each connect looks the name up again (as Node does), and the hosts file is
 * re-read when it changes.
 *
 * @module
 */
import { IoError } from "../../errors.js";
import { PENDING, dropFuture, pollAfterReady, type Future, type Poll } from "../../future/future.js";
import type { Waker } from "../../future/waker.js";
import type { Registration } from "../../runtime/registration.js";
import { formatAddress, makeAddress, type IpAddress, type SocketAddress } from "../../sys/addr.js";
import { ConnectAttempt } from "../connect-attempt.js";
import { interleaveFamilies } from "./address-order.js";
import { happyEyeballs } from "./happy-eyeballs.js";
import { resolveHost } from "./lookup.js";

/** Whether a failed attempt lets the race go on to the next address: any I/O error does. */
const retryable = (e: unknown): boolean => e instanceof IoError;

/**
 * Connects to `host` (a name, not an IP literal) on `port`; completes with the connected socket's
 * registration. Dropping it drops the lookup (freeing its resolver slot) or the race (closing
 * every socket it opened).
 */
export class ConnectByName implements Future<Registration> {
  private lookup: Future<IpAddress[]> | null;
  private race: Future<Registration> | null = null;
  /** Every attempt started, in address order: the error names each one's outcome. */
  private readonly attempts: ConnectAttempt[] = [];
  private done = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    this.lookup = resolveHost(host);
  }

  /** What it waits on, for task dumps: the lookup, or the race with how many attempts started. */
  describe(): string {
    const at = `${this.host}:${this.port}`;
    return this.race === null ? `${at} (looking up)` : `${at} (${this.attempts.length} attempt${this.attempts.length === 1 ? "" : "s"})`;
  }

  poll(waker: Waker): Poll<Registration> {
    if (this.done) pollAfterReady("TcpStream.connect()");
    try {
      if (this.race === null) {
        const ips = this.lookup!.poll(waker);
        if (ips === PENDING) return PENDING;
        this.lookup = null;
        const port = this.port;
        const addresses = interleaveFamilies(ips).map((ip) => makeAddress(ip.family, ip.bytes, port));
        this.race = happyEyeballs(addresses, (address) => this.attempt(address), { retryable });
      }
      const r = this.race.poll(waker);
      if (r === PENDING) return PENDING;
      this.race = null;
      this.done = true;
      return r;
    } catch (e) {
      this.done = true;
      this.release();
      throw this.failure(e);
    }
  }

  drop(): void {
    this.done = true;
    this.release();
  }

  private attempt(address: SocketAddress): ConnectAttempt {
    const a = new ConnectAttempt(address);
    this.attempts.push(a);
    return a;
  }

  /** The error to throw for the race's `e`: with several addresses, one that names them all. */
  private failure(e: unknown): unknown {
    const attempts = this.attempts;
    if (!(e instanceof IoError) || attempts.length < 2 || attempts.some((a) => a.error === null)) return e;
    const each = attempts.map((a) => `${formatAddress(a.address)} ${a.error!.code}`).join(", ");
    const message = `${e.syscall} ${e.code} ${this.host}:${this.port}: every address failed (${each})`;
    const at = e.address !== undefined && e.port !== undefined ? { address: e.address, port: e.port } : undefined;
    return new IoError(e.code, e.errno, e.syscall, message, at);
  }

  private release(): void {
    if (this.lookup !== null) dropFuture(this.lookup);
    this.lookup = null;
    if (this.race !== null) dropFuture(this.race);
    this.race = null;
  }
}
