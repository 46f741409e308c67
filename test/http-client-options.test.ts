/**
 * The HTTP client's options and edges that need no server: bad limits refused, a closed client
 * refusing requests, the default client made again after it is closed, and where `https://`
 * URLs go (port 443 by default, brackets off an IPv6 host for TLS).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Http, HttpClient, RuntimeError } from "reactor-executor";
import { resolveTarget } from "../src/http/target.js";

test("limits must be whole numbers in range (or Infinity); bad ones are a RangeError at construction", () => {
  for (const bad of [0, -1, 1.5, NaN]) {
    assert.throws(() => new HttpClient({ maxConnectionsPerOrigin: bad }), RangeError, String(bad));
  }
  assert.throws(() => new HttpClient({ idleTimeoutMs: -1 }), RangeError);
  assert.throws(() => new HttpClient({ maxCachedSessions: 0.5 }), RangeError);
  const unlimited = new HttpClient({ maxConnectionsPerOrigin: Infinity, idleTimeoutMs: 0, maxCachedSessions: 0 });
  unlimited.close();
});

test("a closed client refuses requests with RuntimeError; the default client is made again after close()", () => {
  const client = new HttpClient();
  client.close();
  client.close();
  assert.equal(client.isClosed, true);
  assert.throws(() => client.request({ url: "http://127.0.0.1:1/x" }), RuntimeError);
  assert.throws(() => client.send({ url: "http://127.0.0.1:1/x" }), RuntimeError);
  const first = Http.defaultClient();
  assert.equal(Http.defaultClient(), first, "one per thread");
  first.close();
  const second = Http.defaultClient();
  assert.notEqual(second, first);
  assert.equal(second.isClosed, false);
});

test("https:// URLs: port 443 by default, the host without brackets for TLS, the Host header as written", () => {
  assert.deepEqual(resolveTarget("https://example.com/a?b"), {
    scheme: "https",
    address: "example.com:443",
    hostname: "example.com",
    host: "example.com",
    path: "/a?b",
    authorization: undefined,
  });
  const v6 = resolveTarget("https://[::1]:8443/");
  assert.equal(v6.address, "[::1]:8443");
  assert.equal(v6.hostname, "::1");
  assert.equal(v6.host, "[::1]:8443");
  assert.equal(resolveTarget("http://example.com/").address, "example.com:80");
  // (target.ts from the sources: its RuntimeError is that copy's class, so it is checked by name.)
  assert.throws(() => resolveTarget("ws://example.com/"), { name: "RuntimeError", message: /use http:\/\/ or https:\/\// });
});
