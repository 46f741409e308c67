// Connections: pipelining, many at once, silent and slow clients (header timeout), and clients
// that disconnect while their delay is pending (the fd is closed at once: counted in
// /proc/<pid>/fd).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { exchange, get, parseResponses, startDelayServer, type DelayServerProcess } from "./util/delay-server.js";

const HEADER_TIMEOUT_MS = 500;
let server: DelayServerProcess;
/** The server's sockets with no client connected: the listener and its stdio (socketpairs). */
let baseline: number;

before(async () => {
  // Accepts not deferred: the header timeout then counts from the connect, which these tests time.
  server = await startDelayServer({ quiet: false, headerTimeoutMs: HEADER_TIMEOUT_MS, idleTimeoutMs: 2_000, args: ["--no-defer-accept"] });
  baseline = server.socketCount();
});

after(async () => {
  const r = await server.stop();
  assert.equal(r.code, 0, `exit ${r.code} ${r.signal}\n${server.stderr()}`);
});

const request = (target: string, extra = ""): string => `GET ${target} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

/** Polls `f` every 10 ms until it returns true, for up to `ms`. Returns whether it did. */
async function eventually(f: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (f()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return f();
}

test("pipelining: answers in request order, delays counted from arrival (concurrently)", async () => {
  const r = await exchange(
    server.port,
    [request("/600/a") + request("/0/b") + request("/300/c") + request("/0/d", "Connection: close\r\n")],
    {
      timeoutMs: 5_000,
    },
  );
  assert.equal(r.ended, "end");
  const responses = parseResponses(r.text);
  assert.deepEqual(
    responses.map((x) => x.body),
    ["a", "b", "c", "d"],
  );
  // b, c and d wait behind a; all four are out once a is (600 ms), not after 600 + 300.
  assert.ok(r.ms >= 599 && r.ms < 600 + 250, `all answered after ${r.ms.toFixed(0)} ms`);
});

test("pipelining: 3,000 requests (~180 KiB) in one write, 3,000 answers in order", async () => {
  // More than one 64 KiB read, more than the parser's cap and the queue's: every back-pressure path.
  const n = 3_000;
  let text = "";
  for (let i = 0; i < n; i++) {
    text += request(`/${i % 3}/p${i}?pad=${"x".repeat(i % 50)}`, i === n - 1 ? "Connection: close\r\n" : "");
  }
  const r = await exchange(server.port, [text], { timeoutMs: 20_000 });
  assert.equal(r.ended, "end");
  const bodies = parseResponses(r.text).map((x) => x.body);
  assert.equal(bodies.length, n);
  assert.deepEqual(
    bodies,
    Array.from({ length: n }, (_, i) => `p${i}`),
  );
});

test("a request split into many small writes is answered", async () => {
  const whole = request("/0/slowly", "Connection: close\r\n");
  const chunks: (string | number)[] = [];
  for (let i = 0; i < whole.length; i += 7) chunks.push(whole.slice(i, i + 7), 5);
  const r = await exchange(server.port, chunks);
  assert.equal(parseResponses(r.text)[0]?.body, "slowly");
});

test("a half-close right after the request still gets a zero-delay answer", async () => {
  const r = await exchange(server.port, [request("/0/half")], { halfClose: true, timeoutMs: 3_000 });
  assert.equal(parseResponses(r.text)[0]?.body, "half");
  assert.equal(r.ended, "end");
});

test("a silent client does not delay others and is dropped after the header timeout", async () => {
  const silent = exchange(server.port, [], { timeoutMs: 5_000 });
  const slow = exchange(server.port, ["GET /0/never-finished HTTP/1.1\r\nHo"], { timeoutMs: 5_000 });
  // A slowloris: a byte every 100 ms forever. The header deadline does not move with each byte.
  const drip: (string | number)[] = [];
  for (let i = 0; i < 40; i++) drip.push("GET /0/drip HTTP/1.1\r\nX-Drip: 1234567890"[i] ?? "a", 100);
  const loris = exchange(server.port, drip, { timeoutMs: 5_000 });
  await new Promise((r) => setTimeout(r, 50));
  const t0 = performance.now();
  const others = await Promise.all([0, 1, 2, 3, 4].map((i) => get(`${server.url}/0/other${i}`)));
  const othersMs = performance.now() - t0;
  assert.deepEqual(
    others.map((x) => x.body),
    ["other0", "other1", "other2", "other3", "other4"],
  );
  assert.ok(othersMs < 300, `the others took ${othersMs.toFixed(0)} ms`);
  for (const [name, p] of [
    ["silent", silent],
    ["partial head", slow],
    ["slowloris", loris],
  ] as const) {
    const r = await p;
    // The slowloris is still sending when it is dropped: a byte that arrives just before the close
    // makes the kernel answer with a reset instead of a FIN (and so does one sent after it). The
    // server does not linger for a client that timed out, so both are right for it; the others
    // have sent nothing more, so theirs is always a FIN.
    const endings = name === "slowloris" ? ["end", "reset"] : ["end"];
    assert.ok(endings.includes(r.ended), `${name}: dropped by the server (${r.ended})`);
    assert.equal(r.text, "", `${name}: no answer`);
    assert.ok(r.ms >= HEADER_TIMEOUT_MS - 5 && r.ms < HEADER_TIMEOUT_MS + 1_000, `${name}: dropped after ${r.ms.toFixed(0)} ms`);
  }
});

test("the header timeout applies to the next request on a keep-alive connection too", async () => {
  const r = await exchange(server.port, [request("/0/first"), 100, "GET /0/second HTTP/1.1\r\n"], { timeoutMs: 5_000 });
  assert.equal(parseResponses(r.text)[0]?.body, "first");
  assert.equal(r.ended, "end");
  // Dropped HEADER_TIMEOUT_MS after the second request's first byte (at ~100 ms), not at the idle timeout (2 s).
  assert.ok(r.ms >= 100 + HEADER_TIMEOUT_MS - 10 && r.ms < 1_500, `dropped after ${r.ms.toFixed(0)} ms`);
});

test("a request whose body stops coming is dropped after the header timeout, not the idle one", async () => {
  // After a first request, the parser holds no bytes while the body is awaited (they are consumed
  // as they come), but the request is partly received all the same.
  const r = await exchange(server.port, [request("/0/first"), 100, request("/0/second", "Content-Length: 10\r\n") + "12345"], {
    timeoutMs: 5_000,
  });
  assert.deepEqual(
    parseResponses(r.text).map((x) => x.body),
    ["first"],
  );
  assert.equal(r.ended, "end");
  assert.ok(r.ms >= 100 + HEADER_TIMEOUT_MS - 10 && r.ms < 1_500, `dropped after ${r.ms.toFixed(0)} ms (idle timeout: 2,000)`);
});

test("a body dripped a byte at a time does not keep moving the deadline", async () => {
  const drip: (string | number)[] = [request("/0/first"), 100, request("/0/second", "Content-Length: 40\r\n")];
  for (let i = 0; i < 40; i++) drip.push(100, "x");
  const r = await exchange(server.port, drip, { timeoutMs: 6_000 });
  assert.deepEqual(
    parseResponses(r.text).map((x) => x.body),
    ["first"],
  );
  assert.ok(["end", "reset"].includes(r.ended), `dropped by the server (${r.ended})`);
  assert.ok(r.ms < 100 + HEADER_TIMEOUT_MS + 1_000, `dropped after ${r.ms.toFixed(0)} ms; the drip lasts 4,100`);
});

test("a client that disconnects while its delay is pending has its connection closed at once", async () => {
  assert.ok(
    await eventually(() => server.socketCount() === baseline, 2_000),
    `no leftover sockets: ${server.socketCount()} vs ${baseline}`,
  );
  const clients: net.Socket[] = [];
  for (let i = 0; i < 20; i++) {
    const s = net.connect({ port: server.port, host: "127.0.0.1" });
    s.on("error", () => {});
    s.write(request(`/60000/gone${i}`));
    clients.push(s);
  }
  await server.waitForOutput(/^#\d+ - 60000ms: gone19$/m);
  assert.ok(
    await eventually(() => server.socketCount() === baseline + 20, 2_000),
    `20 connections open: ${server.socketCount() - baseline}`,
  );
  const t0 = performance.now();
  for (const s of clients) s.destroy();
  assert.ok(await eventually(() => server.socketCount() === baseline, 1_000), `all closed: ${server.socketCount() - baseline} left`);
  const ms = performance.now() - t0;
  assert.ok(ms < 500, `closed ${ms.toFixed(0)} ms after the clients left (the delay was 60 s)`);
  // And the server is still fine.
  assert.equal((await get(`${server.url}/0/still-serving`)).body, "still-serving");
});

test("a reset (RST) while waiting closes the connection too", async () => {
  const s = net.connect({ port: server.port, host: "127.0.0.1" });
  s.on("error", () => {});
  await new Promise((r) => s.once("connect", r));
  s.write(request("/60000/reset"));
  await server.waitForOutput(/^#\d+ - 60000ms: reset$/m);
  assert.ok(await eventually(() => server.socketCount() === baseline + 1, 1_000));
  s.resetAndDestroy();
  assert.ok(await eventually(() => server.socketCount() === baseline, 1_000), `closed: ${server.socketCount() - baseline} left`);
});

test("1,000 connections at once, each waiting 500 ms, are all answered in about 500 ms", async () => {
  const n = 1_000;
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => exchange(server.port, [request(`/500/c${i}`, "Connection: close\r\n")], { timeoutMs: 10_000 })),
  );
  const wall = performance.now() - t0;
  for (const [i, r] of results.entries()) {
    assert.equal(r.ended, "end", `c${i}`);
    assert.equal(parseResponses(r.text)[0]?.body, `c${i}`);
  }
  assert.ok(wall >= 500 && wall < 500 * 2 + 1_000, `wall ${wall.toFixed(0)} ms`);
  assert.ok(await eventually(() => server.socketCount() === baseline, 2_000), `all closed: ${server.socketCount() - baseline} left`);
});

test("with the default listener (deferred accepts where the OS layer has them) a silent client is dropped too", async (t) => {
  const plain = await startDelayServer({ headerTimeoutMs: HEADER_TIMEOUT_MS });
  t.after(() => plain.stop("SIGKILL"));
  const base = plain.socketCount();
  const silent = exchange(plain.port, [], { timeoutMs: 8_000 });
  await new Promise((r) => setTimeout(r, 200));
  // Deferred: the kernel holds the connection until data comes (or about a second passes), so
  // the server has no fd for it yet; not deferred: it has one at once.
  const deferred = plain.socketCount() === base;
  t.diagnostic(deferred ? "accepts are deferred (TCP_DEFER_ACCEPT)" : "accepts are not deferred");
  const r = await silent;
  assert.notEqual(r.ended, "timeout", "the silent client was dropped");
  assert.equal(r.text, "");
  const bound = deferred ? 3_000 + HEADER_TIMEOUT_MS + 1_000 : HEADER_TIMEOUT_MS + 1_000;
  assert.ok(r.ms >= HEADER_TIMEOUT_MS - 5 && r.ms < bound, `dropped after ${r.ms.toFixed(0)} ms`);
  assert.ok(await eventually(() => plain.socketCount() === base, 1_000));
  // A client that sends at once is served at once either way.
  const t0 = performance.now();
  assert.equal((await get(`${plain.url}/0/prompt`)).body, "prompt");
  assert.ok(performance.now() - t0 < 300);
  assert.equal((await plain.stop()).code, 0);
});
