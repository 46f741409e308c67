/**
 * `https://` through `Http.get` and `Http.request` against a `node:https` server in a child
 * process (certificates made by the openssl command line): trusted through `ca`, refused by the
 * default roots, a certificate for another name, an expired one, a handshake that stalls, and
 * bodies cut off without `close_notify`.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { init, coroutine, wait, Http, HttpClient, TlsError, TimeoutError, type Future } from "../src/index.js";
import { liveObjects } from "../src/sys/openssl.js";
import { openFdCount } from "./util/fds.js";
import { startNodeServers, type NodeServers } from "./util/node-http.js";
import { makeCertificates, type TestCertificates } from "./util/tls-certs.js";
import { startTlsServers, type TlsServers } from "./util/tls-server.js";

const executor = init();
let certs: TestCertificates;
let node: NodeServers;
let raw: TlsServers;

before(async () => {
  certs = makeCertificates();
  node = await startNodeServers([
    { name: "leaf", kind: "https", ...certs.leaf },
    { name: "expired", kind: "https", ...certs.expired },
    { name: "other", kind: "https", ...certs.otherName },
  ]);
  raw = await startTlsServers([
    { name: "tls", kind: "tls", ...certs.leaf },
    { name: "silent", kind: "silent" },
  ]);
});
after(async () => {
  Http.defaultClient().close();
  await node.stop();
  await raw.stop();
  certs.remove();
});

function failure(f: Future<unknown>): Error & { code?: string } {
  try {
    executor.blockOn(f);
  } catch (e) {
    return e as Error & { code?: string };
  }
  assert.fail("expected an error");
}

test("Http.get over https, trusted through `ca`: 200, the body, and nothing left open", () => {
  const fds = openFdCount();
  const text = executor.blockOn(Http.get(`${node.url("leaf")}/hello/secure%20gr%C3%BC%C3%9Fe`, { tls: { ca: certs.ca } }));
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.ok(text.endsWith("\r\n\r\nsecure grüße"), text);
  assert.equal(liveObjects().ssl, 0);
  assert.equal(openFdCount(), fds);
});

test("Http.request over https, trusted through `ca`: status, headers, body; the connection is kept", () => {
  const out = executor.blockOn(
    coroutine(function* () {
      const a = yield* wait(Http.request({ url: `${node.url("leaf")}/hello/one`, tls: { ca: certs.ca } }));
      const b = yield* wait(Http.request({ url: `${node.url("leaf")}/big/100000`, tls: { ca: certs.ca } }));
      return [a.status, a.headers.get("content-type"), a.text(), b.body.length, b.body[99_999]];
    }),
  );
  assert.deepEqual(out, [200, "text/plain", "one", 100_000, 99_999 % 251]);
  assert.equal(Http.defaultClient().stats().idle, 1);
  assert.equal(liveObjects().ssl, 1, "the idle connection's SSL object");
  Http.defaultClient().closeIdle();
  assert.equal(liveObjects().ssl, 0);
});

test("default trust (Node's roots only): the verification error's code, as node:https names it", () => {
  const e = failure(Http.get(`${node.url("leaf")}/hello/x`));
  assert.ok(e instanceof TlsError, String(e));
  assert.equal(e.code, "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  const r = failure(Http.request({ url: `${node.url("leaf")}/hello/x` }));
  assert.equal(r.code, "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
});

test("a certificate for another name: ERR_TLS_CERT_ALTNAME_INVALID", () => {
  const e = failure(Http.request({ url: `${node.url("other")}/hello/x`, tls: { ca: certs.ca } }));
  assert.ok(e instanceof TlsError, String(e));
  assert.equal(e.code, "ERR_TLS_CERT_ALTNAME_INVALID");
  assert.match(e.message, /not valid for "localhost"/);
  // The name it does hold, given as `servername`, passes.
  const ok = executor.blockOn(Http.request({ url: `${node.url("other")}/hello/named`, tls: { ca: certs.ca, servername: "other.test" } }));
  assert.equal(ok.text(), "named");
});

test("an expired certificate: CERT_HAS_EXPIRED", () => {
  const e = failure(Http.get(`${node.url("expired")}/hello/x`, { tls: { ca: certs.ca } }));
  assert.ok(e instanceof TlsError, String(e));
  assert.equal(e.code, "CERT_HAS_EXPIRED");
});

test("a server that never answers the handshake: timeoutMs ends it, and its SSL object and socket are freed", () => {
  const fds = openFdCount();
  const ssl = liveObjects().ssl;
  const url = `https://localhost:${raw.port("silent")}/x`;
  for (const f of [
    Http.get(url, { tls: { ca: certs.ca }, timeoutMs: 200 }),
    Http.request({ url, tls: { ca: certs.ca }, timeoutMs: 200 }),
  ]) {
    const t0 = performance.now();
    const e = failure(f);
    assert.ok(e instanceof TimeoutError, String(e));
    assert.ok(performance.now() - t0 >= 190);
  }
  assert.equal(liveObjects().ssl, ssl);
  assert.equal(openFdCount(), fds);
});

test("a Content-Length body cut off without close_notify is an error, never a short success", () => {
  const url = `https://localhost:${raw.port("tls")}/truncate`;
  for (const f of [Http.get(url, { tls: { ca: certs.ca } }), Http.request({ url, tls: { ca: certs.ca } })]) {
    const e = failure(f);
    assert.ok(e instanceof TlsError, String(e));
    assert.equal(e.code, "ERR_SSL_UNEXPECTED_EOF_WHILE_READING");
  }
});

test("a body read until the close: complete with close_notify, an error without it", () => {
  const base = `https://localhost:${raw.port("tls")}/until-close/all-of-it`;
  const res = executor.blockOn(Http.request({ url: base, tls: { ca: certs.ca } }));
  assert.equal(res.text(), "all-of-it");
  const e = failure(Http.request({ url: `${base}/cut`, tls: { ca: certs.ca } }));
  assert.ok(e instanceof TlsError, String(e));
  assert.equal(e.code, "ERR_SSL_UNEXPECTED_EOF_WHILE_READING");
  const streamed = failure(
    coroutine(function* () {
      const r = yield* wait(Http.stream({ url: `${base}/cut`, tls: { ca: certs.ca } }));
      return yield* wait(r.text());
    }),
  );
  assert.equal(streamed.code, "ERR_SSL_UNEXPECTED_EOF_WHILE_READING");
});

test("a connection made with verification off is never reused for a verified request (the pool key has the TLS options)", () => {
  const live = liveObjects();
  const client = new HttpClient();
  const conns = executor.blockOn(
    coroutine(function* () {
      const url = `${node.url("leaf")}/conn`;
      const a = (yield* wait(client.request({ url, tls: { rejectUnauthorized: false } }))).text();
      const b = (yield* wait(client.request({ url, tls: { ca: certs.ca } }))).text();
      const c = (yield* wait(client.request({ url, tls: { ca: certs.ca } }))).text();
      return [a, b, c];
    }),
  );
  assert.notEqual(conns[0], conns[1]);
  assert.equal(conns[1], conns[2]);
  assert.deepEqual(client.stats(), { opened: 2, reused: 1, retried: 0, idle: 2 });
  client.close();
  assert.deepEqual(liveObjects(), live, "the client's connections and sessions are freed");
});
