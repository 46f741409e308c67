// The response parser against real byte sequences: every split of every sample, the three body
// framings, and each way a response can be wrong (the error message checked).
import { test } from "node:test";
import assert from "node:assert/strict";
import { HttpParseError } from "../src/errors.js";
import { parseResponse, ResponseParser, type HttpResponse, type ResponseParserOptions } from "../src/http/parse-response.js";

const CONTENT_LENGTH = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nX-Rep: 1\r\nx-rep: 2\r\n\r\nhello world";
const CHUNKED =
  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n" +
  '5;name=value\r\nhello\r\n1 ; a="b c"\r\n \r\nA\r\n0123456789\r\n0;last\r\nX-Sum: 42\r\nX-Other: y\r\n\r\n';
const CLOSE_DELIMITED = "HTTP/1.0 200 OK\r\nServer: test\r\n\r\nuntil the end\r\n\r\nof the stream";
const INTERIM =
  "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";

/** Plain data, so deepEqual compares what was parsed. */
function summary(res: HttpResponse) {
  return {
    status: res.status,
    statusText: res.statusText,
    headers: [...res.headers.entries()],
    trailers: [...res.trailers.entries()],
    body: Buffer.from(res.body).toString("latin1"),
  };
}

/**
 * Feeds `bytes` in the given pieces through one scratch buffer that is scribbled over after each
 * push (as a client reusing its read buffer does), then `end()` if the response was not complete.
 * Returns the response and the index of the piece that completed it (-1: completed at `end()`).
 */
function feed(bytes: Buffer, cuts: number[], options?: ResponseParserOptions): { res: HttpResponse; completedAt: number } {
  const parser = new ResponseParser(options);
  const scratch = new Uint8Array(bytes.length);
  const bounds = [0, ...cuts, bytes.length];
  let completed: HttpResponse | undefined;
  let completedAt = -1;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const piece = bytes.subarray(bounds[i], bounds[i + 1]);
    scratch.set(piece);
    const res = parser.push(scratch.subarray(0, piece.length));
    scratch.fill(0x58);
    if (res !== undefined && completed === undefined) {
      completed = res;
      completedAt = i;
    }
  }
  return { res: completed ?? parser.end(), completedAt };
}

function byteCuts(n: number): number[] {
  return Array.from({ length: n - 1 }, (_, i) => i + 1);
}

function parseError(bytes: string | Buffer, options?: ResponseParserOptions): HttpParseError {
  const parser = new ResponseParser(options);
  try {
    parser.push(Buffer.from(bytes));
    parser.end();
  } catch (e) {
    assert.ok(e instanceof HttpParseError, `expected an HttpParseError, got ${String(e)}`);
    assert.equal(e.code, "EHTTPPARSE");
    return e;
  }
  assert.fail("no error");
}

test("Content-Length response: status, case-insensitive headers, repeated headers joined, body", () => {
  const res = parseResponse(Buffer.from(CONTENT_LENGTH));
  assert.equal(res.status, 200);
  assert.equal(res.statusText, "OK");
  assert.equal(res.headers.get("CONTENT-TYPE"), "text/plain");
  assert.equal(res.headers.get("x-rep"), "1, 2");
  assert.equal(res.headers.get("missing"), undefined);
  assert.deepEqual(
    [...res.headers.entries()],
    [
      ["content-type", "text/plain"],
      ["content-length", "11"],
      ["x-rep", "1, 2"],
    ],
  );
  assert.equal(res.text(), "hello world");
  assert.deepEqual([...res.trailers.entries()], []);
});

test("chunked response with extensions and trailers", () => {
  const res = parseResponse(Buffer.from(CHUNKED));
  assert.equal(res.text(), "hello 0123456789");
  assert.equal(res.headers.get("transfer-encoding"), "chunked");
  assert.deepEqual(
    [...res.trailers.entries()],
    [
      ["x-sum", "42"],
      ["x-other", "y"],
    ],
  );
});

test("close-delimited response completes only at end()", () => {
  const parser = new ResponseParser();
  assert.equal(parser.push(Buffer.from(CLOSE_DELIMITED)), undefined);
  const res = parser.end();
  assert.equal(res.text(), "until the end\r\n\r\nof the stream");
  assert.equal(res.headers.get("server"), "test");
});

test("interim 1xx responses are skipped; 101 is final", () => {
  const res = parseResponse(Buffer.from(INTERIM));
  assert.equal(res.status, 201);
  assert.equal(res.headers.get("link"), undefined);
  assert.equal(res.text(), "ok");
  const upgrade = new ResponseParser().push(Buffer.from("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\nraw"));
  assert.equal(upgrade?.status, 101);
  assert.equal(upgrade?.body.length, 0);
});

for (const [name, text, completesEarly] of [
  ["Content-Length", CONTENT_LENGTH, true],
  ["chunked", CHUNKED, true],
  ["close-delimited", CLOSE_DELIMITED, false],
  ["interim + Content-Length", INTERIM, true],
] as const) {
  test(`${name}: split at every byte boundary and fed byte by byte, the same response`, () => {
    const bytes = Buffer.from(text, "latin1");
    const expected = summary(parseResponse(bytes));
    for (let cut = 1; cut < bytes.length; cut++) {
      const { res, completedAt } = feed(bytes, [cut]);
      assert.deepEqual(summary(res), expected, `split at ${cut}`);
      assert.equal(completedAt, completesEarly ? 1 : -1, `split at ${cut}`);
    }
    const { res, completedAt } = feed(bytes, byteCuts(bytes.length));
    assert.deepEqual(summary(res), expected);
    assert.equal(completedAt, completesEarly ? bytes.length - 1 : -1, "complete at the last byte, not before");
  });
}

test("the complete response is returned before EOF; later bytes are ignored", () => {
  const parser = new ResponseParser();
  const res = parser.push(Buffer.from(`${CONTENT_LENGTH}HTTP/1.1 500 Oops\r\n\r\n`));
  assert.equal(res?.text(), "hello world");
  assert.equal(parser.push(Buffer.from("more")), res);
  assert.equal(parser.end(), res);
});

test("a plain Uint8Array (not a Buffer) is accepted", () => {
  const res = new ResponseParser().push(new Uint8Array(Buffer.from(CONTENT_LENGTH)));
  assert.equal(res?.text(), "hello world");
});

test("HEAD, 204 and 304 responses have no body whatever their headers say", () => {
  const head = new ResponseParser({ method: "head" }).push(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"));
  assert.equal(head?.body.length, 0);
  assert.equal(head?.headers.get("content-length"), "100");
  for (const status of [204, 304]) {
    const res = new ResponseParser().push(Buffer.from(`HTTP/1.1 ${status} X\r\nTransfer-Encoding: chunked\r\n\r\n`));
    assert.equal(res?.status, status);
    assert.equal(res?.body.length, 0);
  }
});

test("framing: Transfer-Encoding beats Content-Length; a non-chunked coding reads until close", () => {
  const both = parseResponse(
    Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
  );
  assert.equal(both.text(), "abc");
  const gzip = new ResponseParser();
  assert.equal(gzip.push(Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n")), undefined);
  assert.equal(gzip.end().text(), "0\r\n\r\n");
  const repeated = parseResponse(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi"));
  assert.equal(repeated.text(), "hi");
});

test("lenient where RFC 9112 allows: bare LF line ends, obs-fold unfolded, empty reason", () => {
  const res = parseResponse(Buffer.from("HTTP/1.1 200\nX-Long: a\r\n  b\r\n\tc\nContent-Length: 2\n\nhi"));
  assert.equal(res.statusText, "");
  assert.equal(res.headers.get("x-long"), "a b c");
  assert.equal(res.text(), "hi");
  const chunked = parseResponse(Buffer.from("HTTP/1.1 200 \r\nTransfer-Encoding: chunked\r\n\r\n2\nhi\n0\n\n"));
  assert.equal(chunked.text(), "hi");
});

test("a head ends at its first empty line, whichever line ends came first, in one read or many", () => {
  const cases: [string, string][] = [
    ["HTTP/1.1 200 OK\nContent-Length: 4\n\n\r\n\r\n", "\r\n\r\n"],
    ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n\n\n", "\n\n"],
    ["HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\nab", "ab"],
    ["HTTP/1.1 200 OK\r\nContent-Length: 3\n\r\n\n\nx", "\n\nx"],
  ];
  for (const [response, body] of cases) {
    const bytes = Buffer.from(response);
    for (const cuts of [[], byteCuts(bytes.length)]) {
      assert.equal(feed(bytes, cuts).res.text(), body, JSON.stringify({ response, pieces: cuts.length + 1 }));
    }
  }
  // A read larger than the decoded-head path takes: the scanner finds the same end.
  const large = Buffer.from(`HTTP/1.1 200 OK\nContent-Length: 5000\n\n${"y".repeat(5000)}`);
  assert.equal(feed(large, []).res.body.length, 5000);
  // A head over the limit in one small read is refused as it is in pieces.
  const oversized = `HTTP/1.1 200 OK\r\nX: ${"z".repeat(100)}\r\n\r\n`;
  assert.equal(parseError(oversized, { maxHeaderBytes: 64 }).message, "headers exceed 64 bytes");
});

test("truncation: EOF inside the headers", () => {
  assert.equal(parseError("").message, "connection closed before headers were complete");
  assert.equal(parseError("HTTP/1.1 200 OK\r\nContent-Le").message, "connection closed before headers were complete");
  assert.equal(parseError("HTTP/1.1 100 Continue\r\n\r\n").message, "connection closed before headers were complete");
});

test("truncation: EOF inside a Content-Length or chunked body", () => {
  const fixed = parseError(`HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n${"x".repeat(10)}`);
  assert.equal(fixed.message, "connection closed after 10 of 100 body bytes");
  const chunked = parseError("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10\r\nabc");
  assert.equal(chunked.message, "connection closed before the chunked body was complete (8 body bytes received)");
  const noLastChunk = parseError("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
  assert.equal(noLastChunk.message, "connection closed before the chunked body was complete (5 body bytes received)");
  const inTrailers = parseError("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n");
  assert.equal(inTrailers.message, "connection closed before the chunked body was complete (0 body bytes received)");
});

test("oversized headers: the default 16 KiB limit, exactly at the limit, a custom limit", () => {
  const big = `HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(17_000)}\r\nContent-Length: 0\r\n\r\n`;
  assert.equal(parseError(big).message, "headers exceed 16384 bytes");
  const start = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: ";
  const exact = `${start}${"a".repeat(16384 - start.length - 4)}\r\n\r\n`;
  assert.equal(exact.length, 16384);
  assert.equal(new ResponseParser().push(Buffer.from(exact))?.status, 200);
  const over = `${start}${"a".repeat(16385 - start.length - 4)}\r\n\r\n`;
  assert.equal(parseError(over).message, "headers exceed 16384 bytes");
  assert.equal(parseError(CONTENT_LENGTH, { maxHeaderBytes: 40 }).message, "headers exceed 40 bytes");
});

test("oversized headers fed byte by byte fail as soon as the limit is passed, not at EOF", () => {
  const parser = new ResponseParser({ maxHeaderBytes: 64 });
  const bytes = Buffer.from(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(200)}`);
  let failedAt = -1;
  for (let i = 0; i < bytes.length && failedAt < 0; i++) {
    try {
      parser.push(bytes.subarray(i, i + 1));
    } catch (e) {
      assert.equal((e as Error).message, "headers exceed 64 bytes");
      failedAt = i;
    }
  }
  assert.equal(failedAt, 64, "fails on byte 65");
});

test("malformed status lines are named in the error", () => {
  for (const line of [
    "HTTP/1.1 20 OK",
    "HTTP/2 200 OK",
    "HTTP/1.1 200OK",
    "ICY 200 OK",
    "HTTP/1.1 099 Low",
    "http/1.1 200 OK",
    "HTTP/1.1 200 OK\x01",
  ]) {
    const e = parseError(`${line}\r\nContent-Length: 0\r\n\r\n`);
    assert.equal(e.message, `malformed status line: ${JSON.stringify(line)}`);
  }
  assert.equal(parseError("\r\n\nHTTP/1.1 2000\r\n\r\n").message, 'malformed status line: "HTTP/1.1 2000"');
  const long = parseError(`HTTP/1.1 ${"9".repeat(200)}\r\n\r\n`).message;
  assert.ok(long.startsWith('malformed status line: "HTTP/1.1 999') && long.endsWith('..."') && long.length < 120, long);
});

test("malformed header lines and values", () => {
  assert.equal(parseError("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n").message, 'malformed header line: "NoColon"');
  assert.equal(parseError("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n").message, 'malformed header line: "Bad Name: x"');
  assert.equal(parseError("HTTP/1.1 200 OK\r\n: x\r\n\r\n").message, 'malformed header line: ": x"');
  assert.equal(parseError("HTTP/1.1 200 OK\r\n folded\r\n\r\n").message, 'malformed header line: " folded"');
  assert.equal(parseError("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n").message, 'invalid character in header value: "a\\rb"');
});

test("keepHeaders: false keeps the framing fields only, in any case, and checks every line as before", () => {
  const lean = { keepHeaders: false } as const;
  const head =
    "HTTP/1.1 200 OK\r\nX-Long: a\r\n folded\r\nTRANSFER-encoding: chunked\r\nCONNECTION: Keep-Alive,\r\n\tclose\r\nDate: x\r\n\r\n";
  const bytes = Buffer.from(`${head}3\r\nabc\r\n0\r\n\r\n`);
  for (const cuts of [[], byteCuts(bytes.length)]) {
    const { res } = feed(bytes, cuts, lean);
    assert.deepEqual(summary(res), {
      status: 200,
      statusText: "OK",
      headers: [
        ["transfer-encoding", "chunked"],
        ["connection", "Keep-Alive, close"],
      ],
      trailers: [],
      body: "abc",
    });
  }
  const parser = new ResponseParser(lean);
  parser.push(Buffer.from("HTTP/1.1 204 No Content\r\nServer: s\r\nConnection: close\r\n\r\n"));
  assert.equal(parser.keepAlive, false);
  assert.equal(feed(Buffer.from("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"), [], lean).res.text(), "ok");
  // A field that is not kept is checked all the same.
  assert.equal(parseError("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", lean).message, 'malformed header line: "NoColon"');
  assert.equal(parseError("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", lean).message, 'malformed header line: "Bad Name: x"');
  assert.equal(parseError("HTTP/1.1 200 OK\r\n folded\r\n\r\n", lean).message, 'malformed header line: " folded"');
  assert.equal(parseError("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", lean).message, 'invalid character in header value: "a\\rb"');
  assert.equal(parseError("HTTP/1.1 200 OK\r\nX: a\r\n b\x7f\r\n\r\n", lean).message, 'invalid character in header value: "b\x7f"');
  assert.equal(parseError("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", lean).message, 'invalid Content-Length: "1x"');
});

test("invalid Content-Length values", () => {
  for (const value of ["abc", "-1", "1, 2", "", "1e3", "0x10"]) {
    assert.equal(
      parseError(`HTTP/1.1 200 OK\r\nContent-Length: ${value}\r\n\r\n`).message,
      `invalid Content-Length: ${JSON.stringify(value)}`,
    );
  }
});

test("invalid chunk sizes, a missing CRLF after chunk data, oversized size lines and trailers", () => {
  const head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const size of ["zz", "", "-1", "0x10", "1 2", "1\x00", " 5", "5;a\x01b", "5;x=\x7f"]) {
    assert.equal(parseError(`${head}${size}\r\n`).message, `invalid chunk size: ${JSON.stringify(size)}`);
  }
  assert.equal(parseError(`${head}10000000000000\r\n`).message, "body exceeds 67108864 bytes", "judged by its value");
  assert.equal(parseError(`${head}3\r\nabcX\r\n0\r\n\r\n`).message, "missing CRLF after chunk data");
  assert.equal(parseError(`${head}1;${"e".repeat(100)}\r\n`, { maxHeaderBytes: 64 }).message, "chunk size line exceeds 64 bytes");
  assert.equal(parseError(`${head}0\r\nX: ${"t".repeat(100)}\r\n\r\n`, { maxHeaderBytes: 64 }).message, "trailers exceed 64 bytes");
});

test("body over maxBodyBytes: declared, chunked and close-delimited", () => {
  const declared = new ResponseParser({ maxBodyBytes: 10 });
  assert.throws(() => declared.push(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n")), {
    message: "body exceeds 10 bytes (Content-Length: 11)",
  });
  assert.equal(
    new ResponseParser({ maxBodyBytes: 10 }).push(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"))?.body.length,
    10,
  );
  const chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n";
  assert.equal(parseError(chunked, { maxBodyBytes: 10 }).message, "body exceeds 10 bytes");
  assert.equal(parseResponse(Buffer.from(chunked), { maxBodyBytes: 11 }).text(), "abcdefghijk");
  assert.equal(parseError("HTTP/1.1 200 OK\r\n\r\n0123456789A", { maxBodyBytes: 10 }).message, "body exceeds 10 bytes");
  assert.equal(parseError(`HTTP/1.1 200 OK\r\n\r\n${"x".repeat(65)}`, { maxBodyBytes: 64 }).message, "body exceeds 64 bytes");
});

test("after an error the parser keeps throwing the same error", () => {
  const parser = new ResponseParser();
  let first: unknown;
  try {
    parser.push(Buffer.from("NOT HTTP\r\n\r\n"));
  } catch (e) {
    first = e;
  }
  assert.ok(first instanceof HttpParseError);
  assert.throws(
    () => parser.push(Buffer.from(CONTENT_LENGTH)),
    (e) => e === first,
  );
  assert.throws(
    () => parser.end(),
    (e) => e === first,
  );
});

test("many small responses parse independently (no state leaks between parsers)", () => {
  for (let i = 0; i < 1000; i++) {
    const body = `hello${i}`;
    const res = new ResponseParser().push(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
    assert.equal(res?.text(), body);
  }
});
