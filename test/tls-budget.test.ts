/**
 * The cooperative budget over TLS: each socket read spends one unit, spent by the TCP stream
 * under the TLS stream and nowhere else, so a TLS reader given one unit per poll still makes
 * progress (a unit spent twice per read would leave it spinning), and one fed by a fast server
 * yields as a plain reader does.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { init, coroutine, wait, timeout, TlsStream } from "reactor-executor";
import { Budgeted } from "./util/futures.js";
import { makeCertificates, type TestCertificates } from "./util/tls-certs.js";
import { startTlsServers, type TlsServers } from "./util/tls-server.js";

const executor = init();
let certs: TestCertificates;
let servers: TlsServers;

before(async () => {
  certs = makeCertificates();
  servers = await startTlsServers([{ name: "leaf", kind: "tls", ...certs.leaf }]);
});
after(async () => {
  await servers.stop();
  certs.remove();
});

test("one budget unit per poll is enough for a TLS reader: a 1 MiB response arrives whole, yielding after each socket read", () => {
  const size = 1024 * 1024;
  const { total, exhausted } = executor.blockOn(
    timeout(
      coroutine(function* () {
        const tls = yield* wait(TlsStream.connect(`localhost:${servers.port("leaf")}`, { ca: certs.ca }));
        try {
          yield* wait(tls.writeAll(Buffer.from(`GET /big/${size} HTTP/1.1\r\nHost: localhost\r\n\r\n`)));
          const buf = new Uint8Array(256 * 1024);
          // The whole read loop gets one unit per poll: it can read the socket once, then must yield.
          const reading = new Budgeted(
            coroutine(function* () {
              let total = 0;
              for (let n = yield* wait(tls.read(buf)); n > 0; n = yield* wait(tls.read(buf))) total += n;
              return total;
            }),
            1,
          );
          const total = yield* wait(reading);
          return { total, exhausted: reading.exhausted };
        } finally {
          tls.close();
        }
      }),
      20_000,
    ),
  );
  assert.ok(total > size, `read ${total} bytes`);
  assert.ok(exhausted > 10, `the reader yielded ${exhausted} times`);
});
