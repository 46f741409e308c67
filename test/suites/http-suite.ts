/**
 * The HTTP client on the real reactor against a real server on 127.0.0.1 (a node:net server in a
 * child process, see util/test-server): run once per reactor mode.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { get as nodeGet } from "node:http";
import {
  coroutine,
  wait,
  spawn,
  joinAll,
  select,
  sleep,
  Http,
  HttpParseError,
  IoError,
  DnsError,
  TimeoutError,
  TcpListener,
  RuntimeError,
  type Executor,
} from "reactor-executor";
import { openFdCount } from "../util/fds.js";
import { startTestServer, type TestServer } from "../util/test-server.js";
import { runModule } from "../util/run-child.js";

function nodeGetText(url: string): Promise<{ status: number; body: string; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    nodeGet(url, { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, type: res.headers["content-type"] }));
    }).on("error", reject);
  });
}

function attempt<T>(executor: Executor, f: Parameters<Executor["blockOn"]>[0]): T | Error {
  try {
    return executor.blockOn(f) as T;
  } catch (e) {
    return e as Error;
  }
}

export function httpSuite(executor: () => Executor, mode: string): void {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  test("Http.get resolves to the whole response text; the body matches Node's http.get", async () => {
    const path = "/5/hello%20w%C3%B6rld/with/slashes";
    const text = executor().blockOn(Http.get(path, { port: server.port }));
    const node = await nodeGetText(`http://${server.address}${path}`);
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /\r\nContent-Type: text\/plain\r\n/);
    assert.equal(text.slice(text.indexOf("\r\n\r\n") + 4), node.body);
    assert.equal(node.body, "hello wörld/with/slashes");
  });

  test("Http.request parses status, headers (case-insensitive) and body; chunked and close-delimited too", () => {
    const out = executor().blockOn(
      coroutine(function* () {
        const a = yield* wait(Http.request({ url: `http://${server.address}/1/plain` }));
        const b = yield* wait(Http.request({ url: `http://${server.address}/chunked/two%20halves` }));
        const c = yield* wait(Http.request({ url: `http://${server.address}/raw/close-delimited` }));
        return [a.status, a.headers.get("CONTENT-TYPE"), a.text(), b.text(), c.text()];
      }),
    );
    assert.deepEqual(out, [200, "text/plain", "plain", "two halves", "until close"]);
  });

  test("5 concurrent GETs of 1..5 s finish in about 4 s, not 10 s (the book's point)", () => {
    const t0 = performance.now();
    const bodies = executor().blockOn(
      coroutine(function* () {
        const handles = [];
        for (let i = 0; i < 5; i++) handles.push(spawn(Http.get(`/${i * 1000}/HelloWorld${i}`, { port: server.port })));
        return yield* wait(joinAll(handles));
      }),
    );
    const wall = performance.now() - t0;
    bodies.forEach((b, i) => assert.ok(b.endsWith(`\r\n\r\nHelloWorld${i}`), b));
    assert.ok(wall >= 3_990 && wall < 4_000 * 1.5, `${mode}: ${wall} ms`);
  });

  for (const [name, pattern] of [
    ["truncated-headers", /connection closed before headers were complete/],
    ["truncated-body", /connection closed after 10 of 100 body bytes/],
    ["bad-status", /malformed status line/],
    ["huge-headers", /headers exceed 16384 bytes/],
  ] as const) {
    test(`a broken server (${name}) gives an HttpParseError naming it, and leaks no fd`, () => {
      // Http.request keeps connections alive: count without the idle ones of earlier tests.
      Http.defaultClient().closeIdle();
      const fds = openFdCount();
      const e = attempt(executor(), Http.request({ url: `http://${server.address}/raw/${name}` }));
      assert.ok(e instanceof HttpParseError, String(e));
      assert.match(e.message, pattern);
      assert.equal(openFdCount(), fds);
    });
  }

  test("connection refused: the future throws ECONNREFUSED, fd closed", () => {
    const l = TcpListener.bind("127.0.0.1:0");
    const port = l.port;
    l.close();
    const fds = openFdCount();
    const e = attempt(executor(), Http.get("/0/x", { port }));
    assert.ok(e instanceof IoError && e.code === "ECONNREFUSED", String(e));
    assert.equal(openFdCount(), fds);
  });

  test("timeoutMs: TimeoutError ETIMEDOUT, socket closed", () => {
    const fds = openFdCount();
    const t0 = performance.now();
    const e = attempt(executor(), Http.get("/silent", { port: server.port, timeoutMs: 50 }));
    assert.ok(e instanceof TimeoutError && e.code === "ETIMEDOUT", String(e));
    assert.ok(performance.now() - t0 < 2_000);
    assert.equal(openFdCount(), fds);
  });

  test("a future dropped mid-request closes its socket", () => {
    const fds = openFdCount();
    const won = executor().blockOn(select<string | void>([Http.get("/2000/slow", { port: server.port }), sleep(50)]));
    assert.equal(won.index, 1);
    assert.equal(openFdCount(), fds);
  });

  test("a scheme other than http and https is refused with a clear error; an unknown hostname fails with DnsError ENOTFOUND", () => {
    assert.throws(
      () => Http.get("ftp://127.0.0.1/x"),
      (e: unknown) => e instanceof RuntimeError && /unsupported URL scheme ftp: .*use http:\/\/ or https:\/\//.test(e.message),
    );
    assert.throws(
      () => executor().blockOn(Http.get("http://no-such-host.invalid/x")),
      (e: unknown) => e instanceof DnsError && e.code === "ENOTFOUND" && e.hostname === "no-such-host.invalid",
    );
  });

  test("1,000 requests, successes and failures, leave exactly as many fds open as before", () => {
    const l = TcpListener.bind("127.0.0.1:0");
    const closedPort = l.port;
    l.close();
    Http.defaultClient().closeIdle();
    const fds = openFdCount();
    const outcome = executor().blockOn(
      coroutine(function* () {
        let ok = 0;
        let failed = 0;
        const one = (i: number) =>
          coroutine(function* () {
            try {
              const path = i % 4 === 0 ? "/raw/truncated-body" : `/0/m${i}`;
              const port = i % 10 === 0 ? closedPort : server.port;
              const res = yield* wait(Http.request({ url: `http://127.0.0.1:${port}${path}` }));
              assert.equal(res.text(), `m${i}`);
              ok++;
            } catch (e) {
              assert.ok(e instanceof HttpParseError || e instanceof IoError, String(e));
              failed++;
            }
          });
        for (let batch = 0; batch < 10; batch++) {
          yield* wait(joinAll(Array.from({ length: 100 }, (_, k) => one(batch * 100 + k))));
        }
        return { ok, failed };
      }),
    );
    assert.equal(outcome.ok + outcome.failed, 1000);
    assert.equal(outcome.failed, 250 + 100 - 50); // i % 4 truncated, i % 10 refused, i % 20 both
    assert.equal(openFdCount(), fds);
  });

  test("EMFILE is an error, and the runtime keeps working once fds free up", async () => {
    const r = await runModule(
      `
      import { init, coroutine, wait, joinAll, select, sleep, Http, TcpStream } from "reactor-executor";
      const ex = init(${JSON.stringify(mode === "inline" ? { reactor: "inline" } : {})});
      const out = ex.blockOn(coroutine(function* () {
        const held = [];
        let code = null;
        while (code === null) {
          try { held.push(yield* wait(TcpStream.connect("127.0.0.1:${server.port}"))); } catch (e) { code = e.code; }
        }
        let during = null;
        try { yield* wait(Http.get("/0/x", { port: ${server.port} })); } catch (e) { during = e.code; }
        for (const s of held) s.close();
        const after = yield* wait(Http.get("/0/recovered", { port: ${server.port} }));
        return [code, during, held.length > 10, after.endsWith("recovered")];
      }));
      console.log(JSON.stringify(out));
      `,
      { timeoutMs: 20_000, shell: "ulimit -n 64" },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), ["EMFILE", "EMFILE", true, true]);
  });

  test("a program whose blockOn returned exits by itself, at once", async () => {
    const r = await runModule(
      `
      import { init, Http } from "reactor-executor";
      const text = init(${JSON.stringify(mode === "inline" ? { reactor: "inline" } : {})}).blockOn(Http.get("/0/bye", { port: ${server.port} }));
      console.log(text.endsWith("bye"));
      `,
      { timeoutMs: 10_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "true\n");
    assert.ok(r.ms < 3_000, `took ${r.ms} ms to exit`);
  });
}
