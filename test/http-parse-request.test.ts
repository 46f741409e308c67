// The request parser as the delay server uses it: pipelined requests on one keep-alive connection,
// the keep-alive rules of HTTP/1.0 and 1.1, and the status each bad request must be answered with.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HttpParseError } from "../src/errors.js";
import { HttpRequestError, RequestParser, type HttpRequest, type RequestParserOptions } from "../src/http/parse-request.js";

/** Plain data, so deepEqual compares what was parsed. */
function summary(req: HttpRequest) {
  return {
    method: req.method,
    target: req.target,
    version: req.version,
    headers: [...req.headers.entries()],
    keepAlive: req.keepAlive,
    expectContinue: req.expectContinue,
    body: Buffer.from(req.body).toString("latin1"),
  };
}

/** Pushes `bytes` in the pieces given by `cuts`, taking out every request as soon as it is complete. */
function feed(bytes: Buffer, cuts: number[], options?: RequestParserOptions): HttpRequest[] {
  const parser = new RequestParser(options);
  const scratch = new Uint8Array(bytes.length);
  const bounds = [0, ...cuts, bytes.length];
  const requests: HttpRequest[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const piece = bytes.subarray(bounds[i], bounds[i + 1]);
    scratch.set(piece);
    parser.push(scratch.subarray(0, piece.length));
    scratch.fill(0x58); // the server reuses its read buffer
    for (let req = parser.next(); req !== undefined; req = parser.next()) requests.push(req);
  }
  assert.equal(parser.buffered, 0);
  return requests;
}

function byteCuts(n: number): number[] {
  return Array.from({ length: n - 1 }, (_, i) => i + 1);
}

function requestError(bytes: string, options?: RequestParserOptions): HttpRequestError {
  const parser = new RequestParser(options);
  parser.push(Buffer.from(bytes, "latin1"));
  try {
    while (parser.next() !== undefined);
  } catch (e) {
    assert.ok(e instanceof HttpRequestError, `expected an HttpRequestError, got ${String(e)}`);
    assert.ok(e instanceof HttpParseError);
    assert.equal(e.code, "EHTTPPARSE");
    return e;
  }
  assert.fail("no error");
}

const PIPELINE =
  "GET /100/hello%20world HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: t\r\n\r\n" +
  "POST /submit HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
  "PUT /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext\r\nabc\r\n0\r\nT: 1\r\n\r\n" +
  "GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

const PIPELINE_EXPECTED = [
  {
    method: "GET",
    target: "/100/hello%20world",
    version: "1.1",
    headers: [
      ["host", "127.0.0.1:8080"],
      ["user-agent", "t"],
    ],
    keepAlive: true,
    expectContinue: false,
    body: "",
  },
  {
    method: "POST",
    target: "/submit",
    version: "1.1",
    headers: [
      ["host", "x"],
      ["content-length", "5"],
    ],
    keepAlive: true,
    expectContinue: false,
    body: "hello",
  },
  {
    method: "PUT",
    target: "/chunked",
    version: "1.1",
    headers: [
      ["host", "x"],
      ["transfer-encoding", "chunked"],
    ],
    keepAlive: true,
    expectContinue: false,
    body: "abc",
  },
  {
    method: "GET",
    target: "/last",
    version: "1.1",
    headers: [
      ["host", "x"],
      ["connection", "close"],
    ],
    keepAlive: false,
    expectContinue: false,
    body: "",
  },
];

test("one GET request", () => {
  const parser = new RequestParser();
  parser.push(Buffer.from("GET /1000/HelloWorld HTTP/1.1\r\nHost: localhost\r\nACCEPT: */*\r\n\r\n"));
  const req = parser.next();
  assert.ok(req);
  assert.deepEqual(summary(req), {
    method: "GET",
    target: "/1000/HelloWorld",
    version: "1.1",
    headers: [
      ["host", "localhost"],
      ["accept", "*/*"],
    ],
    keepAlive: true,
    expectContinue: false,
    body: "",
  });
  assert.equal(req.headers.get("Accept"), "*/*");
  assert.equal(parser.next(), undefined);
  assert.equal(parser.buffered, 0);
});

test("pipelined requests in one chunk come out one by one, bodies included", () => {
  const requests = feed(Buffer.from(PIPELINE), []);
  assert.deepEqual(requests.map(summary), PIPELINE_EXPECTED);
});

test("pipelined requests split at every byte boundary and fed byte by byte", () => {
  const bytes = Buffer.from(PIPELINE);
  for (let cut = 1; cut < bytes.length; cut++) {
    assert.deepEqual(feed(bytes, [cut]).map(summary), PIPELINE_EXPECTED, `split at ${cut}`);
  }
  const everyByte = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(feed(bytes, everyByte).map(summary), PIPELINE_EXPECTED);
});

test("200 pipelined requests in pseudo-random pieces: every one, in order", () => {
  const parts: string[] = [];
  for (let i = 0; i < 200; i++) {
    const body = "b".repeat(i % 7);
    parts.push(
      i % 3 === 0
        ? `GET /${i}/m${i} HTTP/1.1\r\nHost: x\r\nX-Pad: ${"p".repeat(i)}\r\n\r\n`
        : `POST /${i} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
  }
  const bytes = Buffer.from(parts.join(""));
  let seed = 1;
  const cuts: number[] = [];
  for (let at = 0; ;) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    at += 1 + (seed % 400);
    if (at >= bytes.length) break;
    cuts.push(at);
  }
  const requests = feed(bytes, cuts);
  assert.equal(requests.length, 200);
  requests.forEach((req, i) => {
    assert.equal(req.target, i % 3 === 0 ? `/${i}/m${i}` : `/${i}`);
    assert.equal(Buffer.from(req.body).toString(), i % 3 === 0 ? "" : "b".repeat(i % 7));
  });
});

test("buffered counts a partly received request; next() waits for the rest", () => {
  const parser = new RequestParser();
  parser.push(Buffer.from("GET /0/a HTTP/1.1\r\nHost: x\r\n\r\nGET /0/b HTT"));
  assert.equal(parser.next()?.target, "/0/a");
  assert.equal(parser.next(), undefined);
  assert.equal(parser.buffered, 12);
  parser.push(Buffer.from("P/1.1\r\nHost: x\r\n\r\n"));
  assert.equal(parser.next()?.target, "/0/b");
  assert.equal(parser.buffered, 0);
  parser.push(Buffer.from("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab"));
  assert.equal(parser.next(), undefined);
  assert.equal(parser.buffered, 0, "body bytes are consumed as they arrive");
  parser.push(Buffer.from("cd"));
  assert.equal(Buffer.from(parser.next()?.body ?? []).toString(), "abcd");
});

test("empty lines before a request line are skipped", () => {
  const bytes = Buffer.from("\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  const requests = feed(bytes, byteCuts(bytes.length));
  assert.deepEqual(
    requests.map((r) => r.target),
    ["/a", "/b"],
  );
});

test("keep-alive: HTTP/1.1 on unless Connection: close, HTTP/1.0 off unless Connection: keep-alive", () => {
  const cases: [string, string | undefined, boolean][] = [
    ["1.1", undefined, true],
    ["1.1", "close", false],
    ["1.1", "Close", false],
    ["1.1", "keep-alive", true],
    ["1.1", "Upgrade, close", false],
    ["1.1", "Keep-Alive, Upgrade", true],
    ["1.0", undefined, false],
    ["1.0", "keep-alive", true],
    ["1.0", "Keep-Alive", true],
    ["1.0", "close", false],
    ["1.0", "keep-alive, close", false],
  ];
  for (const [version, connection, keepAlive] of cases) {
    const header = connection === undefined ? "" : `Connection: ${connection}\r\n`;
    const [req] = feed(Buffer.from(`GET / HTTP/${version}\r\nHost: x\r\n${header}\r\n`), []);
    assert.equal(req?.keepAlive, keepAlive, `HTTP/${version} Connection: ${connection}`);
    assert.equal(req?.version, version);
  }
});

test("malformed request lines: 400, naming the line", () => {
  for (const line of [
    "GET /",
    "GET  / HTTP/1.1",
    "GET / HTTP/1.1 extra",
    "G(T / HTTP/1.1",
    "GET / FOO/1.1",
    "GET / HTTP/1",
    "GET /a\x01b HTTP/1.1",
    "GET\t/ HTTP/1.1",
    " GET / HTTP/1.1",
  ]) {
    const e = requestError(`${line}\r\nHost: x\r\n\r\n`);
    assert.equal(e.status, 400, line);
    assert.equal(e.message, `malformed request line: ${JSON.stringify(line)}`);
  }
});

test("HTTP versions other than 1.x: 505; 1.x minor versions are 1.1", () => {
  const e = requestError("GET / HTTP/2.0\r\nHost: x\r\n\r\n");
  assert.equal(e.status, 505);
  assert.equal(e.message, 'HTTP version not supported: "HTTP/2.0"');
  assert.equal(feed(Buffer.from("GET / HTTP/1.2\r\nHost: x\r\n\r\n"), [])[0]?.version, "1.1");
});

test("headers over 16 KiB: 431; a request line over the limit: 414; exactly at the limit: accepted", () => {
  const big = requestError(`GET / HTTP/1.1\r\nX-Big: ${"a".repeat(17_000)}\r\n\r\n`);
  assert.equal(big.status, 431);
  assert.equal(big.message, "headers exceed 16384 bytes");
  const longLine = requestError(`GET /${"a".repeat(17_000)} HTTP/1.1\r\n\r\n`);
  assert.equal(longLine.status, 414);
  assert.equal(longLine.message, "request line exceeds 16384 bytes");
  const unterminated = requestError(`GET /${"a".repeat(17_000)}`);
  assert.deepEqual([unterminated.status, unterminated.message], [414, "request line exceeds 16384 bytes"]);
  const start = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ";
  const exact = `${start}${"a".repeat(16384 - start.length - 4)}\r\n\r\n`;
  assert.equal(exact.length, 16384);
  assert.equal(feed(Buffer.from(exact), [])[0]?.target, "/");
  assert.equal(requestError(`${start}${"a".repeat(16385 - start.length - 4)}\r\n\r\n`).status, 431);
  assert.equal(requestError("GET / HTTP/1.1\r\nX: 12345\r\n\r\n", { maxHeaderBytes: 20 }).message, "headers exceed 20 bytes");
});

test("oversized headers fed in small pieces fail as soon as the limit is passed", () => {
  const parser = new RequestParser({ maxHeaderBytes: 100 });
  parser.push(Buffer.from("GET / HTTP/1.1\r\n"));
  let pushed = 16;
  let error: unknown;
  while (error === undefined && pushed < 10_000) {
    parser.push(Buffer.from("X-A: b\r\n"));
    pushed += 8;
    try {
      parser.next();
    } catch (e) {
      error = e;
    }
  }
  assert.ok(error instanceof HttpRequestError);
  assert.equal(error.status, 431);
  assert.equal(pushed, 104, "the first push past 100 bytes fails");
});

test("bad framing: 400; a body over the limit: 413", () => {
  const both = requestError("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
  assert.deepEqual([both.status, both.message], [400, "both Transfer-Encoding and Content-Length"]);
  const gzip = requestError("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  assert.deepEqual([gzip.status, gzip.message], [501, 'unsupported Transfer-Encoding: "gzip, chunked"']);
  const chunkedGzip = requestError("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
  assert.deepEqual(
    [chunkedGzip.status, chunkedGzip.message],
    [400, 'invalid Transfer-Encoding (chunked must be the last coding, once): "chunked, gzip"'],
  );
  const length = requestError("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12a\r\n\r\n");
  assert.deepEqual([length.status, length.message], [400, 'invalid Content-Length: "12a"']);
  const chunk = requestError("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n");
  assert.deepEqual([chunk.status, chunk.message], [400, 'invalid chunk size: "xyz"']);
  const large = requestError(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 * 1024 + 1}\r\n\r\n`);
  assert.deepEqual([large.status, large.message], [413, "body exceeds 1048576 bytes (Content-Length: 1048577)"]);
  const chunked = requestError("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n", { maxBodyBytes: 4 });
  assert.deepEqual([chunked.status, chunked.message], [413, "body exceeds 4 bytes"]);
  const trailers = requestError(`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: ${"a".repeat(100)}\r\n\r\n`, {
    maxHeaderBytes: 80,
  });
  assert.deepEqual([trailers.status, trailers.message], [431, "trailers exceed 80 bytes"]);
});

test("a server rejects obs-fold and malformed header lines: 400", () => {
  const fold = requestError("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n");
  assert.deepEqual([fold.status, fold.message], [400, 'malformed header line: " b"']);
  const space = requestError("GET / HTTP/1.1\r\nHost : x\r\n\r\n");
  assert.deepEqual([space.status, space.message], [400, 'malformed header line: "Host : x"']);
});

test("after an error the parser keeps throwing the same error", () => {
  const parser = new RequestParser();
  parser.push(Buffer.from("BAD\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  let first: unknown;
  try {
    parser.next();
  } catch (e) {
    first = e;
  }
  assert.ok(first instanceof HttpRequestError);
  assert.throws(
    () => parser.next(),
    (e) => e === first,
  );
});
