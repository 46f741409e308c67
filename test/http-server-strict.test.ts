// The delay server (the real CLI, util/delay-server) against requests its parser used to take too
// leniently or judge wrongly (issue 12): the request-smuggling shape, Host, HTTP/1.0 with
// Transfer-Encoding, numbers with leading zeros; and what needs the connection's help: HEAD on the
// wire, Expect: 100-continue, the log of refused requests.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { exchange, parseResponses, startDelayServer, type DelayServerProcess } from "./util/delay-server.js";

let server: DelayServerProcess;

before(async () => {
  server = await startDelayServer({ headerTimeoutMs: 3_000 });
});

after(async () => {
  const r = await server.stop();
  assert.equal(r.code, 0, `exit ${r.code} ${r.signal}\n${server.stderr()}`);
});

/** Sends `text` on a fresh connection; returns the statuses answered and whether the server closed. */
async function answers(text: string): Promise<{ statuses: number[]; bodies: string[]; closed: boolean }> {
  const r = await exchange(server.port, [text], { timeoutMs: 2_500 });
  const responses = parseResponses(r.text);
  return { statuses: responses.map((x) => x.status), bodies: responses.map((x) => x.body), closed: r.ended === "end" };
}

test("request smuggling shape: one 400 and close, not an answer to a hidden request", async () => {
  // A front end splitting lines at CRLF only sees /0/first and /0/decoy; a bare LF taken as a
  // line end shows a hidden /0/hidden in between.
  const r = await answers(
    "GET /0/first HTTP/1.1\r\nHost: x\r\nX-Pad: a\n\nGET /0/hidden HTTP/1.1\nHost: x\n\r\n\r\nGET /0/decoy HTTP/1.1\r\nHost: x\r\n\r\n",
  );
  assert.deepEqual(r.statuses, [400]);
  assert.match(r.bodies[0]!, /bare LF/);
  assert.equal(r.closed, true);
});

test("a bare LF in a request line, a header or a chunk line: 400 and close", async () => {
  for (const text of [
    "GET /0/first\nGET /0/decoy HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /0/a HTTP/1.1\nHost: x\n\n",
    "POST /0/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\r\n0\r\n\r\n",
  ]) {
    const r = await answers(text);
    assert.deepEqual([r.statuses, r.closed], [[400], true], JSON.stringify(text));
  }
});

test("a peer that does not speak HTTP gets a 400 at once, not silence until the header timeout", async () => {
  const r = await exchange(server.port, ["SSH-2.0-OpenSSH_9.6\r\n"], { timeoutMs: 5_000 });
  assert.deepEqual(
    parseResponses(r.text).map((x) => x.status),
    [400],
  );
  assert.equal(r.ended, "end");
  assert.ok(r.ms < 2_500, `answered after ${r.ms.toFixed(0)} ms; the header timeout is 3,000 ms`);
});

test("Host: missing (HTTP/1.1), repeated or invalid is a 400 and close; HTTP/1.0 may omit it", async () => {
  for (const head of [
    "GET /0/x HTTP/1.1\r\n\r\n",
    "GET /0/x HTTP/1.1\r\nConnection: keep-alive\r\n\r\n",
    "GET /0/x HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
    "GET /0/x HTTP/1.1\r\nHost: a b\r\n\r\n",
    "GET /0/x HTTP/1.0\r\nHost: a/b\r\n\r\n",
  ]) {
    const r = await answers(head);
    assert.deepEqual([r.statuses, r.closed], [[400], true], JSON.stringify(head));
  }
  const ten = await answers("GET /0/ten HTTP/1.0\r\n\r\n");
  assert.deepEqual([ten.statuses, ten.bodies], [[200], ["ten"]]);
});

test("HTTP/1.0 with Transfer-Encoding is a 400 and close, as nginx answers", async () => {
  const r = await answers("GET /0/x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  assert.deepEqual([r.statuses, r.closed], [[400], true]);
});

test("a delay or a Content-Length is judged by its value, not its length", async () => {
  const r = await answers(
    "GET /0000000000000001/one HTTP/1.1\r\nHost: x\r\n\r\n" +
      "GET /00000000000000000000/zero HTTP/1.1\r\nHost: x\r\n\r\n" +
      `GET /${"0".repeat(60)}2/two HTTP/1.1\r\nHost: x\r\n\r\n` +
      "GET /0/body HTTP/1.1\r\nHost: x\r\nContent-Length: 0000000000000003\r\n\r\nabc" +
      "GET /9999999999999999/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  );
  assert.deepEqual(r.statuses, [200, 200, 200, 200, 400]);
  assert.deepEqual(r.bodies.slice(0, 4), ["one", "zero", "two", "body"]);
});

test("HEAD is answered like GET without a body on the wire", async () => {
  const r = await exchange(server.port, [
    "HEAD /0/hello HTTP/1.1\r\nHost: x\r\n\r\nGET /0/after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  ]);
  assert.match(r.text, /^HTTP\/1\.1 200 OK\r\n[^]*Content-Length: 5\r\n[^]*\r\n\r\nHTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nafter$/);
});

test("Expect: 100-continue gets 100 Continue before the body, or the final refusal at once", async () => {
  const ok = await exchange(server.port, ["GET /0/x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"], {
    timeoutMs: 1_000,
    until: /100 Continue/,
  });
  assert.match(ok.text, /^HTTP\/1\.1 100 Continue\r\n\r\n/);
  const refused = await exchange(server.port, ["PUT /0/x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"], {
    timeoutMs: 1_000,
    until: /\r\n\r\n/,
  });
  assert.match(refused.text, /^HTTP\/1\.1 405 /);
});

test("the log has a line for 400, 404 and 405 answers too; they do not count in n", async (t) => {
  const logging = await startDelayServer({ quiet: false });
  t.after(() => logging.stop("SIGKILL"));
  await exchange(
    logging.port,
    [
      "GET /0/one HTTP/1.1\r\nHost: x\r\n\r\nGET /x/y HTTP/1.1\r\nHost: x\r\n\r\nGET /5 HTTP/1.1\r\nHost: x\r\n\r\n" +
        "PUT /0/a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /0/two HTTP/1.1\r\nHost: x\r\n\r\nGET /0/bad HTTP/1.1\r\n\r\n",
    ],
    { timeoutMs: 1_000 },
  );
  await logging.waitForOutput(/^!400 - -: /m, 2_000);
  assert.match(
    logging.stdout(),
    /^#1 - 0ms: one\n!400 GET \/x\/y: the delay must be [^\n]*\n!404 GET \/5: usage[^\n]*\n!405 PUT \/0\/a: [^\n]*\n#2 - 0ms: two\n!400 - -: missing Host field \(required in HTTP\/1\.1\)\n/m,
  );
});
