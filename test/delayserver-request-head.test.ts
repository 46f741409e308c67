// The delay server's fast path for simple request heads (src/server/request-head.ts) against the
// general RequestParser: whenever the fast path accepts a head, the parser must return the same
// request (target, keep-alive, length); it may decline anything (the parser then decides).
import { test } from "node:test";
import assert from "node:assert/strict";
import { RequestParser } from "../src/http/parse-request.js";
import { SimpleHead } from "../src/server/request-head.js";

interface Outcome {
  target: string;
  keepAlive: boolean;
  end: number;
}

/** What RequestParser makes of `bytes` as the first request: the request (and where it ended) or null (error/incomplete/other). */
function general(bytes: Buffer): Outcome | null | "error" {
  const p = new RequestParser();
  p.push(bytes);
  try {
    const r = p.next();
    if (r === undefined) return null;
    if (r.method !== "GET" || r.body.length !== 0) return null;
    return { target: r.target, keepAlive: r.keepAlive, end: bytes.length - p.buffered };
  } catch {
    return "error";
  }
}

function fast(bytes: Buffer, start = 0): Outcome | null {
  const h = new SimpleHead();
  const end = h.parse(bytes.toString("latin1"), start);
  return end < 0 ? null : { target: h.target, keepAlive: h.keepAlive, end: end - start };
}

function check(text: string | Buffer, expectFast?: boolean): void {
  const bytes = typeof text === "string" ? Buffer.from(text, "latin1") : text;
  const f = fast(bytes);
  if (expectFast !== undefined)
    assert.equal(
      f !== null,
      expectFast,
      `fast path ${expectFast ? "should" : "should not"} take ${JSON.stringify(bytes.toString("latin1"))}`,
    );
  if (f !== null) assert.deepEqual(general(bytes), f, JSON.stringify(bytes.toString("latin1")));
}

test("accepts the common shapes, with the general parser's result", () => {
  check("GET /0/hi HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", true);
  check("GET /0/hi HTTP/1.1\r\nhost:[::1]:80 \r\n\r\n", true);
  check("GET /0/hi HTTP/1.1\r\nUser-Agent: x\r\nHost: h\r\n\r\n", true);
  check("GET /0/hi HTTP/1.1\r\nHost:\r\n\r\n", true);
  check("GET /0/hi HTTP/1.0\r\n\r\n", true);
  check("GET /0/hi HTTP/1.0\r\nHost: x\r\n\r\n", true);
  check("GET /0/hi HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", true);
  check("GET /0/hi HTTP/1.1\r\nHost: x\r\nconnection:CLOSE \r\n\r\n", true);
  check("GET /0/hi HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true);
  check("GET /0/hi HTTP/1.1\r\nHost: h\r\nUser-Agent: curl/8\r\nAccept: */*\r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n", true);
  check("GET /0/caf\xc3\xa9?q=1 HTTP/1.1\r\nHost: x\r\n\r\n", true);
  check("GET http://h:1/0/x HTTP/1.1\r\nHost: x\r\n\r\nGET /next", true);
  const ten = "GET /0/a HTTP/1.0\r\n\r\n";
  assert.deepEqual(fast(Buffer.from(ten)), { target: "/0/a", keepAlive: false, end: ten.length });
  const close = "GET /0/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  assert.deepEqual(fast(Buffer.from(close)), { target: "/0/a", keepAlive: false, end: close.length });
});

test("declines what it does not handle (the general parser decides)", () => {
  for (const text of [
    "GET /0/hi HTTP/1.1\r\nHost: x\r\n", // incomplete
    "\r\nGET /0/hi HTTP/1.1\r\n\r\n", // empty line first
    "POST /0/hi HTTP/1.1\r\n\r\n",
    "get /0/hi HTTP/1.1\r\n\r\n",
    "GET /0/hi HTTP/1.1\nHost: x\n\n", // bare LF
    "GET /0/hi HTTP/1.1\r\nHost: x\n\r\n\r\n",
    "GET /0/hi HTTP/2.0\r\n\r\n",
    "GET /0/hi HTTP/1.2\r\n\r\n",
    "GET /0/hi HTTP/1.1 \r\n\r\n",
    "GET  /0/hi HTTP/1.1\r\n\r\n",
    "GET /0/h i HTTP/1.1\r\n\r\n",
    "GET /0/h\x01i HTTP/1.1\r\n\r\n",
    "GET HTTP/1.1\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\nHost : x\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\n x: folded\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\nX: a\x7fb\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\nContent-Length: close\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\nTransfer-Encoding: keep-alive\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\nConnection: close, upgrade\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\nNoColon\r\n\r\n",
    // Host: missing in HTTP/1.1, repeated, or invalid (the parser answers 400)
    "GET /0/hi HTTP/1.1\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\nConnection: close\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\nHost: a\r\nX: 1\r\nhost: b\r\n\r\n",
    "GET /0/hi HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\nHost: a b\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\nX: 1\r\nHost: a/b\r\n\r\n",
    "GET /0/hi HTTP/1.0\r\nHost: @\r\n\r\n",
    // bare LFs that a CRLF-only front end would read differently (request smuggling)
    "GET /0/first HTTP/1.1\r\nHost: x\r\nX-Pad: a\n\nGET /0/hidden HTTP/1.1\nHost: x\n\r\n\r\n",
    "GET /0/first\nGET /0/decoy HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /0/hi HTTP/1.1\r\nHost: x\nX: y\r\n\r\n",
    `GET /0/x HTTP/1.1\r\nX: ${"a".repeat(16 * 1024)}\r\n\r\n`,
  ]) {
    check(text, false);
  }
});

test("the head limit is the general parser's, to the byte", () => {
  const base = "GET /0/x HTTP/1.1\r\nHost: h\r\nX: \r\n\r\n".length;
  const at = (n: number): string => `GET /0/x HTTP/1.1\r\nHost: h\r\nX: ${"a".repeat(n)}\r\n\r\n`;
  check(at(16 * 1024 - base), true);
  check(at(16 * 1024 - base + 1), false);
  assert.equal(general(Buffer.from(at(16 * 1024 - base + 1))), "error");
});

test("starts at the offset given and stops at the end of the head (pipelining)", () => {
  const two = "GET /0/a HTTP/1.1\r\nHost: h\r\n\r\nGET /0/b HTTP/1.1\r\nConnection: close\r\nHost: h\r\n\r\n";
  const h = new SimpleHead();
  const first = h.parse(two, 0);
  assert.equal(h.target, "/0/a");
  assert.equal(h.parse(two, first), two.length);
  assert.equal(h.target, "/0/b");
  assert.equal(h.keepAlive, false);
});

test("generated heads: wherever the fast path accepts, the general parser agrees", () => {
  // A small deterministic generator of near-valid heads: pieces that are fine, and mutations.
  let seed = 0x2545f491; // xorshift32: deterministic, and exact in 32-bit integer arithmetic
  const rand = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)]!;
  const methods = ["GET", "GET", "GET", "POST", "get", "G ET"];
  const targets = ["/0/hi", "/10/a/b", "/x?y", "/caf\xc3\xa9", "/a b", "/\x00", "*", "http://h/0/x", ""];
  const versions = ["HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/1.9", "HTTP/2.0", "HTTP/1.1 ", "http/1.1"];
  const names = [
    "Host",
    "Host",
    "host",
    "Connection",
    "connection",
    "CONNECTION",
    "Content-Length",
    "Transfer-Encoding",
    "X-A",
    "Bad Name",
    "",
    "X\x01",
  ];
  const values = ["x", "close", "keep-alive", "Close ", " keep-alive", "close, upgrade", "0", "chunked", "", "\t", "a\x7f", "\xe9"];
  const hosts = ["x", "127.0.0.1:8080", "[::1]:80", "", "localhost", "x ", "a b", "h:x", "a/b", "[::1"];
  const ends = ["\r\n", "\r\n", "\r\n", "\n", "\r"];
  let accepted = 0;
  for (let i = 0; i < 200_000; i++) {
    let text = `${pick(methods)} ${pick(targets)} ${pick(versions)}${pick(ends)}`;
    if (rand(5) !== 0) text += `${rand(8) === 0 ? "host" : "Host"}:${rand(2) === 0 ? " " : ""}${pick(hosts)}${pick(ends)}`;
    const fields = rand(4);
    for (let f = 0; f < fields; f++)
      text += `${pick(names)}${rand(8) === 0 ? " " : ""}:${rand(2) === 0 ? " " : ""}${pick(values)}${pick(ends)}`;
    text += pick(ends);
    if (rand(4) === 0) text += "GET /0/next HTTP/1.1\r\nHost: x\r\n\r\n";
    const bytes = Buffer.from(text, "latin1");
    const f = fast(bytes);
    if (f === null) continue;
    accepted++;
    assert.deepEqual(general(bytes), f, JSON.stringify(text));
  }
  assert.ok(accepted > 1_000, `only ${accepted} generated heads were simple: the generator is off`);
});
