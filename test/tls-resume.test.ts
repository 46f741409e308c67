/**
 * TLS session resumption through a `TlsSessionCache`: the second connection resumes (the client's
 * `sessionReused` and the node:tls server's `isSessionReused()` agree), for TLS 1.3 tickets that
 * arrive after the handshake and for TLS 1.2 sessions; sessions are offered only under the key
 * they were verified for; every session kept is freed exactly once.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { init, TlsSessionCache, type TlsConnectOptions } from "../src/index.js";
import { liveObjects } from "../src/sys/openssl.js";
import { makeCertificates, type TestCertificates } from "./util/tls-certs.js";
import { startTlsServers, type TlsServers } from "./util/tls-server.js";
import { httpsGet } from "./util/tls-client.js";

const executor = init();
let certs: TestCertificates;
let servers: TlsServers;
const at = (name: string): string => `localhost:${servers.port(name)}`;

before(async () => {
  certs = makeCertificates();
  servers = await startTlsServers([
    { name: "tls13", kind: "tls", ...certs.leaf, minVersion: "TLSv1.3" },
    { name: "tls12", kind: "tls", ...certs.leaf, maxVersion: "TLSv1.2" },
  ]);
});
after(async () => {
  await servers.stop();
  certs.remove();
});

interface Seen {
  reused: boolean;
  protocol: string;
}

function info(name: string, options: TlsConnectOptions): { client: boolean; server: Seen } {
  const r = executor.blockOn(httpsGet(at(name), "/info", options));
  return { client: r.reused, server: JSON.parse(r.body.toString()) as Seen };
}

for (const [name, protocol] of [
  ["tls13", "TLSv1.3"],
  ["tls12", "TLSv1.2"],
] as const) {
  test(`${protocol}: the first connection makes a session, the second resumes it (both sides say so)`, () => {
    const sessions = new TlsSessionCache();
    const first = info(name, { ca: certs.ca, sessions });
    assert.deepEqual(first, { client: false, server: { ...first.server, reused: false, protocol } });
    assert.equal(sessions.size, 1, "the session (a TLS 1.3 ticket: after the handshake) was kept");
    const second = info(name, { ca: certs.ca, sessions });
    assert.equal(second.client, true);
    assert.equal(second.server.reused, true);
    sessions.clear();
    assert.equal(liveObjects().session, 0);
  });
}

test("without a cache there is no resumption; a session is never offered under other trust options", () => {
  assert.equal(info("tls13", { ca: certs.ca }).client, false);
  assert.equal(info("tls13", { ca: certs.ca }).client, false);
  const sessions = new TlsSessionCache();
  // Made with verification off: kept under that key only.
  info("tls13", { rejectUnauthorized: false, sessions });
  assert.equal(sessions.size, 1);
  const verified = info("tls13", { ca: certs.ca, sessions });
  assert.equal(verified.client, false, "a verified connection does not resume an unverified session");
  assert.equal(verified.server.reused, false);
  assert.equal(sessions.size, 2);
  // The same name given explicitly is the same key.
  assert.equal(info("tls13", { ca: certs.ca, sessions, servername: "localhost" }).client, true);
  sessions.clear();
  assert.equal(liveObjects().session, 0);
});

test("the cache keeps at most `max` sessions and frees the oldest; clear() frees the rest once", () => {
  const sessions = new TlsSessionCache(2);
  for (const name of ["tls13", "tls12"]) info(name, { ca: certs.ca, sessions });
  info("tls13", { rejectUnauthorized: false, sessions });
  assert.equal(sessions.size, 2);
  assert.equal(liveObjects().session, 2);
  // The oldest (tls13 verified) was dropped: no resumption there; the newer ones still resume.
  assert.equal(info("tls12", { ca: certs.ca, sessions }).client, true);
  sessions.clear();
  sessions.clear();
  assert.equal(liveObjects().session, 0);
  assert.throws(() => new TlsSessionCache(-1), RangeError);
  const none = new TlsSessionCache(0);
  info("tls13", { ca: certs.ca, sessions: none });
  assert.equal(none.size, 0);
  assert.equal(liveObjects().session, 0);
});
