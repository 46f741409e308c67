/**
 * Which OpenSSL is loaded, and what happens when none can be: by default the one inside Node
 * (the version Node reports), never mixed with the system's; `REACTOR_EXECUTOR_LIBSSL` loads the
 * system's libssl deep-bound (checked with the dynamic linker's own trace: none of its symbols
 * bind to `node`), and pointed at a missing file gives an error that says what to install while
 * plain TCP and HTTP keep working. The child processes run the same Node as this test.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { init, coroutine, wait, join as joinFutures, sleep, TlsStream } from "../src/index.js";
import { openSslLib, liveObjects } from "../src/sys/openssl.js";
import { errorOf, httpsGet } from "./util/tls-client.js";
import { LIBSSL_ENV } from "../src/sys/openssl-lib.js";
import { runModule } from "./util/run-child.js";
import { makeCertificates, type TestCertificates } from "./util/tls-certs.js";
import { startTlsServers, type TlsServers } from "./util/tls-server.js";
import { startTestServer, type TestServer } from "./util/test-server.js";

/** Debian's (this machine's and CI's) OpenSSL 3, the one `openssl` the tests' certificates come from. */
const SYSTEM_LIBSSL = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
const dist = (f: string): string => new URL(`../src/${f}`, import.meta.url).href;

let certs: TestCertificates;
let servers: TlsServers;
let plain: TestServer;

before(async () => {
  certs = makeCertificates();
  servers = await startTlsServers([
    { name: "leaf", kind: "tls", ...certs.leaf },
    { name: "plain", kind: "plain" },
  ]);
  plain = await startTestServer();
});
after(async () => {
  await servers.stop();
  await plain.stop();
  certs.remove();
});

/** A child program: one verified TLS exchange, then what it loaded, as a JSON line. */
function tlsProgram(): string {
  return `
    import { init, TlsStream, coroutine, wait } from ${JSON.stringify(dist("index.js"))};
    import { openSslLib, liveObjects } from ${JSON.stringify(dist("sys/openssl.js"))};
    import { readFileSync } from "node:fs";
    const ex = init();
    const body = ex.blockOn(coroutine(function* () {
      const tls = yield* wait(TlsStream.connect("localhost:${servers.port("leaf")}", { ca: ${JSON.stringify(certs.ca)} }));
      yield* wait(tls.writeAll(Buffer.from("GET /hello/loaded HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n")));
      const buf = new Uint8Array(4096); let text = "";
      for (let n = yield* wait(tls.read(buf)); n > 0; n = yield* wait(tls.read(buf))) text += Buffer.from(buf.subarray(0, n)).toString();
      tls.close();
      return text.slice(text.indexOf("\\r\\n\\r\\n") + 4);
    }));
    const lib = openSslLib();
    const libsslMapped = readFileSync("/proc/self/maps", "utf8").includes("libssl.so");
    console.log(JSON.stringify({ body, version: lib.version, source: lib.source, live: liveObjects(), libsslMapped }));
  `;
}

/** The dynamic linker's bindings of OpenSSL's libraries, by the file each symbol was bound to. */
function opensslBindings(traceDir: string): Map<string, number> {
  const targets = new Map<string, number>();
  for (const f of readdirSync(traceDir)) {
    for (const m of readFileSync(join(traceDir, f), "utf8").matchAll(/binding file \S*lib(?:ssl|crypto)\.so\.3 \[\d+\] to (\S+) \[/g)) {
      targets.set(m[1]!, (targets.get(m[1]!) ?? 0) + 1);
    }
  }
  return targets;
}

test("by default the OpenSSL inside Node is used: the version Node reports", () => {
  const lib = openSslLib();
  assert.equal(lib.source, "node");
  assert.ok(lib.version.startsWith(`OpenSSL ${process.versions.openssl}`), `${lib.version} vs ${process.versions.openssl}`);
  assert.deepEqual(liveObjects(), { ssl: 0, ctx: 0, session: 0 });
});

test(`${LIBSSL_ENV} at a missing file: a clear error naming what to install; plain TCP/HTTP keep working`, async () => {
  const missing = "/nonexistent/libssl.so.3";
  const r = await runModule(
    `
    import { init, TlsStream, TlsError, Http } from ${JSON.stringify(dist("index.js"))};
    import { readdirSync } from "node:fs";
    const ex = init();
    const fds = readdirSync("/proc/self/fd").length;
    const errors = [];
    for (let i = 0; i < 2; i++) {
      try { ex.blockOn(TlsStream.connect("localhost:${servers.port("leaf")}")); errors.push("connected?"); }
      catch (e) { errors.push({ tls: e instanceof TlsError, code: e.code, message: e.message }); }
    }
    const fdsAfter = readdirSync("/proc/self/fd").length;
    const text = ex.blockOn(Http.get("/0/still%20fine", { port: ${plain.port} }));
    console.log(JSON.stringify({ errors, fds, fdsAfter, body: text.slice(text.indexOf("\\r\\n\\r\\n") + 4) }));
    `,
    { env: { [LIBSSL_ENV]: missing } },
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    errors: { tls: boolean; code: string; message: string }[];
    fds: number;
    fdsAfter: number;
    body: string;
  };
  for (const e of out.errors) {
    assert.equal(e.tls, true);
    assert.equal(e.code, "ERR_TLS_OPENSSL_UNAVAILABLE");
    assert.match(e.message, new RegExp(`${missing.replace(/\./g, "\\.")} \\(from ${LIBSSL_ENV}\\) could not be loaded`));
    assert.match(e.message, /apt-get install libssl3/);
    assert.match(e.message, /nodejs\.org/);
  }
  assert.equal(out.fdsAfter, out.fds, "no socket was opened for a TLS connection that could not start");
  assert.equal(out.body, "still fine");
});

test(`${LIBSSL_ENV} at the system's libssl: loaded deep-bound, works, and none of its symbols bind to node`, async () => {
  assert.ok(existsSync(SYSTEM_LIBSSL), `${SYSTEM_LIBSSL} (Debian's libssl3, which the openssl command needs too)`);
  const systemVersion = execFileSync("openssl", ["version"], { encoding: "utf8" }).split(" ")[1]!;
  const trace = mkdtempSync(join(tmpdir(), "re-ld-"));
  try {
    const r = await runModule(tlsProgram(), {
      env: { [LIBSSL_ENV]: SYSTEM_LIBSSL, LD_DEBUG: "bindings", LD_DEBUG_OUTPUT: join(trace, "ld") },
    });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { body: string; version: string; source: string; live: { ssl: number }; libsslMapped: boolean };
    assert.equal(out.body, "loaded");
    assert.equal(out.libsslMapped, true);
    assert.equal(out.source, SYSTEM_LIBSSL);
    assert.ok(out.version.startsWith(`OpenSSL ${systemVersion}`), out.version);
    assert.equal(out.live.ssl, 0);
    const targets = opensslBindings(trace);
    const intoLibcrypto = [...targets].filter(([to]) => to.endsWith("/libcrypto.so.3")).reduce((sum, [, n]) => sum + n, 0);
    assert.ok(intoLibcrypto > 100, `libssl binds to its own libcrypto: ${JSON.stringify([...targets])}`);
    const intoNode = [...targets].filter(([to]) => !to.includes(".so"));
    assert.deepEqual(intoNode, [], "no OpenSSL symbol bound to the node binary");
  } finally {
    rmSync(trace, { recursive: true, force: true });
  }
});

test("the trace above can see a mix: the same library loaded without deep binding binds into node", async () => {
  const trace = mkdtempSync(join(tmpdir(), "re-ld-"));
  try {
    const koffi = JSON.stringify(new URL("../../node_modules/koffi/index.js", import.meta.url).href);
    const r = await runModule(`import koffi from ${koffi}; koffi.load(${JSON.stringify(SYSTEM_LIBSSL)});`, {
      env: { LD_DEBUG: "bindings", LD_DEBUG_OUTPUT: join(trace, "ld") },
    });
    assert.equal(r.code, 0, r.stderr);
    const intoNode = [...opensslBindings(trace)].filter(([to]) => !to.includes(".so"));
    assert.ok(intoNode.length > 0 && intoNode[0]![1] > 100, `expected libssl bound into node: ${JSON.stringify(intoNode)}`);
  } finally {
    rmSync(trace, { recursive: true, force: true });
  }
});

test("the default OpenSSL in a child process: the same exchange, Node's version, no other libssl loaded", async () => {
  const r = await runModule(tlsProgram());
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { body: string; version: string; source: string; libsslMapped: boolean };
  assert.deepEqual([out.body, out.source], ["loaded", "node"]);
  // A Node built against a shared libssl would map it here, and that would be the one in use.
  assert.equal(out.libsslMapped, process.config.variables.node_shared_openssl === true);
  assert.ok(out.version.startsWith(`OpenSSL ${process.versions.openssl}`));
});

test("OpenSSL's per-thread error queue: a stale error left by other code does not fail a TLS call; ours leave none", () => {
  const executor = init();
  const lib = openSslLib();
  const leaveStaleError = (): void => {
    // Reading a certificate from an empty BIO queues "no start line" and leaves it there.
    const bio = lib.BIO_new(lib.BIO_s_mem());
    lib.PEM_read_bio_X509(bio, 0, 0, 0);
    lib.BIO_free(bio);
  };
  // Another task on the thread leaves an error every millisecond while the exchange runs, so
  // stale errors sit in the queue between the exchange's own OpenSSL calls.
  let running = true;
  const polluter = coroutine(function* () {
    let n = 0;
    for (; running; n++) {
      leaveStaleError();
      yield* wait(sleep(1));
    }
    return n;
  });
  const exchange = coroutine(function* () {
    yield* wait(sleep(3));
    try {
      return yield* wait(httpsGet(`localhost:${servers.port("leaf")}`, "/big/3000000", { ca: certs.ca }));
    } finally {
      running = false;
    }
  });
  const [r, polluted] = executor.blockOn(joinFutures(exchange, polluter));
  assert.equal(r.body.length, 3000000);
  assert.ok(polluted >= 3, `${polluted} stale errors left`);
  assert.equal(lib.ERR_get_error(), 0, "a successful exchange leaves the queue empty");
  const e = errorOf(() => executor.blockOn(TlsStream.connect(`localhost:${servers.port("plain")}`, { ca: certs.ca })));
  assert.match(e.code ?? "", /^ERR_SSL_/);
  assert.equal(lib.ERR_get_error(), 0, "a failed handshake empties the queue it filled");
});
