// `using` closes a TlsStream: its SSL object is freed and its socket closed when the block ends.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { init, coroutine, wait, TlsStream } from "../src/index.js";
import { liveObjects } from "../src/sys/openssl.js";
import { openFdCount } from "./util/fds.js";
import { makeCertificates, type TestCertificates } from "./util/tls-certs.js";
import { startTlsServers, type TlsServers } from "./util/tls-server.js";
import { httpsGet } from "./util/tls-client.js";

const executor = init();
let certs: TestCertificates;
let servers: TlsServers;

before(async () => {
  certs = makeCertificates();
  servers = await startTlsServers([{ name: "leaf", kind: "tls", ...certs.leaf }]);
  // One connection first, so the context cache and the reactor hold what they keep for good.
  executor.blockOn(httpsGet(`localhost:${servers.port("leaf")}`, "/hello/warm-up", { ca: certs.ca }));
});
after(async () => {
  await servers.stop();
  certs.remove();
});

test("using closes a TlsStream when the block ends: its SSL object freed, its socket closed", () => {
  const fds = openFdCount();
  const ssl = liveObjects().ssl;
  executor.blockOn(
    coroutine(function* () {
      using tls = yield* wait(TlsStream.connect(`localhost:${servers.port("leaf")}`, { ca: certs.ca }));
      assert.equal(liveObjects().ssl, ssl + 1);
      assert.equal(tls.protocol?.startsWith("TLS"), true);
    }),
  );
  assert.equal(liveObjects().ssl, ssl);
  assert.equal(openFdCount(), fds);
});
