/**
 * Certificate verification and handshake failures: each refused server gives a `TlsError` whose
 * code is the one Node's own TLS client reports for the same server (checked side by side), with
 * OpenSSL's reason text; nothing is left open afterwards.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect as nodeTlsConnect, type ConnectionOptions } from "node:tls";
import { init, TlsStream, TlsError } from "../src/index.js";
import { liveObjects } from "../src/sys/openssl.js";
import { openFdCount } from "./util/fds.js";
import { makeCertificates, type TestCertificates } from "./util/tls-certs.js";
import { startTlsServers, type TlsServers } from "./util/tls-server.js";
import { errorOf, httpsGet } from "./util/tls-client.js";
import type { TlsConnectOptions } from "../src/index.js";

const executor = init();
let certs: TestCertificates;
let servers: TlsServers;
const at = (name: string, host = "localhost"): string => `${host}:${servers.port(name)}`;

before(async () => {
  certs = makeCertificates();
  servers = await startTlsServers([
    { name: "leaf", kind: "tls", ...certs.leaf },
    { name: "chain", kind: "tls", ...certs.chain },
    { name: "expired", kind: "tls", ...certs.expired },
    { name: "self", kind: "tls", ...certs.selfSigned },
    { name: "other", kind: "tls", ...certs.otherName },
    { name: "old", kind: "tls", ...certs.leaf, minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" },
    { name: "plain", kind: "plain" },
    { name: "hangup", kind: "hangup" },
  ]);
});
after(async () => {
  await servers.stop();
  certs.remove();
});

/** The code Node's own TLS client fails with against the same server and options. */
function nodeCode(name: string, host: string, options: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = nodeTlsConnect({ host, port: servers.port(name), servername: host === "localhost" ? host : undefined, ...options });
    socket.once("secureConnect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (e: Error & { code?: string }) => resolve(e.code ?? e.message));
  });
}

/** Our handshake's error against `name`, checked to have left no SSL object and no fd behind. */
function ourError(name: string, host: string, options: TlsConnectOptions): TlsError {
  const fds = openFdCount();
  const ssl = liveObjects().ssl;
  const e = errorOf(() => executor.blockOn(TlsStream.connect(at(name, host), options)));
  assert.ok(e instanceof TlsError, `a TlsError, got ${String(e)}`);
  assert.equal(liveObjects().ssl, ssl, "the SSL object was freed");
  assert.equal(openFdCount(), fds, "the socket was closed");
  return e;
}

const cases: {
  title: string;
  server: string;
  host?: string;
  ours: TlsConnectOptions;
  node: () => ConnectionOptions;
  code: string;
  reason: RegExp;
}[] = [
  {
    title: "default trust, a server whose CA is unknown (leaf only)",
    server: "leaf",
    ours: {},
    node: () => ({}),
    code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    reason: /unable to verify the first certificate/,
  },
  {
    title: "default trust, a server that sends its own root",
    server: "chain",
    ours: {},
    node: () => ({}),
    code: "SELF_SIGNED_CERT_IN_CHAIN",
    reason: /self.signed certificate in certificate chain/,
  },
  {
    title: "a self-signed server certificate",
    server: "self",
    ours: {},
    node: () => ({}),
    code: "DEPTH_ZERO_SELF_SIGNED_CERT",
    reason: /self.signed certificate/,
  },
  {
    title: "an expired certificate from a trusted CA (made with openssl ca -startdate/-enddate)",
    server: "expired",
    ours: {
      get ca() {
        return certs.ca;
      },
    },
    node: () => ({ ca: certs.ca }),
    code: "CERT_HAS_EXPIRED",
    reason: /certificate has expired/,
  },
  {
    title: "a trusted certificate for another host name",
    server: "other",
    ours: {
      get ca() {
        return certs.ca;
      },
    },
    node: () => ({ ca: certs.ca }),
    code: "ERR_TLS_CERT_ALTNAME_INVALID",
    reason: /hostname mismatch/,
  },
  {
    title: "a trusted certificate that does not hold the IP address dialled",
    server: "other",
    host: "127.0.0.1",
    ours: {
      get ca() {
        return certs.ca;
      },
    },
    node: () => ({ ca: certs.ca }),
    code: "ERR_TLS_CERT_ALTNAME_INVALID",
    reason: /IP address mismatch/,
  },
];

for (const c of cases) {
  test(`${c.title}: ${c.code}, the code Node's client gives`, async () => {
    const host = c.host ?? "localhost";
    const e = ourError(c.server, host, c.ours);
    assert.equal(e.code, c.code, e.message);
    assert.match(e.reason, c.reason);
    assert.match(e.message, new RegExp(`TLS handshake with ${host.replace(/\./g, "\\.")} failed`));
    assert.equal(await nodeCode(c.server, host, c.node()), c.code);
  });
}

test("a wrong `servername` on a good certificate is the altname error", () => {
  const e = ourError("leaf", "127.0.0.1", { ca: certs.ca, servername: "wrong.test" });
  assert.equal(e.code, "ERR_TLS_CERT_ALTNAME_INVALID");
  assert.match(e.message, /not valid for "wrong\.test"/);
});

test("rejectUnauthorized: false accepts the expired certificate too", () => {
  const r = executor.blockOn(httpsGet(at("expired"), "/hello/anyway", { rejectUnauthorized: false }));
  assert.equal(r.body.toString(), "anyway");
});

test("TLS 1.2 is the minimum: a server that stops at TLS 1.1 is refused", async () => {
  const e = ourError("old", "localhost", { ca: certs.ca });
  assert.match(e.code, /^ERR_SSL_/);
  assert.match(e.reason, /protocol version|unsupported protocol/);
  // Node's client refuses it as well, for the same reason.
  assert.match(await nodeCode("old", "localhost", { ca: certs.ca }), /^ERR_SSL_/);
});

test("a server that does not speak TLS: an OpenSSL error, not a hang", () => {
  const e = ourError("plain", "localhost", { ca: certs.ca });
  assert.match(e.code, /^ERR_SSL_/);
  assert.ok(e.reason.length > 0);
});

test("a server that hangs up during the handshake: unexpected end of stream, named so", () => {
  const e = ourError("hangup", "localhost", { ca: certs.ca });
  assert.equal(e.code, "ERR_SSL_UNEXPECTED_EOF_WHILE_READING");
  assert.match(e.message, /during the handshake/);
});

test("a `ca` with no certificate in it: ERR_TLS_INVALID_CA before any socket is opened", () => {
  const fds = openFdCount();
  for (const ca of ["not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]) {
    const e = errorOf(() => executor.blockOn(TlsStream.connect(at("leaf"), { ca })));
    assert.ok(e instanceof TlsError);
    assert.equal(e.code, "ERR_TLS_INVALID_CA", e.message);
  }
  assert.equal(openFdCount(), fds);
});

test("an invalid server name: ERR_TLS_INVALID_SERVERNAME, with nothing left open (a bad IP literal fails after connecting)", () => {
  const fds = openFdCount();
  for (const servername of ["", "a\0b", "x".repeat(300), "999.1.1.1", "1:2:3"]) {
    const e = errorOf(() => executor.blockOn(TlsStream.connect(at("leaf"), { ca: certs.ca, servername })));
    assert.equal(e.code, "ERR_TLS_INVALID_SERVERNAME", servername);
  }
  assert.equal(openFdCount(), fds);
  assert.equal(liveObjects().ssl, 0);
});

test("systemCa: true trusts the system store (here SSL_CERT_FILE, pointed at the test CA); without it, refused", () => {
  process.env.SSL_CERT_FILE = certs.caFile;
  try {
    assert.equal(ourError("leaf", "localhost", {}).code, "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    const r = executor.blockOn(httpsGet(at("leaf"), "/hello/system", { systemCa: true }));
    assert.equal(r.body.toString(), "system");
  } finally {
    delete process.env.SSL_CERT_FILE;
  }
});
