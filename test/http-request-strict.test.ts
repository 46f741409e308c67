// The request parser's strictness (issue 12): line ends, chunk-size lines, Host, HTTP/1.0 framing,
// numbers judged by value, Expect: 100-continue, memory bounded whatever the chunking, and the
// buffer-view contract of PendingBytes. Each case is one that the parser used to get wrong.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PendingBytes } from "../src/http/parse-buffer.js";
import * as parseRequest from "../src/http/parse-request.js";
import { HttpRequestError, RequestParser, type HttpRequest } from "../src/http/parse-request.js";
import { runModule } from "./util/run-child.js";

/** Every request in `text` (fed whole), or the error that stopped the parser. */
function parseAll(text: string, pieces = 1): { requests: HttpRequest[]; error?: HttpRequestError } {
  const parser = new RequestParser();
  const bytes = Buffer.from(text, "latin1");
  const requests: HttpRequest[] = [];
  const step = Math.ceil(bytes.length / pieces);
  try {
    for (let at = 0; at < bytes.length; at += step) {
      parser.push(bytes.subarray(at, at + step));
      for (let r = parser.next(); r !== undefined; r = parser.next()) requests.push(r);
    }
  } catch (e) {
    assert.ok(e instanceof HttpRequestError, String(e));
    return { requests, error: e };
  }
  return { requests };
}

/**
 * The status and message `text` is refused with, fed whole; fed byte by byte it must be refused
 * with the same status (the message may differ: a bad line can be noticed before it is complete).
 */
function refusal(text: string): [number, string] {
  const whole = parseAll(text);
  const bytes = parseAll(text, text.length);
  assert.ok(whole.error !== undefined, `accepted: ${JSON.stringify(text)}`);
  assert.ok(bytes.error !== undefined, `accepted byte by byte: ${JSON.stringify(text)}`);
  assert.equal(bytes.error.status, whole.error.status);
  return [whole.error.status, whole.error.message];
}

test("request smuggling shape: a bare LF does not end a line, so no hidden request is parsed", () => {
  // A front end that splits lines at CRLF only sees two requests here: /0/first (with one odd
  // header line) and /0/decoy. Taking the bare LFs as line ends finds a hidden third, /0/hidden.
  const text =
    "GET /0/first HTTP/1.1\r\nHost: x\r\nX-Pad: a\n\nGET /0/hidden HTTP/1.1\nHost: x\n\r\n\r\n" +
    "GET /0/decoy HTTP/1.1\r\nHost: x\r\n\r\n";
  const { requests, error } = parseAll(text);
  assert.deepEqual(
    requests.map((r) => r.target),
    [],
  );
  assert.deepEqual([error?.status, error?.message], [400, "bare LF in the request head (lines must end with CRLF)"]);
});

test("bare LF or bare CR anywhere in a request is a 400", () => {
  const cases: [string, string][] = [
    ["GET / HTTP/1.1\nHost: x\r\n\r\n", "bare LF in the request head (lines must end with CRLF)"],
    ["GET / HTTP/1.1\r\nHost: x\n\r\n", "bare LF in the request head (lines must end with CRLF)"],
    ["GET / HTTP/1.1\r\nHost: x\r\n\n", "bare LF in the request head (lines must end with CRLF)"],
    ["GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n", 'invalid character in header value: "x\\rY: z"'],
    ["GET / HTTP/1.1\r\r\nHost: x\r\n\r\n", 'malformed request line: "GET / HTTP/1.1\\r"'],
    ["\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", "bare CR or LF before the request line (lines must end with CRLF)"],
    ["\r\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", "bare CR or LF before the request line (lines must end with CRLF)"],
    ["POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", 'bare LF after chunk size "3"'],
    ["POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n", "missing CRLF after chunk data"],
    ["POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r0\r\n\r\n", "missing CRLF after chunk data"],
    [
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\n\r\n",
      "bare LF in the trailer section (lines must end with CRLF)",
    ],
  ];
  for (const [text, message] of cases) assert.deepEqual(refusal(text), [400, message], JSON.stringify(text));
});

test("a head that cannot become valid is refused before it is complete", () => {
  const early = (text: string): [number, string] | undefined => {
    const parser = new RequestParser();
    parser.push(Buffer.from(text, "latin1"));
    try {
      assert.equal(parser.next(), undefined, "incomplete");
    } catch (e) {
      assert.ok(e instanceof HttpRequestError, String(e));
      return [e.status, e.message];
    }
    return undefined;
  };
  // A peer that does not speak HTTP: its first line is refused as soon as it ends.
  assert.deepEqual(early("SSH-2.0-OpenSSH_9.6\r\n"), [400, 'malformed request line: "SSH-2.0-OpenSSH_9.6"']);
  assert.deepEqual(early("GET / HTTP/2.0\r\nHost: x\r\n"), [505, 'HTTP version not supported: "HTTP/2.0"']);
  assert.deepEqual(early("GET / HTTP/1.1\r\nBad Name: x\r\n"), [400, 'malformed header line: "Bad Name: x"']);
  // A bare CR where a line should end, and obs-fold, in the line still arriving.
  assert.deepEqual(early("GET / HTTP/1.1\r\nHost: a\r\n\rZGET /evil"), [400, "bare CR in the request head (lines must end with CRLF)"]);
  assert.deepEqual(early("GET / HTTP/1.1\r\nHost: a\rX"), [400, "bare CR in the request head (lines must end with CRLF)"]);
  assert.deepEqual(early("GET / HTTP/1.1\r\n Host: a"), [400, "obs-fold (a line starting with whitespace) in the request head"]);
  // What may still become valid waits.
  assert.equal(early("GET / HTTP/1.1\r\nHost: a\r"), undefined);
  assert.equal(early("GET / HTTP/1.1\r\nHost: a\r\nX-Long: aaaa"), undefined);
});

test("empty lines (CRLF) before a request line are still skipped, fed whole or byte by byte", () => {
  const text = "\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  for (const pieces of [1, text.length]) {
    assert.deepEqual(
      parseAll(text, pieces).requests.map((r) => r.target),
      ["/a", "/b"],
    );
  }
  assert.deepEqual(refusal(`${"\r\n".repeat(9000)}GET / HTTP/1.1\r\nHost: x\r\n\r\n`), [
    400,
    "more than 16384 bytes of empty lines before the request line",
  ]);
});

test("chunk-size lines: hex digits, extensions of tokens and quoted strings, nothing else", () => {
  const head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const line of ["3", "003", "3;a", "3;a=b", '3;a="b; c"', '3;a="q\\"uote"', "3 ;a", "3;a=b;c=d;e", "3; a = b"]) {
    const { requests, error } = parseAll(`${head}${line}\r\nabc\r\n0\r\n\r\n`);
    assert.equal(error, undefined, `${line}: ${String(error)}`);
    assert.equal(Buffer.from(requests[0]!.body).toString(), "abc", line);
  }
  for (const line of ["3 ", "3\t", "3;", "3;a=", "3;a ", '3;a="b', "3;a=b c", "3;a=\x01", "3;=b", "+3", "3 3", "0x3", "3;a=b;"]) {
    assert.deepEqual(refusal(`${head}${line}\r\nabc\r\n0\r\n\r\n`), [400, `invalid chunk size: ${JSON.stringify(line)}`], line);
  }
  // No overflow: a size is judged by its value, however many leading zeros it has.
  assert.equal(parseAll(`${head}${"0".repeat(40)}3\r\nabc\r\n0\r\n\r\n`).requests.length, 1);
  assert.deepEqual(refusal(`${head}1${"0".repeat(16)}\r\n`), [413, "body exceeds 1048576 bytes"]);
  assert.deepEqual(refusal(`${head}fffffffffffffffffffffffff\r\n`), [413, "body exceeds 1048576 bytes"]);
});

test("Host: required in HTTP/1.1, at most one, a valid host[:port]; optional in HTTP/1.0", () => {
  const accepted = ["x", "127.0.0.1:8080", "[::1]:80", "example.com", "a.b-c_d~e", "%41", "", "h:", "[v1.x]"];
  for (const host of accepted) {
    assert.equal(parseAll(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`).requests.length, 1, host);
    assert.ok(parseRequest.isValidHost(host), host);
  }
  for (const host of ["a b", "a/b", "a@b", "x:80:90", "[::1", "::1", "a\x80", "x:8o", "[::1]x", '"x"']) {
    assert.deepEqual(refusal(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`), [400, `invalid Host: ${JSON.stringify(host)}`], host);
    assert.ok(!parseRequest.isValidHost(host), host);
  }
  assert.deepEqual(refusal("GET / HTTP/1.1\r\n\r\n"), [400, "missing Host field (required in HTTP/1.1)"]);
  assert.deepEqual(refusal("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), [400, "more than one Host field (2)"]);
  assert.deepEqual(refusal("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), [400, "more than one Host field (2)"]);
  assert.equal(parseAll("GET / HTTP/1.0\r\n\r\n").requests.length, 1);
  assert.deepEqual(refusal("GET / HTTP/1.0\r\nHost: a b\r\n\r\n"), [400, 'invalid Host: "a b"']);
});

test("HTTP/1.0 with Transfer-Encoding is a 400 (faulty framing, RFC 9112 §6.1)", () => {
  assert.deepEqual(refusal("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), [
    400,
    "Transfer-Encoding in an HTTP/1.0 request",
  ]);
  assert.deepEqual(refusal("POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc"), [
    400,
    "Transfer-Encoding in an HTTP/1.0 request",
  ]);
});

test("Content-Length is judged by its value: leading zeros are fine, a huge value is too large", () => {
  for (const value of ["3", "00003", "0000000000000003", `${"0".repeat(100)}3`, "3, 003"]) {
    const { requests, error } = parseAll(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${value}\r\n\r\nabc`);
    assert.equal(error, undefined, `${value}: ${String(error)}`);
    assert.equal(Buffer.from(requests[0]!.body).toString(), "abc", value);
  }
  assert.deepEqual(refusal("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n"), [
    413,
    "body exceeds 1048576 bytes (Content-Length: more than 15 digits)",
  ]);
  assert.deepEqual(refusal("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\n"), [400, 'invalid Content-Length: "3, 4"']);
});

test("Expect: 100-continue: the head is handed out once, before the body; HTTP/1.0 ignores it", () => {
  const parser = new RequestParser();
  parser.push(Buffer.from("PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n"));
  assert.equal(parser.next(), undefined);
  const head = parser.takeContinue();
  assert.deepEqual([head?.method, head?.target, head?.expectContinue], ["PUT", "/up", true]);
  assert.equal(parser.takeContinue(), undefined, "once");
  parser.push(Buffer.from("abc"));
  const request = parser.next();
  assert.equal(request?.expectContinue, true);
  assert.equal(Buffer.from(request.body).toString(), "abc");
  // A body sent at once (the client did not wait): nothing to continue.
  parser.push(Buffer.from("PUT /b HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nz"));
  assert.equal(parser.next()?.target, "/b");
  assert.equal(parser.takeContinue(), undefined);
  const old = parseAll("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n").requests[0];
  assert.equal(old?.expectContinue, false);
  const none = parseAll("GET / HTTP/1.1\r\nHost: x\r\n\r\n").requests[0];
  assert.equal(none?.expectContinue, false);
});

test("the parser honours the view contract: it works when consume() moves the bytes", () => {
  // parse-buffer.ts says a view is invalid after consume(); make consume move the bytes (what a
  // compacting store may do) and check that no request comes out corrupted.
  const original = Object.getOwnPropertyDescriptor(PendingBytes.prototype, "consume")!;
  type Inner = { store: Buffer; start: number; end: number };
  PendingBytes.prototype.consume = function (this: PendingBytes, n: number): void {
    (original.value as (n: number) => void).call(this, n);
    const self = this as unknown as Inner;
    const live = self.end - self.start;
    self.store.copyWithin(0, self.start, self.end);
    self.store.fill(0x58, live);
    self.start = 0;
    self.end = live;
  };
  try {
    const text =
      "\r\nGET /0/a HTTP/1.1\r\nHost: x\r\n\r\n" +
      "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
      "PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;e=1\r\nabc\r\n0\r\nT: 1\r\n\r\n" +
      "GET /d HTTP/1.1\r\nHost: x\r\n\r\n";
    for (const pieces of [1, 7, text.length]) {
      const { requests, error } = parseAll(text, pieces);
      assert.equal(error, undefined, String(error));
      assert.deepEqual(
        requests.map((r) => [r.target, Buffer.from(r.body).toString()]),
        [
          ["/0/a", ""],
          ["/b", "hello"],
          ["/c", "abc"],
          ["/d", ""],
        ],
        `${pieces} pieces`,
      );
    }
  } finally {
    Object.defineProperty(PendingBytes.prototype, "consume", original);
  }
});

test("memory: 1-byte chunks cost about what the body costs, not an object per chunk", async () => {
  // Ten connections each receiving a 1 MiB body (the default limit) in 1-byte chunks, in a
  // process with 64 MiB of heap. An object per chunk (~120 bytes each) needs 1.2 GB.
  const r = await runModule(
    `
    import { RequestParser } from "./dist/src/http/parse-request.js";
    const piece = Buffer.from("1\\r\\nx\\r\\n".repeat(4096));
    const parsers = [];
    for (let c = 0; c < 10; c++) {
      const p = new RequestParser();
      p.push(Buffer.from("POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n"));
      parsers.push(p);
    }
    for (let sent = 0; sent < 1024 * 1024 - 4096; sent += 4096) for (const p of parsers) { p.push(piece); p.next(); }
    let bodies = 0;
    for (const p of parsers) { p.push(Buffer.from("0\\r\\n\\r\\n")); bodies += p.next().body.length; }
    console.log(bodies, Math.round(process.memoryUsage().heapUsed / 2 ** 20));
    `,
    { timeoutMs: 120_000, env: { NODE_OPTIONS: "--max-old-space-size=64" } },
  );
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const [bodies, heapMiB] = r.stdout.trim().split(" ").map(Number);
  assert.equal(bodies, 10 * (1024 * 1024 - 4096));
  assert.ok(heapMiB! < 64, `heap ${heapMiB} MiB`);
});
