/**
 * A TCP address that never answers a SYN, made on loopback: a listener with a backlog of 0 whose
 * one queue place is taken by a connection nobody accepts. Linux drops the SYNs that reach a
 * listener whose accept queue is full (`tcp_conn_request`), and so does gVisor's netstack, so a
 * connect to it stays in progress until the kernel gives up (about two minutes): what an IPv6
 * route that goes nowhere does to a client, without a network or root.
 *
 * The usual stand-ins do not do it everywhere: in the gVisor sandbox these tests were written in,
 * a connect to the non-routable 10.255.255.1 succeeded and one to TEST-NET 192.0.2.1 was refused
 * (the sandbox's network answers them); a full backlog swallowed every SYN. The tests check it
 * still does ({@link probeSwallows}).
 *
 * @module
 */
import * as sys from "../../src/sys/index.js";

export class BlackHole {
  /** The port it listens on. */
  readonly port: number;
  private readonly listener: number;
  private readonly filler: number;

  /** Listens on `ip` (port `port`, or any free one) and fills its accept queue. */
  constructor(
    readonly ip: string,
    port = 0,
  ) {
    this.listener = sys.socket(4);
    try {
      sys.bind(this.listener, sys.parseAddress(`${ip}:${port}`));
      sys.listen(this.listener, 0);
      this.port = sys.localPort(this.listener);
      this.filler = sys.socket(4);
    } catch (e) {
      sys.close(this.listener);
      throw e;
    }
    sys.connect(this.filler, sys.parseAddress(this.address));
    // The queue is full once the filler's handshake is over (the kernel answers it at once).
    const word = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; !sys.connectResult(this.filler); i++) {
      if (i === 1000) throw new Error(`the connection filling ${this.address}'s backlog did not complete`);
      Atomics.wait(word, 0, 0, 1);
    }
  }

  /** `ip:port`. */
  get address(): string {
    return `${this.ip}:${this.port}`;
  }

  close(): void {
    sys.close(this.filler);
    sys.close(this.listener);
  }
}

/**
 * Whether a connect to `hole` is still in progress after `ms` (a raw non-blocking socket, closed
 * after): the black hole swallows SYNs here.
 */
export function probeSwallows(hole: BlackHole, ms: number): boolean {
  const fd = sys.socket(4);
  try {
    sys.connect(fd, sys.parseAddress(hole.address));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    return !sys.connectResult(fd);
  } finally {
    sys.close(fd);
  }
}
