/**
 * Streamed bodies (`Http.stream`, `HttpClient.send`) against `node:http` servers in a child
 * process: pieces as they arrive, the whole body through `text()`/`bytes()`/`json()`, no size
 * limit by default (a buffered body has one), a body given up or read to its end and what that
 * does to the connection, `for await` from Promise code, and `signal` on both entries.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  init,
  coroutine,
  wait,
  spawn,
  sleep,
  toPromise,
  Http,
  HttpClient,
  HttpParseError,
  NoopWaker,
  RuntimeError,
  type Future,
} from "reactor-executor";
import { openFdCount } from "./util/fds.js";
import { startNodeServers, type NodeServers } from "./util/node-http.js";

const executor = init();
let node: NodeServers;
let base: string;

before(async () => {
  node = await startNodeServers([{ name: "plain", kind: "http" }]);
  base = node.url("plain");
});
after(async () => {
  Http.defaultClient().close();
  await node.stop();
});

function failure(f: Future<unknown>): Error {
  try {
    executor.blockOn(f);
  } catch (e) {
    return e as Error;
  }
  assert.fail("expected an error");
}

test("read() hands out each piece as it arrives: the first long before the body ends", () => {
  const { pieces, firstMs, lastMs } = executor.blockOn(
    coroutine(function* () {
      const t0 = performance.now();
      const res = yield* wait(Http.stream({ url: `${base}/drip/5/150` }));
      assert.equal(res.status, 200);
      assert.throws(() => res.trailers, RuntimeError, "the trailers come after the body");
      assert.equal(res.headers.get("transfer-encoding"), "chunked");
      const pieces: string[] = [];
      let firstMs = 0;
      for (let piece = yield* wait(res.read()); piece !== null; piece = yield* wait(res.read())) {
        if (pieces.length === 0) firstMs = performance.now() - t0;
        pieces.push(Buffer.from(piece).toString());
      }
      assert.equal(res.ended, true);
      assert.equal(yield* wait(res.read()), null, "the end stays the end");
      return { pieces, firstMs, lastMs: performance.now() - t0 };
    }),
  );
  assert.equal(pieces.join(""), "piece0;piece1;piece2;piece3;piece4;");
  assert.ok(pieces.length >= 3, `${pieces.length} pieces`);
  assert.ok(firstMs < 300 && lastMs >= 590, `first ${firstMs} ms, last ${lastMs} ms`);
});

test("text(), bytes() and json() read the rest whole; trailers once the end is read", () => {
  const out = executor.blockOn(
    coroutine(function* () {
      const a = yield* wait(Http.stream({ url: `${base}/chunked/3` }));
      const text = yield* wait(a.text());
      const trailers = a.trailers.get("x-none");
      const b = yield* wait(Http.stream({ url: `${base}/big/300000` }));
      const bytes = yield* wait(b.bytes());
      const c = yield* wait(Http.stream({ url: `${base}/hello/${encodeURIComponent(JSON.stringify({ a: [1, 2] }))}` }));
      const json = yield* wait(c.json<{ a: number[] }>());
      return { text, trailers, length: bytes.length, last: bytes[299_999], json };
    }),
  );
  assert.deepEqual(out, { text: "c0;c1;c2;", trailers: undefined, length: 300_000, last: 299_999 % 251, json: { a: [1, 2] } });
});

test("a streamed body has no size limit by default; a buffered one stops at 64 MiB; maxBodyBytes limits either", () => {
  const size = 70 * 1024 * 1024;
  const streamed = executor.blockOn(
    coroutine(function* () {
      const res = yield* wait(Http.stream({ url: `${base}/big/${size}` }));
      let total = 0;
      for (let piece = yield* wait(res.read()); piece !== null; piece = yield* wait(res.read())) total += piece.length;
      return total;
    }),
  );
  assert.equal(streamed, size);
  const buffered = failure(Http.request({ url: `${base}/big/${size}` }));
  assert.ok(buffered instanceof HttpParseError, String(buffered));
  assert.match(buffered.message, /body exceeds 67108864 bytes/);
  const limited = failure(
    coroutine(function* () {
      const res = yield* wait(Http.stream({ url: `${base}/big/${size}`, maxBodyBytes: 1000 }));
      return yield* wait(res.bytes());
    }),
  );
  assert.ok(limited instanceof HttpParseError, String(limited));
});

test("a body read to its end gives its connection back; one closed halfway closes it", () => {
  const client = new HttpClient();
  const fds = openFdCount();
  executor.blockOn(
    coroutine(function* () {
      const whole = yield* wait(client.send({ url: `${base}/big/200000` }));
      yield* wait(whole.bytes());
      assert.equal(client.stats().idle, 1, "read to its end: back in the pool");
      const half = yield* wait(client.send({ url: `${base}/big/5000000` }));
      assert.equal(client.stats().idle, 0);
      assert.ok((yield* wait(half.read())) !== null);
      half.close();
      half.close();
      assert.throws(() => half.read().poll(new NoopWaker()), RuntimeError);
      assert.equal(client.stats().idle, 0, "given up halfway: closed, not kept");
      const next = yield* wait(client.request({ url: `${base}/hello/next` }));
      assert.equal(next.text(), "next");
    }),
  );
  assert.deepEqual(client.stats(), { opened: 2, reused: 1, retried: 0, idle: 1 });
  client.close();
  assert.equal(openFdCount(), fds);
});

test("`using` closes a response that goes out of scope unread; a body that came with the head needs no close", () => {
  const client = new HttpClient();
  executor.blockOn(
    coroutine(function* () {
      {
        using res = yield* wait(client.send({ url: `${base}/big/5000000` }));
        assert.equal(res.status, 200);
      }
      const head = yield* wait(client.send({ method: "HEAD", url: `${base}/hello/x` }));
      assert.equal(head.ended, true);
      assert.equal(yield* wait(head.read()), null);
    }),
  );
  assert.deepEqual(client.stats(), { opened: 2, reused: 0, retried: 0, idle: 1 });
  client.close();
});

test("one read at a time: a second read while one waits is a RuntimeError", () => {
  const e = failure(
    coroutine(function* () {
      const res = yield* wait(Http.stream({ url: `${base}/drip/3/200` }));
      try {
        assert.ok((yield* wait(res.read())) !== null);
        // The next piece is 200 ms away: this read waits for it.
        spawn(res.read());
        yield* wait(sleep(10));
        return yield* wait(res.read());
      } finally {
        res.close();
      }
    }),
  );
  assert.ok(e instanceof RuntimeError && /another read is in progress/.test(e.message), String(e));
});

test("Promise code: for await over the pieces; leaving the loop early closes the response", async () => {
  const client = new HttpClient();
  const res = await toPromise(client.send({ url: `${base}/drip/4/30` }));
  let text = "";
  for await (const piece of res) text += Buffer.from(piece).toString();
  assert.equal(text, "piece0;piece1;piece2;piece3;");
  const early = await toPromise(client.send({ url: `${base}/drip/50/20` }));
  for await (const piece of early) {
    assert.ok(piece.length > 0);
    break;
  }
  assert.equal(early.ended, true);
  assert.deepEqual(client.stats(), { opened: 1, reused: 1, retried: 0, idle: 0 }, "the connection left halfway was closed");
  const next = await toPromise(client.request({ url: `${base}/hello/next` }));
  assert.equal(next.text(), "next");
  assert.equal(client.stats().opened, 2);
  client.close();
});

test("signal: an abort fails the request (or the body read in progress) with its reason and closes the connection", () => {
  const client = new HttpClient();
  const fds = openFdCount();
  const before = failure(
    coroutine(function* () {
      const ac = new AbortController();
      spawn(
        coroutine(function* () {
          yield* wait(sleep(50));
          ac.abort();
        }),
      );
      return yield* wait(client.request({ url: `${base}/slow/5000/late`, signal: ac.signal }));
    }),
  );
  assert.equal(before.name, "AbortError");
  const during = failure(
    coroutine(function* () {
      const ac = new AbortController();
      const res = yield* wait(client.send({ url: `${base}/drip/100/50`, signal: ac.signal }));
      assert.ok((yield* wait(res.read())) !== null);
      spawn(
        coroutine(function* () {
          yield* wait(sleep(30));
          ac.abort(new Error("enough"));
        }),
      );
      try {
        for (;;) if ((yield* wait(res.read())) === null) return "the end";
      } catch (e) {
        assert.equal(res.ended, true);
        // Every later read says the same.
        assert.throws(
          () => res.read().poll(new NoopWaker()),
          (again: unknown) => again === e,
        );
        throw e;
      }
    }),
  );
  assert.equal(during.message, "enough");
  const already = new AbortController();
  already.abort();
  assert.equal(failure(Http.get(`${base}/hello/x`, { signal: already.signal })).name, "AbortError");
  assert.equal(client.stats().idle, 0);
  client.close();
  assert.equal(openFdCount(), fds);
});
