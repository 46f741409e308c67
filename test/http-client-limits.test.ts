// The client against hostile and odd servers (issue 12): bounded memory whatever the chunking, a
// limit on interim responses, a read loop that spends the task's budget so timeoutMs fires,
// Http.get's size limit and parse, and the odds and ends of the client's API (blank lines around
// interim responses, Set-Cookie, credentials in the URL, addresses in I/O errors, host/port).
// The servers run in a child process (util/test-server-child); clients that could run away on
// a regression run in their own child process too, with a time limit.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { init, Http, HttpParseError, IoError, TcpListener, TimeoutError } from "reactor-executor";
import { Budgeted } from "./util/futures.js";
import { runModule, type ChildResult } from "./util/run-child.js";
import { startTestServer, type TestServer } from "./util/test-server.js";

const executor = init();
let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

function failure(f: Parameters<typeof executor.blockOn>[0]): Error {
  try {
    executor.blockOn(f);
  } catch (e) {
    return e as Error;
  }
  assert.fail("no error");
}

/** Runs `body` (statements, with `port` and the runtime's names in scope) in a child; parses its last stdout line. */
async function client(body: string, options: { timeoutMs: number; heapMiB?: number }): Promise<{ out: unknown; r: ChildResult }> {
  const r = await runModule(
    `
    import { init, coroutine, wait, spawn, timeout, yieldNow, Http } from "reactor-executor";
    import { Budgeted } from "./dist/test/util/futures.js";
    const port = ${server.port};
    const url = (path) => "http://127.0.0.1:" + port + path;
    const executor = init();
    const result = (() => { ${body} })();
    console.log(JSON.stringify(result));
    `,
    {
      timeoutMs: options.timeoutMs,
      ...(options.heapMiB === undefined ? {} : { env: { NODE_OPTIONS: `--max-old-space-size=${options.heapMiB}` } }),
    },
  );
  assert.ok(!r.timedOut, `the client did not finish within ${options.timeoutMs} ms`);
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  return { out: JSON.parse(r.stdout.trim().split("\n").at(-1)!) as unknown, r };
}

test("3,000,000 one-byte chunks through Http.request in a 256 MiB heap", async () => {
  const { out } = await client(
    `
    const res = executor.blockOn(Http.request({ url: url("/one-byte-chunks/3000000") }));
    return [res.status, res.body.length, res.body.every((b) => b === 120)];
    `,
    { timeoutMs: 120_000, heapMiB: 256 },
  );
  assert.deepEqual(out, [200, 3_000_000, true]);
});

test("endless 100 Continue: an HttpParseError after 32 interim responses, not a spin", async () => {
  const { out } = await client(
    `
    try { executor.blockOn(Http.request({ url: url("/endless/1xx"), timeoutMs: 60000 })); return "no error"; }
    catch (e) { return [e.name, e.message]; }
    `,
    { timeoutMs: 30_000 },
  );
  assert.deepEqual(out, ["HttpParseError", "more than 32 interim (1xx) responses"]);
});

test("an endless body: the read loop spends the task's budget, so timeoutMs fires and other tasks run", async () => {
  // Budgeted gives the request the cooperative budget a task gives its futures.
  const { out } = await client(
    `
    return executor.blockOn(coroutine(function* () {
      let turns = 0;
      let stop = false;
      const other = spawn(coroutine(function* () { while (!stop) { yield* wait(yieldNow()); turns++; } }));
      const request = new Budgeted(Http.request({ url: url("/endless/chunks"), maxBodyBytes: 2 ** 40 }), 128);
      const t0 = performance.now();
      let error;
      try { yield* wait(timeout(request, 1000)); } catch (e) { error = e.name; }
      const ms = performance.now() - t0;
      stop = true;
      yield* wait(other);
      return [error, ms < 10000, turns > 1];
    }));
    `,
    { timeoutMs: 60_000, heapMiB: 256 },
  );
  assert.deepEqual(out, ["TimeoutError", true, true]);
});

test("an endless body under a plain blockOn task: timeoutMs fires and other tasks run", async () => {
  const { out } = await client(
    `
      return executor.blockOn(coroutine(function* () {
        let turns = 0;
        let stop = false;
        const other = spawn(coroutine(function* () { while (!stop) { yield* wait(yieldNow()); turns++; } }));
        let error;
        try { yield* wait(Http.request({ url: url("/endless/chunks"), timeoutMs: 1000, maxBodyBytes: 2 ** 40 })); } catch (e) { error = e.name; }
        stop = true;
        yield* wait(other);
        return [error, turns > 1];
      }));
      `,
    { timeoutMs: 20_000, heapMiB: 256 },
  );
  assert.deepEqual(out, ["TimeoutError", true]);
});

test("Http.get has a size limit (maxBodyBytes, default 64 MiB) against an endless body", async () => {
  const { out } = await client(
    `
    const outcome = (options) => { try { executor.blockOn(Http.get("/endless/close", { port, ...options })); return "no error"; } catch (e) { return [e.name, e.message]; } };
    return [outcome({ maxBodyBytes: 1 << 20 }), outcome({})];
    `,
    { timeoutMs: 60_000, heapMiB: 256 },
  );
  assert.deepEqual(out, [
    ["HttpParseError", "body exceeds 1048576 bytes"],
    ["HttpParseError", "body exceeds 67108864 bytes"],
  ]);
});

test("Http.get parses what it returns: a reply that is not HTTP, or truncated, is an error", () => {
  const garbage = failure(Http.get("/raw/garbage", { port: server.port }));
  assert.ok(garbage instanceof HttpParseError, String(garbage));
  assert.equal(garbage.message, 'malformed status line: "SSH-2.0-OpenSSH_9.6"');
  const truncated = failure(Http.get("/raw/truncated-body", { port: server.port }));
  assert.ok(truncated instanceof HttpParseError, String(truncated));
  assert.equal(truncated.message, "connection closed after 10 of 100 body bytes");
  // A good response is still the whole text, as the book's HttpGetFuture returns it.
  const text = executor.blockOn(Http.get("/chunked/two%20halves", { port: server.port }));
  assert.equal(text, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\ntwo h\r\n5\r\nalves\r\n0\r\n\r\n");
});

test("a blank line after an interim response, or before the status line, is skipped", () => {
  for (const path of ["/raw/blank-after-interim", "/raw/crlf-first"]) {
    const res = executor.blockOn(Http.request({ url: `http://${server.address}${path}` }));
    assert.deepEqual([res.status, res.text()], [200, "ok"], path);
  }
});

test("headers.getSetCookie() keeps each Set-Cookie apart (get() joins them with ', ')", () => {
  const res = executor.blockOn(Http.request({ url: `http://${server.address}/raw/cookies` }));
  assert.deepEqual(res.headers.getSetCookie(), ["a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT", "b=2"]);
  assert.equal(res.headers.get("set-cookie"), "a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT, b=2");
});

test("user:password@ in a URL is sent as Basic authorization; explicit headers win", () => {
  const url = `http://al%20ice:p%C3%A4ss:w@127.0.0.1:${server.port}/echo-authorization`;
  const res = executor.blockOn(Http.request({ url }));
  assert.equal(res.text(), `Basic ${Buffer.from("al ice:päss:w").toString("base64")}`);
  const text = executor.blockOn(Http.get(url));
  assert.ok(text.endsWith(`\r\n\r\nBasic ${Buffer.from("al ice:päss:w").toString("base64")}`), text);
  const own = executor.blockOn(Http.request({ url, headers: { authorization: "Bearer t" } }));
  assert.equal(own.text(), "Bearer t");
  const none = executor.blockOn(Http.request({ url: `http://127.0.0.1:${server.port}/echo-authorization` }));
  assert.equal(none.text(), "");
});

test("I/O errors name the address, as Node's do", () => {
  const l = TcpListener.bind("127.0.0.1:0");
  const port = l.port;
  l.close();
  for (const f of [Http.get("/0/x", { port }), Http.request({ url: `http://127.0.0.1:${port}/0/x` })]) {
    const e = failure(f);
    assert.ok(e instanceof IoError, String(e));
    assert.deepEqual([e.code, e.syscall, e.message], ["ECONNREFUSED", "connect", `connect ECONNREFUSED 127.0.0.1:${port}`]);
  }
});

test("Http.request takes host and port for a bare path, as Http.get does", () => {
  const res = executor.blockOn(Http.request({ url: "/0/placed", host: "127.0.0.1", port: server.port }));
  assert.deepEqual([res.status, res.text()], [200, "placed"]);
  const timedOut = failure(Http.request({ url: "/silent", port: server.port, timeoutMs: 50 }));
  assert.ok(timedOut instanceof TimeoutError, String(timedOut));
});

test("the client spends the task's budget as it reads and yields when it runs out", () => {
  // Two units: one read per poll whether the read loop or the stream below it spends them (the
  // reactor's registration spends one per ready read on branches that have it).
  const request = new Budgeted(Http.request({ url: `http://${server.address}/one-byte-chunks/200000` }), 2);
  const res = executor.blockOn(request);
  assert.equal(res.body.length, 200_000);
  assert.ok(request.exhausted > 0, "the budget never ran out");
});
