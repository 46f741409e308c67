/**
 * TLS client connections against node:tls servers in a child process, with certificates made by
 * the openssl command line: the bytes, what the server saw (SNI, ALPN, version), big transfers
 * both ways, half-close with close_notify, a handshake over a given TCP stream, a TLS stream in a
 * spawned thread, and the knobs (`servername`, `rejectUnauthorized`). Run once per reactor mode
 * by `tls-thread.test.ts` and `tls-inline.test.ts`.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request as httpsRequest } from "node:https";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  coroutine,
  wait,
  spawn,
  spawnThread,
  sleep,
  TcpStream,
  TlsStream,
  TlsError,
  IoError,
  NoopWaker,
  type Executor,
} from "../../src/index.js";
import { useHostsFile } from "../../src/net/dns/lookup.js";
import { liveObjects } from "../../src/sys/openssl.js";
import { openFdCount } from "../util/fds.js";
import { makeCertificates, type TestCertificates } from "../util/tls-certs.js";
import { startTlsServers, type TlsServers } from "../util/tls-server.js";
import { errorOf, httpsGet } from "../util/tls-client.js";

let certs: TestCertificates;
let servers: TlsServers;
const at = (name: string, host = "localhost"): string => `${host}:${servers.port(name)}`;

export function tlsSuite(executor: Executor, mode: string): void {
  const hostsDir = mkdtempSync(join(tmpdir(), "tls-hosts-"));
  const hostsPath = join(hostsDir, "hosts");
  /** Sets this thread's hosts file (`lookup` re-reads it on change). */
  const hosts = (...lines: string[]): void => writeFileSync(hostsPath, lines.join("\n") + "\n");
  before(async () => {
    hosts();
    useHostsFile(hostsPath);
    certs = makeCertificates();
    servers = await startTlsServers([
      { name: "leaf", kind: "tls", ...certs.leaf },
      { name: "other", kind: "tls", ...certs.otherName },
      { name: "self", kind: "tls", ...certs.selfSigned },
    ]);
  });
  after(async () => {
    useHostsFile("/etc/hosts");
    rmSync(hostsDir, { recursive: true, force: true });
    await servers.stop();
    certs.remove();
  });

  function nodeHttpsGet(url: string, ca: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      httpsRequest(url, { ca, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => resolve(Buffer.concat(chunks)));
      })
        .on("error", reject)
        .end();
    });
  }

  test("a certificate trusted through `ca`: the handshake passes and the bytes are the server's (as node:https reads them)", async () => {
    const path = "/hello/gr%C3%BC%C3%9Fe%20%F0%9F%94%92";
    const ours = executor.blockOn(httpsGet(at("leaf"), path, { ca: certs.ca }));
    assert.match(ours.head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal(ours.body.toString("utf8"), "grüße 🔒");
    assert.deepEqual(ours.body, await nodeHttpsGet(`https://${at("leaf")}${path}`, certs.ca));
    assert.equal(liveObjects().ssl, 0);
  });

  test("SNI carries the host name, ALPN settles on http/1.1, the version is TLS 1.2 or later", () => {
    const r = executor.blockOn(httpsGet(at("leaf"), "/info", { ca: certs.ca }));
    const seen = JSON.parse(r.body.toString()) as { servername: string | null; alpn: string | null; protocol: string; reused: boolean };
    assert.deepEqual(seen, { servername: "localhost", alpn: "http/1.1", protocol: r.protocol, reused: false });
    assert.equal(r.alpn, "http/1.1");
    assert.match(r.protocol, /^TLSv1\.[23]$/);
  });

  test("an IP literal is checked against the certificate's IP addresses and sends no SNI", () => {
    const r = executor.blockOn(httpsGet(at("leaf", "127.0.0.1"), "/info", { ca: certs.ca }));
    assert.equal((JSON.parse(r.body.toString()) as { servername: string | null }).servername, null);
  });

  test("`servername` names the host to check and to send, whatever address is dialled", () => {
    const r = executor.blockOn(httpsGet(at("other", "127.0.0.1"), "/info", { ca: certs.ca, servername: "other.test" }));
    assert.equal((JSON.parse(r.body.toString()) as { servername: string }).servername, "other.test");
  });

  test("a name from the hosts file is looked up, sent as SNI and checked against the certificate", () => {
    hosts("127.0.0.1 other.test wrong.test");
    const r = executor.blockOn(httpsGet(at("other", "other.test"), "/info", { ca: certs.ca }));
    assert.equal((JSON.parse(r.body.toString()) as { servername: string }).servername, "other.test");
    // The name dialled is the one checked, not the IP it resolved to.
    const e = errorOf(() => executor.blockOn(httpsGet(at("other", "wrong.test"), "/info", { ca: certs.ca })));
    assert.equal(e.code, "ERR_TLS_CERT_ALTNAME_INVALID", String(e));
  });

  test('an IP literal in brackets ({ host: "[127.0.0.1]" }) is an IP literal: checked against the IPs, no SNI', () => {
    const r = executor.blockOn(httpsGet({ host: "[127.0.0.1]", port: servers.port("leaf") }, "/info", { ca: certs.ca }));
    assert.equal((JSON.parse(r.body.toString()) as { servername: string | null }).servername, null);
  });

  test("a 4 MiB response arrives whole and in order", () => {
    const n = 4 * 1024 * 1024;
    const r = executor.blockOn(httpsGet(at("leaf"), `/big/${n}`, { ca: certs.ca }));
    assert.equal(r.body.length, n);
    for (let i = 0; i < n; i += 4093) assert.equal(r.body[i], i % 251, `byte ${i}`);
  });

  test("a 3 MiB upload goes out whole (writes past the socket buffer wait for writability) and comes back", () => {
    const upload = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < upload.length; i++) upload[i] = (i * 7) % 256;
    const r = executor.blockOn(httpsGet(at("leaf"), `/echo/${upload.length}`, { ca: certs.ca }, upload));
    assert.ok(r.body.equals(upload));
  });

  test("a reader task and a writer task share one stream: the reader waits while the writer uploads", () => {
    const size = 2 * 1024 * 1024;
    const upload = Buffer.alloc(size, 0x5a);
    const got = executor.blockOn(
      coroutine(function* () {
        const tls = yield* wait(TlsStream.connect(at("leaf"), { ca: certs.ca }));
        try {
          const writer = spawn(
            coroutine(function* () {
              yield* wait(tls.writeAll(Buffer.from(`GET /echo/${size} HTTP/1.1\r\nHost: localhost\r\n\r\n`)));
              yield* wait(tls.writeAll(upload));
            }),
          );
          let total = 0;
          const buf = new Uint8Array(65536);
          for (let n = yield* wait(tls.read(buf)); n > 0; n = yield* wait(tls.read(buf))) total += n;
          yield* wait(writer);
          return total;
        } finally {
          tls.close();
        }
      }),
    );
    assert.ok(got > size, `read ${got} bytes`);
  });

  test("shutdown() sends close_notify and half-closes: the response still arrives, then end of stream", () => {
    const text = executor.blockOn(
      coroutine(function* () {
        const tls = yield* wait(TlsStream.connect(at("leaf"), { ca: certs.ca }));
        try {
          yield* wait(tls.writeAll(Buffer.from("GET /hello/after-shutdown HTTP/1.1\r\nHost: localhost\r\n\r\n")));
          yield* wait(tls.shutdown());
          assert.throws(() => tls.write(Buffer.from("x")).poll(new NoopWaker()), /after TlsStream.shutdown/);
          const chunks: Buffer[] = [];
          const buf = new Uint8Array(4096);
          for (let n = yield* wait(tls.read(buf)); n > 0; n = yield* wait(tls.read(buf))) chunks.push(Buffer.from(buf.subarray(0, n)));
          assert.equal(yield* wait(tls.read(buf)), 0, "end of stream stays end of stream");
          return Buffer.concat(chunks).toString();
        } finally {
          tls.close();
        }
      }),
    );
    assert.match(text, /\r\n\r\nafter-shutdown$/);
  });

  test("rejectUnauthorized: false connects to a self-signed server (encrypted, not authenticated)", () => {
    const r = executor.blockOn(httpsGet(at("self"), "/hello/unverified", { rejectUnauthorized: false }));
    assert.equal(r.body.toString(), "unverified");
  });

  test("a closed stream refuses reads and writes; close() twice is a no-op and frees the SSL once", () => {
    const before = liveObjects().ssl;
    const tls = executor.blockOn(TlsStream.connect(at("leaf"), { ca: certs.ca }));
    assert.equal(liveObjects().ssl, before + 1);
    tls.close();
    tls.close();
    assert.equal(liveObjects().ssl, before);
    assert.equal(tls.isOpen, false);
    const canceled = (op: string) => (e: unknown) => e instanceof IoError && e.code === "ECANCELED" && e.syscall === op;
    assert.throws(() => tls.read(new Uint8Array(8)).poll(new NoopWaker()), canceled("read"));
    assert.throws(() => tls.write(new Uint8Array(8)).poll(new NoopWaker()), canceled("write"));
    assert.throws(() => tls.pollShutdown(new NoopWaker()), canceled("shutdown"));
    assert.throws(() => tls.protocol, canceled("protocol"));
  });

  test("close() while a task waits to read: that task fails with IoError ECANCELED, as on a TcpStream", () => {
    const e = errorOf(() =>
      executor.blockOn(
        coroutine(function* () {
          const tls = yield* wait(TlsStream.connect(at("leaf"), { ca: certs.ca }));
          // Nothing was asked: the server sends nothing, so the read waits until the close.
          spawn(
            coroutine(function* () {
              yield* wait(sleep(20));
              tls.close();
            }),
          );
          return yield* wait(tls.read(new Uint8Array(64)));
        }),
      ),
    );
    assert.ok(e instanceof IoError && e.code === "ECANCELED" && e.syscall === "read", String(e));
    assert.match(e.message, /TlsStream was closed/);
  });

  test("clientHandshake over a connected TcpStream; a failed one closes that stream", () => {
    const r = executor.blockOn(
      coroutine(function* () {
        const tcp = yield* wait(TcpStream.connect(at("leaf")));
        const tls = yield* wait(TlsStream.clientHandshake(tcp, { ca: certs.ca, servername: "localhost" }));
        tls.close();
        assert.equal(tcp.isOpen, false, "closing the TLS stream closes its TCP stream");
        return tls.servername;
      }),
    );
    assert.equal(r, "localhost");
    const fds = openFdCount();
    const e = errorOf(() =>
      executor.blockOn(
        coroutine(function* () {
          const tcp = yield* wait(TcpStream.connect(at("self")));
          return yield* wait(TlsStream.clientHandshake(tcp, { ca: certs.ca, servername: "localhost" }));
        }),
      ),
    );
    assert.ok(e instanceof TlsError && e.code === "DEPTH_ZERO_SELF_SIGNED_CERT", String(e));
    assert.equal(openFdCount(), fds);
    assert.equal(liveObjects().ssl, 0);
  });

  // Inline mode refuses spawnThread by design: the test is for the thread reactor.
  if (mode === "thread") {
    test("a TLS exchange in a spawned thread (its own OpenSSL bindings and contexts)", () => {
      const out = new SharedArrayBuffer(12);
      const h = spawnThread("tls-1", new URL("../util/tls-thread-program.js", import.meta.url), "exchange", at("leaf"), certs.ca, out);
      executor.blockOn(h.join());
      assert.deepEqual([...new Int32Array(out)], [1, 0, 1]);
    });
  }
}
