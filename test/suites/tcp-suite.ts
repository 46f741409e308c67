/**
 * TCP on the real reactor: run by `tcp-thread.test.ts` and `tcp-inline.test.ts`, once per reactor mode
 * (the mode is process-wide, so each mode gets its own test process).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  coroutine,
  wait,
  spawn,
  joinAll,
  map,
  select,
  sleep,
  TcpListener,
  TcpStream,
  IoError,
  DnsError,
  Interest,
  reactor,
  NoopWaker,
  PENDING,
  Waker,
  yieldNow,
  type Executor,
  type Future,
  type Poll,
  type CoroutineBody,
} from "reactor-executor";
// Readiness bits are epoll's own (token-table.ts); the token table itself is not imported here, as it
// would bring a second copy of the runtime next to the package's bundle.
import * as sys from "../../src/sys/index.js";
import { openFdCount } from "../util/fds.js";
import { noIpv6Loopback } from "../util/ipv6.js";
import { runModule } from "../util/run-child.js";

const { EPOLLHUP, EPOLLOUT } = sys;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Connects to `listener` and accepts the connection: [the client's side, the server's side]. */
function* connectedPair(listener: TcpListener): CoroutineBody<[TcpStream, TcpStream]> {
  const accepted = spawn(listener.accept());
  const client = yield* wait(TcpStream.connect(`127.0.0.1:${listener.port}`));
  return [client, yield* wait(accepted)];
}

/** Runs `f` to its end: "ok", or the name, code, errno and syscall of what it threw. */
function outcome(f: Future<unknown>): Future<string> {
  return coroutine(function* () {
    try {
      yield* wait(f);
      return "ok";
    } catch (e) {
      const x = e as IoError;
      return `${x.name} ${x.code} ${x.errno} ${x.syscall}`;
    }
  });
}

/** `f`'s output, or "timed out" after `ms` (`f` is then dropped): a test fails instead of hanging. */
function within<T>(f: Future<T>, ms: number): Future<T | "timed out"> {
  return map(select<T | void>([f, sleep(ms)]), (r) => (r.index === 0 ? (r.value as T) : "timed out"));
}

/** Wraps a task's waker with a cooperative budget of `left` units (the executor's own never runs out here). */
class BudgetWaker extends Waker {
  woken = 0;
  constructor(
    private left: number,
    private readonly inner: Waker,
  ) {
    super();
  }
  override wake(): void {
    this.woken++;
    this.inner.wake();
  }
  override consumeBudget(): boolean {
    return this.left-- > 0;
  }
}

/** Polls `f` once with a waker whose budget is `units`: its output or PENDING, and how often it woke the task. */
function pollWithBudget<T>(f: Future<T>, units: number): Future<{ out: Poll<T>; woken: number }> {
  return {
    poll(waker: Waker) {
      const w = new BudgetWaker(units, waker);
      return { out: f.poll(w), woken: w.woken };
    },
  };
}

function freePort(): number {
  const l = TcpListener.bind("127.0.0.1:0");
  const port = l.port;
  l.close();
  return port;
}

export function tcpSuite(executor: () => Executor, mode: "thread" | "inline"): void {
  test("connect, write, read, shutdown: an echo through our own listener", () => {
    const fds = openFdCount();
    const listener = TcpListener.bind("127.0.0.1:0");
    const out = executor().blockOn(
      coroutine(function* () {
        const server = spawn(
          coroutine(function* () {
            const conn = yield* wait(listener.accept());
            const buf = new Uint8Array(1024);
            let total = 0;
            for (;;) {
              const n = yield* wait(conn.read(buf));
              if (n === 0) break;
              total += n;
              yield* wait(conn.writeAll(buf.subarray(0, n)));
            }
            conn.close();
            return total;
          }),
        );
        const client = yield* wait(TcpStream.connect(`127.0.0.1:${listener.port}`));
        const message = enc.encode("hello reactor ".repeat(1000));
        yield* wait(client.writeAll(message));
        client.shutdown();
        const buf = new Uint8Array(64 * 1024);
        const parts: Uint8Array[] = [];
        for (;;) {
          const n = yield* wait(client.read(buf));
          if (n === 0) break;
          parts.push(buf.slice(0, n));
        }
        client.close();
        const echoed = dec.decode(Buffer.concat(parts));
        return { echoed, served: yield* wait(server), sent: message.length };
      }),
    );
    listener.close();
    assert.equal(out.served, out.sent);
    assert.equal(out.echoed, "hello reactor ".repeat(1000));
    assert.equal(openFdCount(), fds);
  });

  test("readiness after connect: writable, no hang-up from before the handshake; a read that finds nothing waits", () => {
    const listener = TcpListener.bind("127.0.0.1:0");
    const out = executor().blockOn(
      coroutine(function* () {
        const [client, conn] = yield* connectedPair(listener);
        // A socket not yet connecting reports writable + hang-up; none of that may stay behind.
        const afterConnect = client.readiness();
        // Nothing sent yet: the read must wait (no data, no end of stream), then get the bytes.
        const reading = spawn(client.read(new Uint8Array(16)));
        yield* wait(sleep(20));
        const waited = !reading.finished;
        yield* wait(conn.writeAll(enc.encode("late")));
        const n = yield* wait(reading);
        conn.close();
        client.close();
        return { afterConnect, waited, n };
      }),
    );
    listener.close();
    assert.equal(out.afterConnect & EPOLLHUP, 0, `readiness ${out.afterConnect.toString(16)}`);
    assert.equal(out.afterConnect & EPOLLOUT, EPOLLOUT);
    assert.equal(out.waited, true);
    assert.equal(out.n, 4);
  });

  test("a response followed by FIN is read to the end; a reset after data is an error, not an end", () => {
    const listener = TcpListener.bind("127.0.0.1:0");
    const out = executor().blockOn(
      coroutine(function* () {
        const results: string[] = [];
        for (const how of ["fin", "reset"] as const) {
          const [client, conn] = yield* connectedPair(listener);
          yield* wait(conn.writeAll(enc.encode("bye")));
          if (how === "reset") {
            // Unread bytes in the receive queue make close send RST instead of FIN.
            yield* wait(client.writeAll(enc.encode("unread")));
            yield* wait(sleep(10));
          }
          conn.close();
          yield* wait(sleep(10));
          const buf = new Uint8Array(64);
          let text = "";
          try {
            for (;;) {
              const n = yield* wait(client.read(buf));
              if (n === 0) break;
              text += dec.decode(buf.subarray(0, n));
            }
            results.push(`${how}: ${text} end`);
          } catch (e) {
            results.push(`${how}: ${text} ${(e as IoError).code}`);
          }
          client.close();
        }
        return results;
      }),
    );
    listener.close();
    assert.equal(out[0], "fin: bye end");
    assert.match(out[1]!, /^reset: (bye )?ECONNRESET$/);
  });

  /** Connects to `address`, accepts on `listener`, and returns what the accepted side read. */
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

  test("IPv6 addresses connect", { skip: noIpv6Loopback() ?? false }, () => {
    const v6 = TcpListener.bind("[::1]:0");
    assert.equal(roundTrip(v6, `[::1]:${v6.port}`, "over v6"), "over v6");
    v6.close();
  });

  test("an IPv6 peer is named in brackets on the error (localhost refused on both addresses)", { skip: noIpv6Loopback() ?? false }, () => {
    const port = freePort();
    assert.throws(
      () => executor().blockOn(TcpStream.connect(`localhost:${port}`)),
      (e: unknown) =>
        e instanceof IoError &&
        e.code === "ECONNREFUSED" &&
        e.message === `connect ECONNREFUSED [::1]:${port}` &&
        e.address === "::1" &&
        e.port === port,
    );
  });

  test("localhost and { host, port } addresses connect", () => {
    const v4 = TcpListener.bind("127.0.0.1:0");
    // localhost tries 127.0.0.1 first: the IPv4 listener takes it.
    assert.equal(roundTrip(v4, `localhost:${v4.port}`, "via localhost"), "via localhost");
    assert.equal(roundTrip(v4, { host: "127.0.0.1", port: v4.port }, "via object"), "via object");
    v4.close();
  });

  test("connection refused: IoError ECONNREFUSED, nothing left open", () => {
    const port = freePort();
    const fds = openFdCount();
    const err = executor().blockOn(
      coroutine(function* () {
        try {
          yield* wait(TcpStream.connect(`127.0.0.1:${port}`));
          return null;
        } catch (e) {
          return e;
        }
      }),
    );
    assert.ok(err instanceof IoError, String(err));
    assert.equal(err.code, "ECONNREFUSED");
    assert.equal(err.errno, 111);
    assert.equal(err.syscall, "connect");
    // The peer is named, as Node names it.
    assert.equal(err.message, `connect ECONNREFUSED 127.0.0.1:${port}`);
    assert.equal(err.address, "127.0.0.1");
    assert.equal(err.port, port);
    assert.equal(openFdCount(), fds);
  });

  test("an unknown hostname fails with DnsError ENOTFOUND, a bad address with a clear error", () => {
    const unknown = (): void => {
      assert.throws(
        () => executor().blockOn(TcpStream.connect("no-such-host.invalid:80")),
        (e: unknown) =>
          e instanceof DnsError &&
          e.code === "ENOTFOUND" &&
          e.hostname === "no-such-host.invalid" &&
          e.message === "getaddrinfo ENOTFOUND no-such-host.invalid",
      );
    };
    // The first lookup starts a resolver thread, whose fds (its event loop's) stay for later ones.
    unknown();
    const fds = openFdCount();
    unknown();
    assert.equal(openFdCount(), fds);
    assert.throws(
      () => executor().blockOn(TcpStream.connect("127.0.0.1:99999")),
      (e: unknown) => (e as { code?: string }).code === "ERR_INVALID_ADDRESS",
    );
  });

  test("a reader task and a writer task on one stream keep their own wakers", () => {
    const fds = openFdCount();
    const listener = TcpListener.bind("127.0.0.1:0");
    const out = executor().blockOn(
      coroutine(function* () {
        const [a, b] = yield* connectedPair(listener);
        // The writer fills a's send buffer and waits for writable; the reader waits for readable.
        const big = new Uint8Array(8 * 1024 * 1024).fill(7);
        const writer = spawn(a.writeAll(big));
        const reader = spawn(
          coroutine(function* () {
            const buf = new Uint8Array(16);
            const n = yield* wait(a.read(buf));
            return dec.decode(buf.subarray(0, n));
          }),
        );
        yield* wait(sleep(20));
        // Now the peer answers (wakes the reader) and drains (wakes the writer).
        yield* wait(b.writeAll(enc.encode("pong")));
        const buf = new Uint8Array(256 * 1024);
        let got = 0;
        while (got < big.length) got += yield* wait(b.read(buf));
        yield* wait(writer);
        const text = yield* wait(reader);
        a.close();
        b.close();
        return { text, got };
      }),
    );
    listener.close();
    assert.deepEqual(out, { text: "pong", got: 8 * 1024 * 1024 });
    assert.equal(openFdCount(), fds);
  });

  test("a dropped read (select loser) leaves the stream usable and closes nothing", () => {
    const listener = TcpListener.bind("127.0.0.1:0");
    const out = executor().blockOn(
      coroutine(function* () {
        const [a, b] = yield* connectedPair(listener);
        const buf = new Uint8Array(16);
        const first = yield* wait(select<number | void>([a.read(buf), sleep(10)]));
        yield* wait(b.writeAll(enc.encode("late")));
        const n = yield* wait(a.read(buf));
        a.close();
        b.close();
        return [first.index, dec.decode(buf.subarray(0, n))];
      }),
    );
    listener.close();
    assert.deepEqual(out, [1, "late"]);
  });

  test("accept serves many concurrent connections", () => {
    const fds = openFdCount();
    const listener = TcpListener.bind("127.0.0.1:0");
    const n = 200;
    const total = executor().blockOn(
      coroutine(function* () {
        const server = spawn(
          coroutine(function* () {
            for (let i = 0; i < n; i++) {
              const s = yield* wait(listener.accept());
              spawn(
                coroutine(function* () {
                  const buf = new Uint8Array(8);
                  const k = yield* wait(s.read(buf));
                  yield* wait(s.writeAll(buf.subarray(0, k)));
                  s.close();
                }),
              );
            }
          }),
        );
        const clients = Array.from({ length: n }, (_, i) =>
          coroutine(function* () {
            const c = yield* wait(TcpStream.connect(`127.0.0.1:${listener.port}`));
            yield* wait(c.writeAll(enc.encode(String(i))));
            const buf = new Uint8Array(8);
            const k = yield* wait(c.read(buf));
            c.close();
            return Number(dec.decode(buf.subarray(0, k)));
          }),
        );
        const outs = yield* wait(joinAll(clients));
        yield* wait(server);
        return outs.reduce((x, y) => x + y, 0);
      }),
    );
    listener.close();
    assert.equal(total, (n * (n - 1)) / 2);
    assert.equal(openFdCount(), fds);
  });

  test("a closed stream refuses I/O with IoError ECANCELED; closing twice is fine", () => {
    const listener = TcpListener.bind("127.0.0.1:0");
    const canceled = (e: unknown): boolean => e instanceof IoError && e.code === "ECANCELED" && e.errno === 125;
    executor().blockOn(
      coroutine(function* () {
        const [a, aServer] = yield* connectedPair(listener);
        aServer.close();
        a.close();
        a.close();
        assert.equal(a.isOpen, false);
        assert.throws(() => a.tryRead(new Uint8Array(4)), canceled);
        assert.throws(() => a.tryWrite(new Uint8Array(4)), canceled);
        assert.throws(() => a.shutdown(), canceled);
        // The futures too, and before they touch the reactor: the closed stream's token may
        // already serve another source, whose waker must not be replaced.
        const [b, bServer] = yield* connectedPair(listener);
        for (const f of [
          a.read(new Uint8Array(4)),
          a.read(new Uint8Array(0)),
          a.write(new Uint8Array(4)),
          a.writeAll(new Uint8Array(4)),
        ] as Future<unknown>[]) {
          assert.match(yield* wait(outcome(f)), /^IoError ECANCELED 125 (read|write)$/);
        }
        assert.throws(() => a.waitReadable(new NoopWaker()), canceled);
        // b still works: nothing above took its token's waker.
        const reading = spawn(b.read(new Uint8Array(4)));
        yield* wait(bServer.writeAll(new Uint8Array([1, 2, 3])));
        assert.equal(yield* wait(reading), 3);
        b.close();
        bServer.close();
      }),
    );
    listener.close();
  });

  test("the reactor's four methods work on any { fd } source: a user's eventfd future, in the book's order", () => {
    const r = reactor();
    /** A leaf future written against the facade: nextId, register, setWaker, then the syscall. */
    class EventfdRead implements Future<number> {
      id = -1;
      polls = 0;
      constructor(readonly source: { fd: number }) {}
      poll(waker: Waker): Poll<number> {
        this.polls++;
        if (this.id < 0) {
          this.id = r.nextId();
          r.register(this.source, Interest.READABLE, this.id);
        }
        r.setWaker(waker, this.id, Interest.READABLE);
        const value = sys.eventfdRead(this.source.fd);
        if (value === 0) return PENDING;
        r.deregister(this.source, this.id);
        return value;
      }
    }
    const fds = openFdCount();
    const efd = sys.eventfd();
    const out = executor().blockOn(
      coroutine(function* () {
        const f = new EventfdRead({ fd: efd });
        const reading = spawn(f);
        yield* wait(sleep(10));
        const waited = !reading.finished;
        sys.eventfdWrite(efd, 3);
        return { waited, value: yield* wait(reading), polls: f.polls };
      }),
    );
    sys.close(efd);
    assert.deepEqual(out, { waited: true, value: 3, polls: 2 });
    assert.equal(openFdCount(), fds);
    const ids = new Set(Array.from({ length: 100 }, () => r.nextId()));
    assert.equal(ids.size, 100);
    for (const id of ids) r.deregister({ fd: -1 }, id);
    assert.throws(() => r.register({ fd: 0 }, 0, r.nextId()), RangeError);
    // An id nextId did not hand out (or one given back) is refused, not written into the table.
    assert.throws(() => r.setWaker(new NoopWaker(), 1 << 30), /no source is registered under id/);
  });

  test("accept out of file descriptors (EMFILE) retries on a timer: no stall, no spin", async () => {
    const r = await runModule(
      `
      import { openSync, closeSync } from "node:fs";
      import { init, coroutine, wait, spawn, sleep, timeout, TcpListener, TcpStream } from "reactor-executor";
      const ex = init(${JSON.stringify(mode === "inline" ? { reactor: "inline" } : {})});
      const out = ex.blockOn(coroutine(function* () {
        const listener = TcpListener.bind("127.0.0.1:0");
        // Connections queued in the backlog before anything accepts them.
        const clients = [];
        for (let i = 0; i < 8; i++) clients.push(yield* wait(TcpStream.connect("127.0.0.1:" + listener.port)));
        // Then every fd left is taken, so the listener's accept4 says EMFILE.
        const filler = [];
        let code = null;
        while (code === null) {
          try { filler.push(openSync("/dev/null", "r")); } catch (e) { code = e.code; }
        }
        const accepted = [];
        const server = spawn(coroutine(function* () { for (;;) accepted.push(yield* wait(listener.accept())); }));
        yield* wait(sleep(20));
        const stalledAt = accepted.length;
        const cpu0 = process.cpuUsage();
        yield* wait(sleep(300));
        const cpu = process.cpuUsage(cpu0);
        // Free fds: the listener must now take its backlog by itself.
        for (const fd of filler) closeSync(fd);
        yield* wait(timeout(coroutine(function* () { while (accepted.length < clients.length) yield* wait(sleep(5)); }), 5000));
        server.abort();
        for (const s of [...accepted, ...clients]) s.close();
        listener.close();
        return { code, n: clients.length, stalledAt, accepted: accepted.length, cpuMs: (cpu.user + cpu.system) / 1000 };
      }));
      console.log(JSON.stringify(out));
      `,
      { timeoutMs: 20_000, shell: "ulimit -n 64" },
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { code: string; n: number; stalledAt: number; accepted: number; cpuMs: number };
    assert.equal(out.code, "EMFILE");
    assert.equal(out.stalledAt, 0, `accept took connections with no fd free: ${r.stdout}`);
    assert.equal(out.accepted, out.n);
    // Spinning on EMFILE would burn the whole 300 ms; retries every 20 ms cost next to nothing.
    assert.ok(out.cpuMs < 150, `CPU while out of fds: ${out.cpuMs} ms`);
  });

  test("closing a source fails the tasks waiting on it with IoError ECANCELED: accept, read, write, connect", () => {
    const fds = openFdCount();
    const listener = TcpListener.bind("127.0.0.1:0");
    // A listener whose accept queue (backlog 0: one connection) is full drops further SYNs, so a
    // connect to it stays in progress.
    const full = sys.socket(4);
    sys.bind(full, sys.parseAddress("127.0.0.1:0"));
    sys.listen(full, 0);
    const fullPort = sys.localPort(full);
    const out = executor().blockOn(
      coroutine(function* () {
        const results: Record<string, string> = {};
        /** Spawns `f`, lets it start waiting, checks it waits, runs `close`, and returns how `f` ended. */
        function* closeWhileWaiting(what: string, f: Future<unknown>, close: () => void): CoroutineBody<void> {
          const h = spawn(outcome(f));
          yield* wait(sleep(20));
          assert.equal(h.finished, false, `${what} was not waiting`);
          spawn(
            coroutine(function* () {
              close();
            }),
          );
          // A task left asleep by the close is reported (and aborted) instead of hanging the test.
          const first = yield* wait(select<string | void>([h, sleep(5_000)]));
          if (first.index === 1) h.abort();
          results[what] = first.index === 0 ? (first.value as string) : "still waiting 5 s after the close";
        }

        const other = TcpListener.bind("127.0.0.1:0");
        yield* closeWhileWaiting("accept", other.accept(), () => other.close());

        const [a, aPeer] = yield* connectedPair(listener);
        yield* closeWhileWaiting("read", a.read(new Uint8Array(16)), () => a.close());

        // The peer reads nothing: the writer fills both socket buffers and waits.
        const [b, bPeer] = yield* connectedPair(listener);
        yield* closeWhileWaiting("write", b.writeAll(new Uint8Array(64 * 1024 * 1024)), () => b.close());

        const queued = yield* wait(TcpStream.connect(`127.0.0.1:${fullPort}`));
        const connecting = TcpStream.connect(`127.0.0.1:${fullPort}`);
        yield* closeWhileWaiting("connect", connecting, () => connecting.close());

        for (const s of [aPeer, bPeer, queued]) s.close();
        return results;
      }),
    );
    sys.close(full);
    listener.close();
    assert.deepEqual(out, {
      accept: "IoError ECANCELED 125 accept",
      read: "IoError ECANCELED 125 read",
      write: "IoError ECANCELED 125 write",
      connect: "IoError ECANCELED 125 connect",
    });
    assert.equal(openFdCount(), fds);
  });

  test("a zero-length read returns 0 at once, with nothing to read; a zero-length write 0", () => {
    const listener = TcpListener.bind("127.0.0.1:0");
    const out = executor().blockOn(
      coroutine(function* () {
        const [a, b] = yield* connectedPair(listener);
        const empty = spawn(a.read(new Uint8Array(0)));
        const sub = spawn(a.read(new Uint8Array(8).subarray(8)));
        const none = spawn(a.write(new Uint8Array(0)));
        yield* wait(yieldNow());
        const finished = [empty.finished, sub.finished, none.finished];
        const values = finished.every((x) => x) ? [yield* wait(empty), yield* wait(sub), yield* wait(none)] : [];
        for (const h of [empty, sub, none]) h.abort();
        // The stream is still usable afterwards.
        yield* wait(b.writeAll(enc.encode("x")));
        const n = yield* wait(a.read(new Uint8Array(4)));
        a.close();
        b.close();
        return { finished, values, n };
      }),
    );
    listener.close();
    assert.deepEqual(out, { finished: [true, true, true], values: [0, 0, 0], n: 1 });
  });

  test("reads, writes and accepts spend the task's cooperative budget: out of it, they wake the task and wait", () => {
    const listener = TcpListener.bind("127.0.0.1:0");
    const out = executor().blockOn(
      coroutine(function* () {
        const [a, b] = yield* connectedPair(listener);
        yield* wait(b.writeAll(new Uint8Array(100).fill(1)));
        yield* wait(sleep(10));
        // One byte per read: three reads, then the budget is spent and the fourth waits.
        const buf = new Uint8Array(1);
        const reads: unknown[] = [];
        const probe = {
          poll(waker: Waker) {
            const w = new BudgetWaker(3, waker);
            for (;;) {
              const n = a.pollRead(w, buf, 0, 1);
              reads.push(n === PENDING ? "pending" : n);
              if (n === PENDING) return w.woken;
            }
          },
        };
        const readWoken = yield* wait(probe);
        const write = yield* wait(pollWithBudget(a.write(new Uint8Array(10)), 0));

        // Three connections queued: with a budget of two, two accepts complete and the third waits.
        const clients = [];
        for (let i = 0; i < 3; i++) clients.push(yield* wait(TcpStream.connect(`127.0.0.1:${listener.port}`)));
        yield* wait(sleep(10));
        const accepts = [];
        const budget = new BudgetWaker(2, new NoopWaker());
        for (let i = 0; i < 3; i++) accepts.push(listener.accept().poll(budget));
        // The stream is whole: the bytes not read yet are still there.
        let rest = 0;
        const big = new Uint8Array(256);
        while (rest < 97) {
          const n = yield* wait(within(a.read(big), 2_000));
          if (n === "timed out") break;
          rest += n;
        }
        for (const s of [a, b, ...clients, ...accepts.filter((x): x is TcpStream => x instanceof TcpStream)]) s.close();
        return {
          reads,
          readWoken,
          write,
          accepts: accepts.map((x) => (x === PENDING ? "pending" : "stream")),
          budgetWoken: budget.woken,
          rest,
        };
      }),
    );
    listener.close();
    assert.deepEqual(out, {
      reads: [1, 1, 1, "pending"],
      readWoken: 1,
      write: { out: PENDING, woken: 1 },
      accepts: ["stream", "stream", "pending"],
      budgetWoken: 1,
      rest: 97,
    });
  });
}
