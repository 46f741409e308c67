// Percent-decoding of the delay server's message, and the request/response builders (exact bytes,
// checks against header injection, round trips through the parsers).
import { test } from "node:test";
import assert from "node:assert/strict";
import { HttpRequestError, RequestParser } from "../src/http/parse-request.js";
import { parseResponse } from "../src/http/parse-response.js";
import { percentDecode } from "../src/http/percent-decode.js";
import { httpDate, serializeRequest, serializeResponse } from "../src/http/serialize.js";

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("latin1");
}

test("percentDecode: escapes, UTF-8 multi-byte sequences, + stays +", () => {
  const cases: [string, string][] = [
    ["HelloWorld", "HelloWorld"],
    ["hello%20world", "hello world"],
    ["a%2Fb/c", "a/b/c"],
    ["caf%C3%A9+cr%c3%a8me", "café+crème"],
    ["%E2%82%AC%20100", "€ 100"],
    ["%F0%9F%98%80", "😀"],
    ["%EF%BB%BFbom", "\uFEFFbom"],
    ["%25%2525", "%%25"],
    ["%00", "\0"],
    ["", ""],
  ];
  for (const [input, expected] of cases) assert.equal(percentDecode(input), expected, input);
});

test("percentDecode: raw UTF-8 bytes from the wire (one char per byte) decode as UTF-8", () => {
  const target = Buffer.from("/0/grüße€", "utf8").toString("latin1");
  assert.equal(percentDecode(target), "/0/grüße€");
});

test("percentDecode: invalid escapes, invalid UTF-8 and non-byte chars are HttpRequestError 400", () => {
  const cases: [string, string][] = [
    ["100%", 'invalid percent-escape "%" at offset 3'],
    ["a%2", 'invalid percent-escape "%2" at offset 1'],
    ["%zz", 'invalid percent-escape "%zz" at offset 0'],
    ["ok%G0", 'invalid percent-escape "%G0" at offset 2'],
    ["%+1", 'invalid percent-escape "%+1" at offset 0'],
    ["%C3", 'percent-decoded text is not valid UTF-8: "%C3"'],
    ["%FF%FE", 'percent-decoded text is not valid UTF-8: "%FF%FE"'],
    ["%ED%A0%80", 'percent-decoded text is not valid UTF-8: "%ED%A0%80"'],
    ["\xE9t\xE9", 'percent-decoded text is not valid UTF-8: "\xE9t\xE9"'],
    ["€", "not a byte string: char U+20AC at offset 0"],
  ];
  for (const [input, message] of cases) {
    assert.throws(
      () => percentDecode(input),
      (e) => e instanceof HttpRequestError && e.status === 400 && e.message === message,
      input,
    );
  }
});

test("serializeRequest: the default GET, byte for byte", () => {
  const bytes = serializeRequest({ path: "/1000/HelloWorld1", host: "127.0.0.1:8080" });
  assert.ok(bytes instanceof Uint8Array);
  assert.equal(text(bytes), "GET /1000/HelloWorld1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n");
});

test("serializeRequest: method, headers, overrides, UTF-8 body with its byte length", () => {
  const bytes = serializeRequest({
    method: "POST",
    path: "/items?x=1",
    host: "localhost",
    headers: { "Content-Type": "text/plain; charset=utf-8", connection: "keep-alive", HOST: "example:81" },
    body: "héllo €",
  });
  assert.equal(
    Buffer.from(bytes).toString("utf8"),
    "POST /items?x=1 HTTP/1.1\r\nHost: example:81\r\nContent-Type: text/plain; charset=utf-8\r\n" +
      "Connection: keep-alive\r\nContent-Length: 10\r\n\r\nhéllo €",
  );
  const binary = serializeRequest({ method: "PUT", path: "/b", host: "h", body: new Uint8Array([0, 255, 13, 10]) });
  assert.deepEqual([...binary.subarray(binary.length - 4)], [0, 255, 13, 10]);
  assert.match(text(binary), /Content-Length: 4\r\n\r\n/);
  assert.match(text(serializeRequest({ method: "POST", path: "/", host: "h" })), /Connection: close\r\nContent-Length: 0\r\n\r\n$/);
  assert.doesNotMatch(text(serializeRequest({ method: "DELETE", path: "/", host: "h" })), /Content-Length/);
});

test("serializeRequest: refuses what would break the message (TypeError)", () => {
  const bad: [Parameters<typeof serializeRequest>[0], RegExp][] = [
    [{ method: "G T", path: "/", host: "h" }, /invalid HTTP method: "G T"/],
    [{ path: "/a b", host: "h" }, /invalid request path: "\/a b"/],
    [{ path: "", host: "h" }, /invalid request path: ""/],
    [{ path: "/€", host: "h" }, /invalid request path/],
    [{ path: "/", host: "h\r\nX: y" }, /invalid value for header Host/],
    [{ path: "/", host: "h", headers: { "X-A": "1\r\nInjected: yes" } }, /invalid value for header X-A/],
    [{ path: "/", host: "h", headers: { "Bad Name": "1" } }, /invalid header name: "Bad Name"/],
    [{ path: "/", host: "h", headers: { "content-length": "5" } }, /content-length is set from the body/],
    [{ path: "/", host: "h", headers: { "Transfer-Encoding": "chunked" } }, /Transfer-Encoding is set from the body/],
  ];
  for (const [options, message] of bad) assert.throws(() => serializeRequest(options), { name: "TypeError", message });
});

test("serializeResponse: the delay server's answers, byte for byte", () => {
  assert.equal(
    text(serializeResponse({ status: 200, body: "HelloWorld1", keepAlive: true })),
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\nHelloWorld1",
  );
  assert.equal(
    text(serializeResponse({ status: 405, body: "", keepAlive: false, date: "Thu, 01 Jan 1970 00:00:00 GMT", headers: { Allow: "GET" } })),
    "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 0\r\n" +
      "Connection: close\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nAllow: GET\r\n\r\n",
  );
  assert.equal(
    text(serializeResponse({ status: 299, statusText: "Fine", contentType: "application/json", body: "{}", keepAlive: true })),
    "HTTP/1.1 299 Fine\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}",
  );
  assert.match(text(serializeResponse({ status: 599, keepAlive: true })), /^HTTP\/1\.1 599 \r\n/);
  for (const [status, reason] of [
    [400, "Bad Request"],
    [404, "Not Found"],
    [431, "Request Header Fields Too Large"],
  ] as const) {
    assert.ok(text(serializeResponse({ status, keepAlive: false })).startsWith(`HTTP/1.1 ${status} ${reason}\r\n`));
  }
});

test("serializeResponse: refuses bad statuses, reasons, values and its own fields in headers (TypeError)", () => {
  const bad: [Parameters<typeof serializeResponse>[0], RegExp][] = [
    [{ status: 99, keepAlive: true }, /invalid HTTP status: 99/],
    [{ status: 200.5, keepAlive: true }, /invalid HTTP status: 200.5/],
    [{ status: 200, statusText: "OK\r\nX: y", keepAlive: true }, /invalid reason phrase/],
    [{ status: 200, contentType: "text/plain\n", keepAlive: true }, /invalid value for header Content-Type/],
    [{ status: 200, date: "today\r\n", keepAlive: true }, /invalid value for header Date/],
    [{ status: 200, headers: { Connection: "close" }, keepAlive: true }, /Connection is set from the options/],
    [{ status: 200, headers: { "content-length": "1" }, keepAlive: true }, /content-length is set from the options/],
  ];
  for (const [options, message] of bad) assert.throws(() => serializeResponse(options), { name: "TypeError", message });
});

test("round trips: serializeResponse → parseResponse, serializeRequest → RequestParser", () => {
  const body = "héllo wörld ".repeat(50);
  const res = parseResponse(serializeResponse({ status: 200, body, keepAlive: true, headers: { "X-Id": "7" } }));
  assert.equal(res.status, 200);
  assert.equal(res.statusText, "OK");
  assert.equal(res.text(), body);
  assert.equal(res.headers.get("x-id"), "7");
  assert.equal(res.headers.get("connection"), "keep-alive");

  const parser = new RequestParser();
  parser.push(serializeRequest({ path: "/0/a%20b", host: "127.0.0.1:8080" }));
  parser.push(serializeRequest({ method: "POST", path: "/p", host: "h", body: new Uint8Array([1, 2, 3]) }));
  const first = parser.next();
  const second = parser.next();
  assert.equal(first?.target, "/0/a%20b");
  assert.equal(percentDecode(first?.target ?? ""), "/0/a b");
  assert.equal(first?.keepAlive, false);
  assert.equal(first?.headers.get("host"), "127.0.0.1:8080");
  assert.deepEqual([...(second?.body ?? [])], [1, 2, 3]);
  assert.equal(parser.next(), undefined);
});

test("httpDate: IMF-fixdate, recomputed when the second changes", () => {
  assert.equal(httpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  assert.equal(httpDate(999), "Thu, 01 Jan 1970 00:00:00 GMT");
  assert.equal(httpDate(1000), "Thu, 01 Jan 1970 00:00:01 GMT");
  const t = Date.UTC(2024, 1, 29, 13, 5, 9, 500);
  assert.equal(httpDate(t), "Thu, 29 Feb 2024 13:05:09 GMT");
  assert.equal(httpDate(t + 600), "Thu, 29 Feb 2024 13:05:10 GMT");
  assert.match(httpDate(), /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/);
});
