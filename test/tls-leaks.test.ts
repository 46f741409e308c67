/**
 * What TLS leaves behind on every path: truncation without close_notify is an error (after the
 * bytes that did arrive), a stalled handshake ends by `timeout` with its SSL object and socket
 * freed, and many connections, sequential and concurrent, bring the live-object count and the fd
 * count back to where they started.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { init, coroutine, wait, joinAll, timeout, TlsStream, TlsError, TimeoutError } from "../src/index.js";
import { liveObjects } from "../src/sys/openssl.js";
import { clearContextCache } from "../src/tls/context.js";
import { openFdCount } from "./util/fds.js";
import { makeCertificates, type TestCertificates } from "./util/tls-certs.js";
import { startTlsServers, type TlsServers } from "./util/tls-server.js";
import { errorOf, httpsGet } from "./util/tls-client.js";

const executor = init();
let certs: TestCertificates;
let servers: TlsServers;
const at = (name: string): string => `localhost:${servers.port(name)}`;

before(async () => {
  certs = makeCertificates();
  servers = await startTlsServers([
    { name: "leaf", kind: "tls", ...certs.leaf },
    { name: "silent", kind: "silent" },
  ]);
  // One connection first, so the context cache and the reactor hold what they keep for good.
  executor.blockOn(httpsGet(at("leaf"), "/hello/warm-up", { ca: certs.ca }));
});
after(async () => {
  await servers.stop();
  certs.remove();
});

test("a response cut off without close_notify: the bytes that came, then ERR_SSL_UNEXPECTED_EOF_WHILE_READING, again on every read", () => {
  const fds = openFdCount();
  const seen: string[] = [];
  const e = errorOf(() =>
    executor.blockOn(
      coroutine(function* () {
        const tls = yield* wait(TlsStream.connect(at("leaf"), { ca: certs.ca }));
        try {
          yield* wait(tls.writeAll(Buffer.from("GET /truncate HTTP/1.1\r\nHost: localhost\r\n\r\n")));
          const buf = new Uint8Array(4096);
          for (;;) {
            const n = yield* wait(tls.read(buf));
            seen.push(Buffer.from(buf.subarray(0, n)).toString());
            if (n === 0) return "a short success";
          }
        } catch (first) {
          const tls2 = tls;
          const again = errorOf(() => tls2.read(new Uint8Array(8)).poll({ wake() {}, consumeBudget: () => true }));
          assert.equal(again, first, "the failure is kept");
          throw first;
        } finally {
          tls.close();
        }
      }),
    ),
  );
  assert.ok(e instanceof TlsError, String(e));
  assert.equal(e.code, "ERR_SSL_UNEXPECTED_EOF_WHILE_READING");
  assert.match(e.message, /ended without close_notify/);
  assert.match(seen.join(""), /Content-Length: 1000\r\n\r\n0123456789$/);
  assert.equal(liveObjects().ssl, 0);
  assert.equal(openFdCount(), fds);
});

test("a server that stalls the handshake: timeout() ends it, and the SSL object and socket are freed", () => {
  const fds = openFdCount();
  const t0 = performance.now();
  const e = errorOf(() => executor.blockOn(timeout(TlsStream.connect(at("silent"), { ca: certs.ca }), 300)));
  assert.ok(e instanceof TimeoutError, String(e));
  assert.ok(performance.now() - t0 >= 290);
  assert.equal(liveObjects().ssl, 0, "the SSL object of the abandoned handshake was freed");
  assert.equal(openFdCount(), fds, "its socket was closed");
});

test("200 sequential connections: live SSL objects and open fds back to the baseline, one cached context", () => {
  const fds = openFdCount();
  const ctx = liveObjects().ctx;
  executor.blockOn(
    coroutine(function* () {
      for (let i = 0; i < 200; i++) {
        const r = yield* wait(httpsGet(at("leaf"), `/hello/n${i}`, { ca: certs.ca }));
        assert.equal(r.body.toString(), `n${i}`);
      }
    }),
  );
  assert.deepEqual(liveObjects(), { ssl: 0, ctx, session: 0 });
  assert.equal(openFdCount(), fds);
});

test("50 concurrent connections on one thread (one OpenSSL error queue): all bodies right, nothing left", () => {
  const fds = openFdCount();
  const bodies = executor.blockOn(
    joinAll(Array.from({ length: 50 }, (_, i) => httpsGet(at("leaf"), `/big/${1000 + i * 997}`, { ca: certs.ca }))),
  );
  bodies.forEach((r, i) => assert.equal(r.body.length, 1000 + i * 997));
  assert.equal(liveObjects().ssl, 0);
  assert.equal(openFdCount(), fds);
});

test("50 concurrent handshakes dropped halfway by timeout(): every SSL object and socket freed", () => {
  const fds = openFdCount();
  const e = errorOf(() =>
    executor.blockOn(timeout(joinAll(Array.from({ length: 50 }, () => TlsStream.connect(at("silent"), { ca: certs.ca }))), 200)),
  );
  assert.ok(e instanceof TimeoutError);
  assert.equal(liveObjects().ssl, 0);
  assert.equal(openFdCount(), fds);
});

test("contexts are freed exactly once: clearing the cache brings the context count to zero", () => {
  assert.ok(liveObjects().ctx >= 1);
  clearContextCache();
  assert.deepEqual(liveObjects(), { ssl: 0, ctx: 0, session: 0 });
  clearContextCache();
  assert.deepEqual(liveObjects(), { ssl: 0, ctx: 0, session: 0 });
  // A new connection makes a new one.
  executor.blockOn(httpsGet(at("leaf"), "/hello/again", { ca: certs.ca }));
  assert.deepEqual(liveObjects(), { ssl: 0, ctx: 1, session: 0 });
});

test("more distinct `ca` sets than the cache holds: the oldest contexts are freed, the count stays bounded", () => {
  clearContextCache();
  for (let i = 0; i < 12; i++) {
    // The same CA, made distinct by a comment line: a different key each time.
    executor.blockOn(httpsGet(at("leaf"), "/hello/x", { ca: `# ${i}\n${certs.ca}` }));
  }
  assert.deepEqual(liveObjects(), { ssl: 0, ctx: 8, session: 0 });
});
