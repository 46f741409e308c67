// Bad input gets DESIGN's statuses: 400 (bad delay, bad escape, malformed request line), 404 with
// the usage line, 405 (with Allow: GET, HEAD), 431; the connection stays usable after a routing error and is closed
// (lingering) after a request the parser refused.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { exchange, get, parseResponses, startDelayServer, type DelayServerProcess } from "./util/delay-server.js";

let server: DelayServerProcess;

before(async () => {
  server = await startDelayServer({ headerTimeoutMs: 1_500 });
});

after(async () => {
  const r = await server.stop();
  assert.equal(r.code, 0, `exit ${r.code} ${r.signal}\n${server.stderr()}`);
});

const request = (target: string, extra = ""): string => `GET ${target} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

test("400 for a delay that is not a whole number in 0..3600000", async () => {
  for (const delay of ["abc", "-1", "1.5", "3600001", "0x10", "1e3", "%31", "99999999999999999999", ""]) {
    const r = await get(`${server.url}/${delay}/x`);
    assert.equal(r.status, 400, `/${delay}/x`);
    assert.match(r.body, /whole number of milliseconds from 0 to 3600000/, `/${delay}/x`);
  }
});

test("3600000 (one hour) is accepted: its log line appears, the request is pending", async (t) => {
  // The shared server is quiet; a logging one shows that the request was accepted.
  const logging = await startDelayServer({ quiet: false });
  t.after(() => logging.stop("SIGKILL"));
  const r = exchange(logging.port, [request("/3600000/an-hour")], { timeoutMs: 300 });
  await logging.waitForOutput(/^#1 - 3600000ms: an-hour$/m);
  assert.equal((await r).ended, "timeout", "no answer for an hour");
  assert.equal((await logging.stop()).code, 0);
});

test("400 for a broken percent-escape or bytes that are not UTF-8", async () => {
  for (const path of ["/0/100%", "/0/%zz", "/0/%C3", "/0/%FF%FE"]) {
    const r = await get(server.url + path);
    assert.equal(r.status, 400, path);
    assert.match(r.body, /^400 Bad Request: /, path);
  }
});

test("404 with the usage line for a path with fewer than two segments", async () => {
  for (const path of ["/", "/100", "/100/", "/100?x=/y"]) {
    const r = await get(server.url + path);
    assert.equal(r.status, 404, path);
    assert.equal(r.body, "usage: GET /{delay_ms}/{message} (delay_ms: 0..3600000; the message is URL-encoded)\n", path);
  }
});

test("405 with Allow: GET, HEAD for another method; the connection stays usable", async () => {
  const r = await exchange(server.port, [
    "POST /0/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    "OPTIONS /0/x HTTP/1.1\r\nHost: x\r\n\r\n",
    "DELETE /0/x HTTP/1.1\r\nHost: x\r\n\r\n",
    request("/0/after", "Connection: close\r\n"),
  ]);
  assert.equal(r.ended, "end");
  const responses = parseResponses(r.text);
  assert.deepEqual(
    responses.map((x) => [x.status, x.headers.allow, x.headers.connection]),
    [
      [405, "GET, HEAD", "keep-alive"],
      [405, "GET, HEAD", "keep-alive"],
      [405, "GET, HEAD", "keep-alive"],
      [200, undefined, "close"],
    ],
  );
  assert.equal(responses[3]!.body, "after");
});

test("400 and 404 keep the connection open: the next request on it is answered", async () => {
  const r = await exchange(server.port, [
    request("/nope/x"),
    request("/5"),
    request("/0/%zz"),
    request("/0/still-here", "Connection: close\r\n"),
  ]);
  assert.deepEqual(
    parseResponses(r.text).map((x) => x.status),
    [400, 404, 400, 200],
  );
  assert.equal(r.ended, "end");
});

test("a malformed request line gets 400 and the connection is closed", async () => {
  for (const line of ["GARBAGE", "GET /0/x", "GET /0/x HTTP/1.1 extra", "GET  /0/x HTTP/1.1", "G@T /0/x HTTP/1.1"]) {
    const r = await exchange(server.port, [`${line}\r\nHost: x\r\n\r\n`], { timeoutMs: 3_000 });
    assert.equal(r.ended, "end", `${line}: the server closed`);
    assert.ok(r.ms < 1_400, `${line}: closed after ${r.ms.toFixed(0)} ms, not by the header timeout (1,500 ms)`);
    const [response, ...more] = parseResponses(r.text);
    assert.equal(response?.status, 400, line);
    assert.equal(response?.headers.connection, "close", line);
    assert.match(response.body, /malformed request line/, line);
    assert.equal(more.length, 0);
  }
});

test("an HTTP version other than 1.x gets 505 and close", async () => {
  const r = await exchange(server.port, ["GET /0/x HTTP/2.0\r\nHost: x\r\n\r\n"], { timeoutMs: 3_000 });
  assert.equal(parseResponses(r.text)[0]?.status, 505);
  assert.equal(r.ended, "end");
});

test("headers over 16 KiB get 431 and close; 16 KiB less a little is fine", async () => {
  const fits = await exchange(server.port, [request("/0/fits", `X-Filler: ${"a".repeat(16 * 1024 - 200)}\r\nConnection: close\r\n`)]);
  assert.equal(parseResponses(fits.text)[0]?.status, 200);
  const r = await exchange(server.port, [request("/0/x", `X-Filler: ${"a".repeat(20_000)}\r\n`)], { timeoutMs: 3_000 });
  const [response] = parseResponses(r.text);
  assert.equal(response?.status, 431);
  assert.equal(response?.headers.connection, "close");
  assert.equal(r.ended, "end");
});

test("after a 431 the close lingers: more bytes from the client are read and dropped, not answered with a reset", async () => {
  const outcome = await new Promise<{ text: string; error: string | null; ended: boolean }>((resolve) => {
    const socket = net.connect({ port: server.port, host: "127.0.0.1", allowHalfOpen: true });
    let text = "";
    let error: string | null = null;
    let ended = false;
    socket.on("data", (d) => (text += d.toString("latin1")));
    socket.on("error", (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on("end", () => {
      ended = true;
      // The server has answered and shut its side down. Keep sending: a server that had closed
      // its socket would answer these bytes with a reset.
      void (async () => {
        for (let i = 0; i < 5 && error === null; i++) {
          socket.write("X-More: " + "b".repeat(1_000) + "\r\n");
          await new Promise((r) => setTimeout(r, 40));
        }
        socket.destroy();
        resolve({ text, error, ended });
      })();
    });
    socket.write(request("/0/x", `X-Filler: ${"a".repeat(17_000)}\r\n`).slice(0, -2)); // head not finished
  });
  assert.equal(outcome.ended, true);
  assert.equal(parseResponses(outcome.text)[0]?.status, 431);
  assert.equal(outcome.error, null, "no reset while the server lingers");
});

test("a request body over 64 KiB gets 413 and close", async () => {
  const big = await exchange(server.port, ["POST /0/x HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n"], { timeoutMs: 3_000 });
  assert.equal(parseResponses(big.text)[0]?.status, 413);
  assert.equal(big.ended, "end");
});
