// The delay server's main contract, against the real CLI on an ephemeral port: bodies, delays,
// URL-decoding, the log line, keep-alive and `Connection: close`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { exchange, get, parseResponses, startDelayServer, type DelayServerProcess } from "./util/delay-server.js";

let server: DelayServerProcess;
/** The server's sockets with no client connected: the listener and its stdio (socketpairs). */
let baseline: number;

before(async () => {
  server = await startDelayServer({ quiet: false, idleTimeoutMs: 400 });
  baseline = server.socketCount();
});

after(async () => {
  const r = await server.stop();
  assert.equal(r.code, 0, `exit ${r.code} ${r.signal}\n${server.stderr()}`);
});

test("answers 200 text/plain with the message after the delay, concurrently", async () => {
  const delays = [600, 0, 300, 150];
  const t0 = performance.now();
  const order: number[] = [];
  const results = await Promise.all(
    delays.map(async (d) => {
      const r = await get(`${server.url}/${d}/message-${d}`);
      order.push(d);
      return r;
    }),
  );
  const wall = performance.now() - t0;
  for (const [i, d] of delays.entries()) {
    const r = results[i]!;
    assert.equal(r.status, 200);
    assert.equal(r.body, `message-${d}`);
    assert.equal(r.headers["content-type"], "text/plain; charset=utf-8");
    assert.equal(r.headers["content-length"], String(Buffer.byteLength(`message-${d}`)));
    // Never early; late by a generous margin at most (2 noisy cores).
    assert.ok(r.ms >= d - 1, `/${d}: answered after ${r.ms.toFixed(1)} ms`);
    assert.ok(r.ms <= d * 1.5 + 250, `/${d}: answered after ${r.ms.toFixed(1)} ms`);
  }
  assert.deepEqual(order, [0, 150, 300, 600], "answers arrive in the order of their delays");
  // Concurrent, not one after the other (which would take 1,050 ms).
  assert.ok(wall < 600 * 1.5 + 250, `wall ${wall.toFixed(0)} ms`);
});

test("the book's demo shape: five requests i*200 ms finish in about the longest delay", async () => {
  const t0 = performance.now();
  const bodies = await Promise.all([0, 1, 2, 3, 4].map((i) => get(`${server.url}/${i * 200}/HelloWorld${i}`).then((r) => r.body)));
  const wall = performance.now() - t0;
  assert.deepEqual(bodies, ["HelloWorld0", "HelloWorld1", "HelloWorld2", "HelloWorld3", "HelloWorld4"]);
  const ratio = wall / 800;
  assert.ok(ratio >= 0.99 && ratio < 1.6, `wall ${wall.toFixed(0)} ms for a longest delay of 800 ms (sum 2,000)`);
});

test("the message is percent-decoded as UTF-8, slashes kept, the query stripped", async () => {
  const cases: [string, string][] = [
    ["/0/hello%20world", "hello world"],
    ["/0/caf%C3%A9%20cr%c3%a8me", "café crème"],
    ["/0/a/b/c", "a/b/c"],
    ["/0/a%2Fb/c", "a/b/c"],
    ["/0/1+1=2", "1+1=2"],
    ["/0/%F0%9F%A6%80%20crab", "\u{1F980} crab"],
    ["/0/x?y=1&z=%20", "x"],
    ["/0/a/?b", "a/"],
    ["/0007/leading-zeros", "leading-zeros"],
  ];
  for (const [path, body] of cases) {
    const r = await get(server.url + path);
    assert.equal(r.status, 200, path);
    assert.equal(r.body, body, path);
  }
  // Raw UTF-8 bytes on the wire (node:http refuses to send them) decode the same way.
  const raw = await exchange(server.port, [
    Buffer.concat([Buffer.from("GET /0/"), Buffer.from("żółw", "utf8"), Buffer.from(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")]),
  ]);
  const [response] = parseResponses(raw.text);
  assert.equal(response?.body, "żółw");
  // An absolute-form target is routed by its path.
  const absolute = await exchange(server.port, [
    `GET http://127.0.0.1:${server.port}/0/absolute HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
  ]);
  assert.equal(parseResponses(absolute.text)[0]?.body, "absolute");
});

test("logs `#{n} - {delay}ms: {message}` per 200, numbered in arrival order, and a line per refusal", async () => {
  const tag = `t${process.pid}`;
  await get(`${server.url}/0/${tag}%20first`);
  await get(`${server.url}/25/${tag}/second`);
  await get(`${server.url}/nope/${tag}-not-routed`); // refused: its own line, not counted in n
  await get(`${server.url}/0/${tag}%0Anewline`);
  await server.waitForOutput(new RegExp(`^#\\d+ - 0ms: ${tag}\\\\nnewline$`, "m"));
  const lines = server
    .stdout()
    .split("\n")
    .filter((l) => l.includes(tag));
  assert.equal(lines.length, 4, lines.join("\n"));
  const n = Number(/^#(\d+) /.exec(lines[0]!)?.[1]);
  assert.ok(n >= 1);
  assert.deepEqual(lines, [
    `#${n} - 0ms: ${tag} first`,
    `#${n + 1} - 25ms: ${tag}/second`,
    `!400 GET /nope/${tag}-not-routed: the delay must be a whole number of milliseconds from 0 to 3600000, got "nope"`,
    `#${n + 2} - 0ms: ${tag}\\nnewline`,
  ]);
});

test("the startup text shows the usage and the address", () => {
  const out = server.stdout();
  assert.match(out, new RegExp(`^Listening on http://127\\.0\\.0\\.1:${server.port}$`, "m"));
  assert.match(out, new RegExp(`GET http://127\\.0\\.0\\.1:${server.port}/\\{delay_ms\\}/\\{message\\}`));
  assert.match(out, /#\{n\} - \{delay_ms\}ms: \{message\}/);
  assert.match(out, /!\{status\} \{method\} \{target\}: \{reason\}/);
});

test("keep-alive: several requests on one connection", async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set<net.Socket>();
  try {
    for (let i = 0; i < 5; i++) {
      const r = await new Promise<{ body: string; connection: string | undefined }>((resolve, reject) => {
        const req = http.get(`${server.url}/${i * 10}/ka${i}`, { agent }, (res) => {
          sockets.add(res.socket);
          let body = "";
          res.setEncoding("utf8").on("data", (d: string) => (body += d));
          res.on("end", () => resolve({ body, connection: res.headers.connection }));
        });
        req.on("error", reject);
      });
      assert.equal(r.body, `ka${i}`);
      assert.equal(r.connection, "keep-alive");
    }
    assert.equal(sockets.size, 1, "all five requests used one connection");
    assert.equal(server.socketCount(), baseline + 1, "one connection open on the server");
  } finally {
    agent.destroy();
  }
});

test("keep-alive on a raw connection: requests sent one after the other, answers in turn", async () => {
  const r = await exchange(server.port, [
    "GET /0/one HTTP/1.1\r\nHost: x\r\n\r\n",
    50,
    "GET /20/two HTTP/1.1\r\nHost: x\r\n\r\n",
    80,
    "GET /0/three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  ]);
  assert.equal(r.ended, "end");
  const responses = parseResponses(r.text);
  assert.deepEqual(
    responses.map((x) => [x.status, x.body, x.headers.connection]),
    [
      [200, "one", "keep-alive"],
      [200, "two", "keep-alive"],
      [200, "three", "close"],
    ],
  );
});

test("`Connection: close` is honoured: the answer says close and the server closes", async () => {
  const r = await exchange(server.port, ["GET /50/bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"], { timeoutMs: 3_000 });
  assert.equal(r.ended, "end", "the server closed the connection");
  assert.ok(r.ms < 1_000, `closed after ${r.ms.toFixed(0)} ms (the idle timeout is 400 ms, the test's limit 3,000)`);
  const [response] = parseResponses(r.text);
  assert.equal(response?.body, "bye");
  assert.equal(response?.headers.connection, "close");
});

test("HTTP/1.0: closes after the answer unless keep-alive is asked for", async () => {
  const closed = await exchange(server.port, ["GET /0/ten HTTP/1.0\r\n\r\n"], { timeoutMs: 3_000 });
  assert.equal(closed.ended, "end");
  assert.ok(closed.ms < 350, `closed after ${closed.ms.toFixed(0)} ms, before the idle timeout`);
  assert.equal(parseResponses(closed.text)[0]?.headers.connection, "close");
  const kept = await exchange(server.port, ["GET /0/ten HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"], { timeoutMs: 3_000 });
  assert.equal(parseResponses(kept.text)[0]?.headers.connection, "keep-alive");
  assert.ok(kept.ms >= 390, `kept open ${kept.ms.toFixed(0)} ms, until the idle timeout`);
});

test("an idle keep-alive connection is closed after the idle timeout", async () => {
  const r = await exchange(server.port, ["GET /0/idle HTTP/1.1\r\nHost: x\r\n\r\n"], { timeoutMs: 5_000 });
  assert.equal(parseResponses(r.text)[0]?.body, "idle");
  assert.equal(r.ended, "end");
  assert.ok(r.ms >= 395 && r.ms < 2_000, `closed after ${r.ms.toFixed(0)} ms (idle timeout 400 ms)`);
});
