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
  select,
  sleep,
  TcpListener,
  TcpStream,
  IoError,
  Interest,
  reactor,
  RuntimeError,
  NoopWaker,
  type Executor,
  type Future,
  type CoroutineBody,
} from "reactor-executor";
// Readiness bits are epoll's own (token-table.ts); the token table itself is not imported here, as it
// would bring a second copy of the runtime next to the package's bundle.
import { EPOLLHUP, EPOLLOUT } from "../../src/sys/index.js";
import { openFdCount } from "../util/fds.js";
import { runModule } from "../util/run-child.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Connects to `listener` and accepts the connection: [the client's side, the server's side]. */
function* connectedPair(listener: TcpListener): CoroutineBody<[TcpStream, TcpStream]> {
  const accepted = spawn(listener.accept());
  const client = yield* wait(TcpStream.connect(`127.0.0.1:${listener.port}`));
  return [client, yield* wait(accepted)];
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

  test("IPv6 and localhost addresses connect", () => {
    const v6 = TcpListener.bind("[::1]:0");
    const v4 = TcpListener.bind("127.0.0.1:0");
    executor().blockOn(
      coroutine(function* () {
        for (const [l, address] of [
          [v6, `[::1]:${v6.port}`],
          [v4, `localhost:${v4.port}`],
          [v4, { host: "127.0.0.1", port: v4.port }],
        ] as const) {
          const accepted = spawn(l.accept());
          const c = yield* wait(TcpStream.connect(address));
          const s = yield* wait(accepted);
          c.close();
          s.close();
        }
      }),
    );
    v6.close();
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
    assert.equal(openFdCount(), fds);
  });

  test("hostnames and bad addresses are refused with a clear error", () => {
    assert.throws(() => executor().blockOn(TcpStream.connect("example.com:80")), /DNS|IP literal/);
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

  test("a closed stream refuses I/O with a clear error; closing twice is fine", () => {
    const listener = TcpListener.bind("127.0.0.1:0");
    executor().blockOn(
      coroutine(function* () {
        const [a, aServer] = yield* connectedPair(listener);
        aServer.close();
        a.close();
        a.close();
        assert.throws(() => a.tryRead(new Uint8Array(4)), RuntimeError);
        assert.throws(() => a.tryWrite(new Uint8Array(4)), RuntimeError);
        // The futures too, and before they touch the reactor: the closed stream's token may
        // already serve another source, whose waker must not be replaced.
        const [b, bServer] = yield* connectedPair(listener);
        for (const f of [a.read(new Uint8Array(4)), a.write(new Uint8Array(4)), a.writeAll(new Uint8Array(4))] as Future<unknown>[]) {
          let error: unknown = null;
          try {
            yield* wait(f);
          } catch (e) {
            error = e;
          }
          assert.ok(error instanceof RuntimeError, String(error));
        }
        assert.throws(() => a.waitReadable(new NoopWaker()), RuntimeError);
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

  test("the reactor's four methods work on any { fd } source", () => {
    const r = reactor();
    const ids = new Set(Array.from({ length: 100 }, () => r.nextId()));
    assert.equal(ids.size, 100);
    assert.throws(() => r.register({ fd: 0 }, 0, r.nextId()), RangeError);
    void Interest;
  });

  test("accept out of file descriptors (EMFILE) retries on a timer: no stall, no spin", async () => {
    const r = await runModule(
      `
      import { init, coroutine, wait, spawn, sleep, timeout, TcpListener, TcpStream } from "reactor-executor";
      const ex = init(${JSON.stringify(mode === "inline" ? { reactor: "inline" } : {})});
      const out = ex.blockOn(coroutine(function* () {
        const listener = TcpListener.bind("127.0.0.1:0");
        const accepted = [];
        const server = spawn(coroutine(function* () { for (;;) accepted.push(yield* wait(listener.accept())); }));
        const clients = [];
        let code = null;
        while (code === null) {
          try { clients.push(yield* wait(TcpStream.connect("127.0.0.1:" + listener.port))); } catch (e) { code = e.code; }
        }
        yield* wait(sleep(20));
        const stalledAt = accepted.length;
        const cpu0 = process.cpuUsage();
        yield* wait(sleep(300));
        const cpu = process.cpuUsage(cpu0);
        // Free fds: the listener must now take the rest of its backlog by itself.
        const n = clients.length;
        for (const c of clients.splice(0, Math.floor(n / 2))) c.close();
        yield* wait(timeout(coroutine(function* () { while (accepted.length < n) yield* wait(sleep(5)); }), 5000));
        server.abort();
        for (const s of [...accepted, ...clients]) s.close();
        listener.close();
        return { code, n, stalledAt, accepted: accepted.length, cpuMs: (cpu.user + cpu.system) / 1000 };
      }));
      console.log(JSON.stringify(out));
      `,
      { timeoutMs: 20_000, shell: "ulimit -n 64" },
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { code: string; n: number; stalledAt: number; accepted: number; cpuMs: number };
    assert.equal(out.code, "EMFILE");
    assert.ok(out.stalledAt < out.n, `accept never ran out of fds: ${r.stdout}`);
    assert.equal(out.accepted, out.n);
    // Spinning on EMFILE would burn the whole 300 ms; retries every 20 ms cost next to nothing.
    assert.ok(out.cpuMs < 150, `CPU while out of fds: ${out.cpuMs} ms`);
  });
}
