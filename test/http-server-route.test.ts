// The delay server's pure parts (issue 12): the route (HEAD as GET, numbers by value, 405's Allow),
// the response writer (HEAD without a body, 100 Continue) and the request log's line formats.
import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ResponseParser } from "../src/http/parse-response.js";
import * as response from "../src/server/response.js";
import { RequestLog } from "../src/server/request-log.js";
import { route } from "../src/server/route.js";

test("HEAD is routed as GET: the same status, delay and body (which the writer leaves out)", () => {
  assert.deepEqual(route("HEAD", "/250/caf%C3%A9"), route("GET", "/250/caf%C3%A9"));
  assert.deepEqual(route("HEAD", "/250/caf%C3%A9"), { status: 200, delayMs: 250, body: "café" });
  assert.equal(route("HEAD", "/100").status, 404);
  assert.equal(route("HEAD", "/x/y").status, 400);
  for (const method of ["POST", "PUT", "DELETE", "OPTIONS", "get", "head"]) {
    const r = route(method, "/0/x");
    assert.equal(r.status, 405, method);
    assert.equal(r.body, "405 Method Not Allowed: the delay server answers GET and HEAD only\n");
  }
});

test("the delay is judged by its value: leading zeros are fine, however many", () => {
  const delay = (segment: string): number => {
    const r = route("GET", `/${segment}/x`);
    return r.status === 200 ? r.delayMs : -r.status;
  };
  assert.equal(delay("0000000000000001"), 1);
  assert.equal(delay("00000000000000000000"), 0);
  assert.equal(delay(`${"0".repeat(100)}3600000`), 3_600_000);
  assert.equal(delay("3600000"), 3_600_000);
  for (const bad of ["3600001", "9999999999999999", "99999999999999999999", "", "1x", "-1", "+1", " 1", "1.0", "%31"]) {
    assert.equal(delay(bad), -400, JSON.stringify(bad));
  }
});

test("writeResponse: a HEAD answer is the GET answer's head, Content-Length included, without the body", () => {
  const buf = Buffer.allocUnsafe(4096);
  for (const [status, body] of [
    [200, "hello"],
    [200, "café ☕"],
    [404, "usage: ...\n"],
    [400, "400 Bad Request: x\n"],
  ] as const) {
    const getEnd = response.writeResponse(buf, 0, status, body, true);
    const getText = buf.toString("latin1", 0, getEnd);
    const headEnd = response.writeResponse(buf, 0, status, body, true, true);
    const headText = buf.toString("latin1", 0, headEnd);
    const length = Buffer.byteLength(body);
    // The two answers may straddle a second: their Date lines are compared apart.
    const noDate = (head: string): string => head.replace(/\r\nDate: [^\r]*/, "");
    assert.equal(noDate(headText), noDate(getText.slice(0, getText.length - length)), `${status} ${body}`);
    assert.match(headText, /\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
    assert.match(headText, new RegExp(`\\r\\nContent-Length: ${length}\\r\\n`));
    // A client that sent HEAD reads this as a complete response with no body.
    const parsed = new ResponseParser({ method: "HEAD" }).push(buf.subarray(0, headEnd));
    assert.deepEqual([parsed?.status, parsed?.body.length], [status, 0]);
  }
});

test("writeResponse: 405 carries Allow: GET, HEAD", () => {
  const buf = Buffer.allocUnsafe(4096);
  const end = response.writeResponse(buf, 0, 405, "405 Method Not Allowed\n", false);
  const parsed = new ResponseParser().push(buf.subarray(0, end));
  assert.equal(parsed?.headers.get("allow"), "GET, HEAD");
});

test("writeContinue writes the interim 100 Continue, which a client skips", () => {
  const buf = Buffer.allocUnsafe(64);
  const end = response.writeContinue(buf, 0);
  assert.equal(buf.toString("latin1", 0, end), "HTTP/1.1 100 Continue\r\n\r\n");
  assert.equal(response.writeContinue(buf, 60), -1, "does not fit");
  const parser = new ResponseParser();
  assert.equal(parser.push(buf.subarray(0, end)), undefined);
  assert.equal(parser.push(Buffer.from("HTTP/1.1 204 No Content\r\n\r\n"))?.status, 204);
});

test("the request log: the book's line for 200s (counted), one documented line for refusals (not counted)", () => {
  const dir = mkdtempSync(join(tmpdir(), "request-log-"));
  try {
    const path = join(dir, "log");
    const fd = openSync(path, "w");
    const log = new RequestLog(fd);
    log.request(1, 1000, "hello");
    log.refused(404, "GET", "/1000", "usage: GET /{delay_ms}/{message} (delay_ms: 0..3600000; the message is URL-encoded)\n");
    log.refused(405, "POST", "/0/x", "405 Method Not Allowed: the delay server answers GET and HEAD only\n");
    log.refused(400, "GET", "/x/y", '400 Bad Request: the delay must be a whole number of milliseconds from 0 to 3600000, got "x"\n');
    log.refused(400, undefined, undefined, "bare LF in the request head (lines must end with CRLF)");
    log.refused(414, "GET", `/${"a".repeat(300)}`, "request line exceeds 16384 bytes");
    log.request(2, 0, "line\nbreak");
    log.flush();
    closeSync(fd);
    assert.deepEqual(readFileSync(path, "utf8").split("\n"), [
      "#1 - 1000ms: hello",
      "!404 GET /1000: usage: GET /{delay_ms}/{message} (delay_ms: 0..3600000; the message is URL-encoded)",
      "!405 POST /0/x: the delay server answers GET and HEAD only",
      '!400 GET /x/y: the delay must be a whole number of milliseconds from 0 to 3600000, got "x"',
      "!400 - -: bare LF in the request head (lines must end with CRLF)",
      `!414 GET /${"a".repeat(199)}...: request line exceeds 16384 bytes`,
      "#2 - 0ms: line\\nbreak",
      "",
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
