/**
 * HTTPS through the keep-alive pool against a `node:https` server in a child process: 1,000
 * requests with every body checked and the live OpenSSL objects and fds back to the baseline,
 * session resumption on the next connection, a streamed body.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { init, coroutine, wait, spawn, HttpClient } from "../src/index.js";
import { liveObjects } from "../src/sys/openssl.js";
import { openFdCount } from "./util/fds.js";
import { startNodeServers, type NodeServers } from "./util/node-http.js";
import { makeCertificates, type TestCertificates } from "./util/tls-certs.js";

const executor = init();
let certs: TestCertificates;
let node: NodeServers;

before(async () => {
  certs = makeCertificates();
  node = await startNodeServers([{ name: "leaf", kind: "https", ...certs.leaf }]);
  // One exchange first, so the context cache holds what it keeps for good.
  const warm = new HttpClient();
  executor.blockOn(warm.request({ url: `${node.url("leaf")}/hello/warm`, tls: { ca: certs.ca } }));
  warm.close();
});
after(async () => {
  await node.stop();
  certs.remove();
});

test("1,000 HTTPS requests, 20 at a time, through 8 pooled connections: every body right, then nothing left", () => {
  const fds = openFdCount();
  const ctx = liveObjects().ctx;
  const client = new HttpClient({ maxConnectionsPerOrigin: 8 });
  const tls = { ca: certs.ca };
  const checked = executor.blockOn(
    coroutine(function* () {
      let next = 0;
      let checked = 0;
      const workers = Array.from({ length: 20 }, () =>
        spawn(
          coroutine(function* () {
            while (next < 1000) {
              const i = next++;
              const res = yield* wait(client.request({ url: `${node.url("leaf")}/hello/m${i}`, tls }));
              assert.equal(res.status, 200);
              assert.equal(res.text(), `m${i}`);
              checked++;
            }
          }),
        ),
      );
      for (const w of workers) yield* wait(w);
      return checked;
    }),
  );
  assert.equal(checked, 1000);
  const stats = client.stats();
  assert.ok(stats.opened <= 8, JSON.stringify(stats));
  assert.equal(stats.opened + stats.reused, 1000);
  assert.equal(liveObjects().ssl, stats.idle);
  client.close();
  assert.deepEqual(liveObjects(), { ssl: 0, ctx, session: 0 });
  assert.equal(openFdCount(), fds);
});

test("the next connection resumes the TLS session the pool kept (the server says so)", () => {
  const client = new HttpClient();
  const tls = { ca: certs.ca };
  const seen = executor.blockOn(
    coroutine(function* () {
      const first = (yield* wait(client.request({ url: `${node.url("leaf")}/info`, tls }))).text();
      // Close the connection, keep the session: the next request needs a new connection.
      client.closeIdle();
      const second = (yield* wait(client.request({ url: `${node.url("leaf")}/info`, tls }))).text();
      return [first, second].map((t) => JSON.parse(t) as { reused: boolean });
    }),
  );
  assert.deepEqual(
    seen.map((s) => s.reused),
    [false, true],
  );
  assert.equal(client.stats().opened, 2);
  assert.ok(liveObjects().session >= 1);
  client.close();
  assert.equal(liveObjects().session, 0, "close() frees the sessions");
  const off = new HttpClient({ maxCachedSessions: 0 });
  const again = executor.blockOn(
    coroutine(function* () {
      yield* wait(off.request({ url: `${node.url("leaf")}/info`, tls }));
      off.closeIdle();
      return JSON.parse((yield* wait(off.request({ url: `${node.url("leaf")}/info`, tls }))).text()) as { reused: boolean };
    }),
  );
  assert.equal(again.reused, false, "maxCachedSessions: 0 keeps none");
  off.close();
});

test("a streamed 8 MiB body over https arrives in pieces, whole, and the connection goes back to the pool", () => {
  const client = new HttpClient();
  const size = 8 * 1024 * 1024;
  const { total, pieces, bad } = executor.blockOn(
    coroutine(function* () {
      const res = yield* wait(client.send({ url: `${node.url("leaf")}/big/${size}`, tls: { ca: certs.ca } }));
      let total = 0;
      let pieces = 0;
      let bad = -1;
      for (let piece = yield* wait(res.read()); piece !== null; piece = yield* wait(res.read())) {
        for (let i = 0; i < piece.length; i += 997) if (piece[i] !== (total + i) % 251 && bad < 0) bad = total + i;
        total += piece.length;
        pieces++;
      }
      return { total, pieces, bad };
    }),
  );
  assert.equal(total, size);
  assert.equal(bad, -1);
  assert.ok(pieces > 10, `${pieces} pieces`);
  assert.equal(client.stats().idle, 1);
  client.close();
});
