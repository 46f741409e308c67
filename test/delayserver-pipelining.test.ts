// Large reads and long pipelines (issue 12, "stalls and drops"): a 64 KiB body read in one piece,
// more pipelined requests than one poll of the connection takes, and a client that half-closes
// after its requests. Every request received before the FIN is answered, in order, without
// waiting for a timeout; the connection closes at once only when a delay is still pending as the
// client leaves. The server's header timeout is longer than any bound here, so a stall shows as a
// failure, not as a slow pass.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { arrivedAt, exchange, parseResponses, startDelayServer, type DelayServerProcess, type Exchange } from "./util/delay-server.js";

const HEADER_TIMEOUT_MS = 5_000;
/** "Each answered within a second", with room for a loaded machine. */
const ANSWER_BOUND_MS = 1_500;
let server: DelayServerProcess;

before(async () => {
  server = await startDelayServer({ headerTimeoutMs: HEADER_TIMEOUT_MS, idleTimeoutMs: HEADER_TIMEOUT_MS });
});

after(async () => {
  const r = await server.stop();
  assert.equal(r.code, 0, `exit ${r.code} ${r.signal}\n${server.stderr()}`);
});

const request = (target: string, extra = ""): string => `GET ${target} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

/** `n` pipelined zero-delay requests `/0/p{i}`, the last one with `last` fields. */
function pipeline(n: number, last = ""): string {
  let text = "";
  for (let i = 0; i < n; i++) text += request(`/0/p${i}`, i === n - 1 ? last : "");
  return text;
}

/** Checks that `r` holds the answers `p0..p{n-1}` in order, each within ANSWER_BOUND_MS of the write. */
function assertAnswered(r: Exchange, n: number): void {
  const responses = parseResponses(r.text);
  assert.equal(responses.length, n, `${responses.length} of ${n} answered (ended: ${r.ended})`);
  for (const [i, x] of responses.entries()) assert.equal(x.body, `p${i}`);
  const slowest = Math.max(...responses.map((x) => arrivedAt(r, x.end)));
  assert.ok(slowest < ANSWER_BOUND_MS, `the last answer came ${slowest.toFixed(0)} ms after the requests`);
}

test("a 64 KiB body read in one piece: the request and the next one are answered at once", async () => {
  const body = "b".repeat(64 * 1024);
  const shapes: [string, (string | number)[]][] = [
    ["head and body in one write", [request("/0/big", `Content-Length: ${body.length}\r\n`) + body + request("/0/next")]],
    ["head, then the body alone in one write", [request("/0/big", `Content-Length: ${body.length}\r\n`), 50, body + request("/0/next")]],
    ["the body, then the next request later", [request("/0/big", `Content-Length: ${body.length}\r\n`) + body, 50, request("/0/next")]],
  ];
  for (const [name, chunks] of shapes) {
    const r = await exchange(server.port, chunks, { timeoutMs: HEADER_TIMEOUT_MS, until: /next$/ });
    const responses = parseResponses(r.text);
    assert.deepEqual(
      responses.map((x) => x.body),
      ["big", "next"],
      name,
    );
    assert.ok(r.ms < 50 + ANSWER_BOUND_MS, `${name}: answered after ${r.ms.toFixed(0)} ms`);
  }
});

test("1,100 pipelined requests in one write are answered in order, each within a second", async () => {
  const n = 1_100;
  const r = await exchange(server.port, [pipeline(n)], { timeoutMs: HEADER_TIMEOUT_MS, until: new RegExp(`p${n - 1}$`) });
  assertAnswered(r, n);
});

test("1,100 pipelined requests with longer heads (more than one read) are answered in order", async () => {
  const n = 1_100;
  let text = "";
  for (let i = 0; i < n; i++) text += request(`/0/p${i}`, `User-Agent: ${"u".repeat(60)}\r\nAccept: */*\r\n`);
  assert.ok(text.length > 2 * 64 * 1024);
  const r = await exchange(server.port, [text], { timeoutMs: HEADER_TIMEOUT_MS, until: new RegExp(`p${n - 1}$`) });
  assertAnswered(r, n);
});

test("a half-close after 200 or 1,100 zero-delay pipelined requests: every one is answered, then the close", async () => {
  for (const n of [200, 1_100]) {
    const r = await exchange(server.port, [pipeline(n)], { halfClose: true, timeoutMs: HEADER_TIMEOUT_MS });
    assert.equal(r.ended, "end", `n = ${n}`);
    assertAnswered(r, n);
  }
});

test("a half-close while a delay is pending closes at once after the answers already due", async () => {
  const r = await exchange(server.port, [request("/0/a") + request("/0/b") + request("/60000/late") + request("/0/after")], {
    halfClose: true,
    timeoutMs: HEADER_TIMEOUT_MS,
  });
  assert.equal(r.ended, "end");
  assert.deepEqual(
    parseResponses(r.text).map((x) => x.body),
    ["a", "b"],
  );
  assert.ok(r.ms < ANSWER_BOUND_MS, `closed after ${r.ms.toFixed(0)} ms`);
});

test("a half-close after a delay that has passed gets the delayed answer", async () => {
  // The FIN comes after the delay is over: nothing is pending as it arrives.
  const r = await exchange(server.port, [request("/100/slow") + request("/0/then"), 400], {
    halfClose: true,
    timeoutMs: HEADER_TIMEOUT_MS,
  });
  assert.equal(r.ended, "end");
  assert.deepEqual(
    parseResponses(r.text).map((x) => x.body),
    ["slow", "then"],
  );
});

test("a body that arrives on its own is the body, even when it looks like a request", async () => {
  // Body bytes are consumed as they arrive, so between reads the parser may hold none while the
  // request is only partly received: those bytes must not go to the fast path for whole requests.
  const hidden = request("/0/hidden");
  const r = await exchange(
    server.port,
    [request("/0/first"), 50, request("/0/carrier", `Content-Length: ${hidden.length}\r\n`), 50, hidden, 50, request("/0/last")],
    { timeoutMs: HEADER_TIMEOUT_MS, until: /last$/ },
  );
  assert.deepEqual(
    parseResponses(r.text).map((x) => x.body),
    ["first", "carrier", "last"],
  );
});
