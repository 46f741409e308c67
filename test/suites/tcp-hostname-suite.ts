/**
 * `TcpStream.connect` by hostname, over real sockets: the lookup (an injected hosts file, the
 * resolver pool), the Happy Eyeballs race across the addresses, the errors, and what a dropped or
 * closed connect leaves behind. Run by `tcp-hostname-thread.test.ts` and
 * `tcp-hostname-inline.test.ts`, once per reactor mode. These files import the runtime from `src`
 * (the compiled `dist/src`, one copy), to reach the lookup's hosts-file hook and the pool's.
 *
 * Addresses are 127.0.0.x: a name with two addresses is two loopback IPs sharing one port, and an
 * address that swallows SYNs is a listener with a full backlog (`util/black-hole.ts`).
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  coroutine,
  wait,
  spawn,
  select,
  sleep,
  yieldNow,
  init,
  TcpListener,
  TcpStream,
  IoError,
  DnsError,
  VirtualClock,
  type Executor,
} from "../../src/index.js";
import { useHostsFile } from "../../src/net/dns/lookup.js";
import { CONNECTION_ATTEMPT_DELAY_MS } from "../../src/net/dns/address-order.js";
import { CONNECT_ATTEMPT_TIMEOUT_MS } from "../../src/net/connect-attempt.js";
import { BlackHole, probeSwallows } from "../util/black-hole.js";
import { StalledResolver } from "../util/dns-stall.js";
import { openFdCount } from "../util/fds.js";
import { runModule } from "../util/run-child.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const srcIndex = new URL("../../src/index.js", import.meta.url).href;
const srcPool = new URL("../../src/runtime/resolver-pool.js", import.meta.url).href;

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  assert.fail("expected an error");
}

/** A port with nothing listening on it at `ip`. */
function closedPort(ip: string): number {
  const l = TcpListener.bind(`${ip}:0`);
  const port = l.port;
  l.close();
  return port;
}

export function tcpHostnameSuite(mode: "thread" | "inline"): void {
  const executor = (clock?: VirtualClock): Executor => init(clock === undefined ? { reactor: mode } : { reactor: mode, clock });
  const dir = mkdtempSync(join(tmpdir(), "tcp-hostname-"));
  const hostsPath = join(dir, "hosts");
  writeFileSync(hostsPath, "");
  useHostsFile(hostsPath);
  after(() => rmSync(dir, { recursive: true, force: true }));
  /** Sets this thread's hosts file (re-read on change, as /etc/hosts is). */
  const hosts = (...lines: string[]): void => writeFileSync(hostsPath, lines.join("\n") + "\n");

  /** Connects to `address`, accepts on `listener`, sends `text` through: what the accepted side read. */
  function roundTrip(listener: TcpListener, address: string | { host: string; port: number }, text: string): string {
    return executor().blockOn(
      coroutine(function* () {
        const accepted = spawn(listener.accept());
        const c = yield* wait(TcpStream.connect(address));
        const s = yield* wait(accepted);
        yield* wait(c.writeAll(enc.encode(text)));
        c.close();
        let got = "";
        const buf = new Uint8Array(64);
        for (let n; (n = yield* wait(s.read(buf))) > 0;) got += dec.decode(buf.subarray(0, n));
        s.close();
        return got;
      }),
    );
  }

  test(`${mode}: a name from the hosts file connects to its listener, and each connect looks it up again`, () => {
    const a = TcpListener.bind("127.0.0.2:0");
    const b = TcpListener.bind("127.0.0.3:0");
    try {
      hosts("127.0.0.2 app.test");
      const fds = openFdCount();
      assert.equal(roundTrip(a, `app.test:${a.port}`, "by name"), "by name");
      assert.equal(roundTrip(a, { host: "App.Test", port: a.port }, "object, any case"), "object, any case");
      // No answer is kept: the name moved, the next connect follows it.
      hosts("127.0.0.3 app.test");
      assert.equal(roundTrip(b, `app.test:${b.port}`, "moved"), "moved");
      assert.equal(openFdCount(), fds);
    } finally {
      a.close();
      b.close();
    }
  });

  test(`${mode}: a name the system resolver answers (on a resolver thread) connects`, () => {
    const l = TcpListener.bind("127.0.0.1:0");
    try {
      hosts();
      // Not in the hosts file, not an IP literal to this runtime: it goes to getaddrinfo, which
      // reads inet_aton's hexadecimal form itself (as Node's dns.lookup gets it), no name server.
      assert.equal(roundTrip(l, `0x7f.0.0.1:${l.port}`, "via getaddrinfo"), "via getaddrinfo");
    } finally {
      l.close();
    }
  });

  test(`${mode}: an unknown name fails with DnsError ENOTFOUND naming it, nothing left open`, () => {
    const connect = (): unknown => thrown(() => executor().blockOn(TcpStream.connect("no-such-host.invalid:80")));
    // The first lookup starts a resolver thread, whose fds (its event loop's) stay for later ones.
    connect();
    const fds = openFdCount();
    const e = connect() as DnsError;
    assert.ok(e instanceof DnsError, String(e));
    assert.equal(e.code, "ENOTFOUND");
    assert.equal(e.hostname, "no-such-host.invalid");
    assert.equal(e.message, "getaddrinfo ENOTFOUND no-such-host.invalid");
    assert.equal(openFdCount(), fds);
  });

  test(`${mode}: the black hole the race tests use swallows SYNs here`, () => {
    const hole = new BlackHole("127.0.0.2");
    try {
      assert.ok(probeSwallows(hole, 300), `a connect to ${hole.address} was answered within 300 ms`);
    } finally {
      hole.close();
    }
  });

  test(`${mode}: first address black-holed, second listening: connected once the attempt delay passed, not after the kernel's timeout`, () => {
    const hole = new BlackHole("127.0.0.2");
    const live = TcpListener.bind(`127.0.0.3:${hole.port}`);
    try {
      hosts("127.0.0.2 race.test", "127.0.0.3 race.test");
      const fds = openFdCount();
      const out = executor().blockOn(
        coroutine(function* () {
          const accepted = spawn(live.accept());
          const t0 = performance.now();
          const c = yield* wait(TcpStream.connect(`race.test:${hole.port}`));
          const ms = performance.now() - t0;
          const s = yield* wait(accepted);
          yield* wait(c.writeAll(enc.encode("won")));
          const buf = new Uint8Array(8);
          const n = yield* wait(s.read(buf));
          c.close();
          s.close();
          return { ms, text: dec.decode(buf.subarray(0, n)) };
        }),
      );
      assert.equal(out.text, "won", "the second address's listener accepted the connection");
      assert.ok(out.ms >= CONNECTION_ATTEMPT_DELAY_MS - 1, `the second attempt waited for the delay (${out.ms} ms)`);
      assert.ok(out.ms < 5_000, `connected in ${out.ms} ms`);
      assert.equal(openFdCount(), fds, "the black-holed attempt's socket was closed");
    } finally {
      live.close();
      hole.close();
    }
  });

  test(`${mode}: every address refused: the last error, naming each address, with no attempt delay waited`, () => {
    const port = closedPort("127.0.0.2");
    hosts("127.0.0.2 refused.test", "127.0.0.3 refused.test");
    // On a virtual clock time stands still while sockets wait: still 0 at the end means the
    // second attempt started when the first failed, not after the 250 ms delay.
    const clock = new VirtualClock();
    const fds = openFdCount();
    const e = thrown(() => executor(clock).blockOn(TcpStream.connect(`refused.test:${port}`))) as IoError;
    assert.ok(e instanceof IoError, String(e));
    assert.equal(e.code, "ECONNREFUSED");
    assert.equal(e.errno, 111);
    assert.equal(e.syscall, "connect");
    assert.equal(
      e.message,
      `connect ECONNREFUSED refused.test:${port}: every address failed (127.0.0.2:${port} ECONNREFUSED, 127.0.0.3:${port} ECONNREFUSED)`,
    );
    assert.equal(e.address, "127.0.0.3");
    assert.equal(e.port, port);
    assert.equal(clock.now(), 0);
    assert.equal(openFdCount(), fds);
  });

  test(`${mode}: one address refused: the error is that address's, as for an IP literal`, () => {
    const port = closedPort("127.0.0.2");
    hosts("127.0.0.2 one.test");
    const e = thrown(() => executor().blockOn(TcpStream.connect(`one.test:${port}`))) as IoError;
    assert.ok(e instanceof IoError, String(e));
    assert.equal(e.message, `connect ECONNREFUSED 127.0.0.2:${port}`);
    assert.equal(e.address, "127.0.0.2");
  });

  test(`${mode}: each attempt has a time limit: two black holes fail with ETIMEDOUT, on a virtual clock`, () => {
    const first = new BlackHole("127.0.0.2");
    const second = new BlackHole("127.0.0.4", first.port);
    try {
      hosts("127.0.0.2 holes.test", "127.0.0.4 holes.test");
      const port = first.port;
      const clock = new VirtualClock();
      const fds = openFdCount();
      const out = executor(clock).blockOn(
        coroutine(function* () {
          let error: unknown = null;
          let failedAt = -1;
          const h = spawn(
            coroutine(function* () {
              try {
                yield* wait(TcpStream.connect(`holes.test:${port}`));
              } catch (e) {
                error = e;
                failedAt = clock.now();
              }
            }),
          );
          // While sockets wait, virtual time moves only when told: 50 ms a turn until the end.
          while (failedAt < 0 && clock.now() < 60_000) {
            yield* wait(yieldNow());
            clock.advance(50);
          }
          yield* wait(h);
          return { error, failedAt };
        }),
      );
      const e = out.error as IoError;
      assert.ok(e instanceof IoError, String(e));
      assert.equal(e.code, "ETIMEDOUT");
      assert.equal(e.errno, 110);
      assert.equal(
        e.message,
        `connect ETIMEDOUT holes.test:${port}: every address failed (127.0.0.2:${port} ETIMEDOUT, 127.0.0.4:${port} ETIMEDOUT)`,
      );
      assert.equal(e.address, "127.0.0.4");
      // The second attempt started after the delay and had its full time limit from then.
      assert.equal(out.failedAt, CONNECTION_ATTEMPT_DELAY_MS + CONNECT_ATTEMPT_TIMEOUT_MS);
      assert.equal(openFdCount(), fds);
    } finally {
      first.close();
      second.close();
    }
  });

  test(`${mode}: a connect dropped or closed mid-race closes every socket it opened`, () => {
    const first = new BlackHole("127.0.0.2");
    const second = new BlackHole("127.0.0.4", first.port);
    try {
      hosts("127.0.0.2 holes.test", "127.0.0.4 holes.test");
      const address = `holes.test:${first.port}`;
      const fds = openFdCount();
      const out = executor().blockOn(
        coroutine(function* () {
          // Dropped as select's loser, once both attempts run (the second from 250 ms).
          const won = yield* wait(select<unknown>([TcpStream.connect(address), sleep(CONNECTION_ATTEMPT_DELAY_MS + 150)]));
          const afterDrop = openFdCount();
          // Closed from another task: the task waiting on it fails with ECANCELED.
          const connecting = TcpStream.connect(address);
          const h = spawn(connecting);
          yield* wait(sleep(CONNECTION_ATTEMPT_DELAY_MS + 150));
          const during = openFdCount();
          connecting.close();
          let code = "";
          try {
            yield* wait(h);
          } catch (e) {
            code = (e as IoError).code;
          }
          return { index: won.index, afterDrop, during, code };
        }),
      );
      assert.equal(out.index, 1);
      assert.equal(out.afterDrop, fds, "dropping closed both attempts' sockets");
      assert.equal(out.during, fds + 2, "both attempts had a socket open");
      assert.equal(out.code, "ECANCELED");
      assert.equal(openFdCount(), fds, "closing closed both attempts' sockets");
    } finally {
      first.close();
      second.close();
    }
  });

  test(`${mode}: a connect dropped or closed while its name is stuck in the resolver frees the pool's slot`, async () => {
    const stall = new StalledResolver();
    try {
      const r = await runModule(
        `
        import { readdirSync } from "node:fs";
        import { init, coroutine, wait, spawn, sleep, timeout, TcpStream } from "${srcIndex}";
        import { resetResolverPool, resolveInPool } from "${srcPool}";
        const fds = () => readdirSync("/proc/self/fd").length;
        const ex = init({ reactor: "${mode}" });
        // One resolver thread: a slot left taken would stall every later lookup.
        resetResolverPool({ threads: 1 });
        ex.blockOn(resolveInPool("localhost", 4));
        const before = fds();
        const out = ex.blockOn(coroutine(function* () {
          const codes = [];
          try { yield* wait(timeout(TcpStream.connect("${stall.name}:80"), 300)); } catch (e) { codes.push(e.code); }
          const next = yield* wait(timeout(resolveInPool("localhost", 4), 5000));
          const connecting = TcpStream.connect("${stall.name}:80");
          const h = spawn(connecting);
          yield* wait(sleep(300));
          connecting.close();
          try { yield* wait(h); } catch (e) { codes.push(e.code); }
          const last = yield* wait(timeout(resolveInPool("localhost", 4), 5000));
          return { codes, next: next[0].bytes.join("."), last: last[0].bytes.join(".") };
        }));
        console.log(JSON.stringify({ ...out, leaked: fds() - before }));
        `,
        { env: stall.env, timeoutMs: 30_000 },
      );
      assert.equal(r.timedOut, false, r.stderr);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { codes: string[]; next: string; last: string; leaked: number };
      assert.deepEqual(out.codes, ["ETIMEDOUT", "ECANCELED"]);
      assert.equal(out.next, "127.0.0.1", "the dropped connect's slot was free for the next lookup");
      assert.equal(out.last, "127.0.0.1", "the closed connect's slot was free for the next lookup");
      assert.equal(out.leaked, 0, "no fd left open");
    } finally {
      stall.dispose();
    }
  });
}
