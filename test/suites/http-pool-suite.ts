/**
 * The HTTP client's keep-alive pool against real servers on 127.0.0.1: our delay server (the
 * CLI, in a child process) and `node:http` servers in a child process. Reuse, the limit per
 * origin, the retry of a request on a connection the server had just closed (idempotent methods
 * only), idle expiry, staleness seen from the readiness word, and idle connections that hold no
 * waker (they neither keep a run going nor hide a deadlock). Run once per reactor mode.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  coroutine,
  wait,
  joinAll,
  sleep,
  Http,
  HttpClient,
  IoError,
  DeadlockError,
  PENDING,
  type Executor,
  type Future,
  type Poll,
} from "reactor-executor";
import { openFdCount } from "../util/fds.js";
import { startDelayServer, type DelayServerProcess } from "../util/delay-server.js";
import { startNodeServers, type NodeServers } from "../util/node-http.js";
import { runModule } from "../util/run-child.js";

/** A future that never completes and keeps no waker: only a deadlock report ends a run waiting on it. */
class Never implements Future<never> {
  poll(): Poll<never> {
    return PENDING;
  }
}

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (e) {
    return e as Error;
  }
  assert.fail("expected an error");
}

export function httpPoolSuite(executor: () => Executor, mode: string): void {
  let delay: DelayServerProcess;
  let node: NodeServers;
  before(async () => {
    delay = await startDelayServer();
    node = await startNodeServers([
      { name: "plain", kind: "http" },
      { name: "quick-idle", kind: "http", keepAliveTimeoutMs: 150 },
    ]);
  });
  after(async () => {
    await node.stop();
    await delay.stop();
  });

  test(`${mode}: 200 sequential requests to the delay server share one connection, bodies right`, () => {
    const client = new HttpClient();
    const fds = openFdCount();
    const serverSockets = delay.socketCount();
    executor().blockOn(
      coroutine(function* () {
        for (let i = 0; i < 200; i++) {
          const res = yield* wait(client.request({ url: `${delay.url}/0/m${i}` }));
          assert.equal(res.text(), `m${i}`);
        }
      }),
    );
    assert.deepEqual(client.stats(), { opened: 1, reused: 199, retried: 0, idle: 1 });
    assert.equal(openFdCount(), fds + 1, "one connection kept");
    assert.equal(delay.socketCount(), serverSockets + 1, "the server holds one connection more");
    client.close();
    assert.equal(openFdCount(), fds);
    assert.equal(client.stats().idle, 0);
  });

  test(`${mode}: the node:http server sees the same connection again; Http.request goes through the default client`, () => {
    const conns = executor().blockOn(
      coroutine(function* () {
        const seen: string[] = [];
        for (let i = 0; i < 5; i++) seen.push((yield* wait(Http.request({ url: `${node.url("plain")}/conn` }))).text());
        return seen;
      }),
    );
    assert.equal(new Set(conns).size, 1, `connections: ${conns.join(",")}`);
    assert.ok(Http.defaultClient().stats().reused >= 4);
    Http.defaultClient().close();
  });

  test(`${mode}: at most maxConnectionsPerOrigin connections; the rest wait their turn (FIFO)`, () => {
    const client = new HttpClient({ maxConnectionsPerOrigin: 2 });
    const t0 = performance.now();
    const bodies = executor().blockOn(joinAll(Array.from({ length: 10 }, (_, i) => client.request({ url: `${delay.url}/100/r${i}` }))));
    const ms = performance.now() - t0;
    bodies.forEach((r, i) => assert.equal(r.text(), `r${i}`));
    assert.equal(client.stats().opened, 2);
    // Five rounds of two 100 ms requests.
    assert.ok(ms >= 490, `${ms} ms`);
    client.close();
  });

  test(`${mode}: a GET on a connection the server closed as it was reused is sent again on a new one`, () => {
    const client = new HttpClient();
    const out = executor().blockOn(
      coroutine(function* () {
        const first = yield* wait(client.request({ url: `${node.url("plain")}/close-next` }));
        const again = yield* wait(client.request({ url: `${node.url("plain")}/hello/again` }));
        return [first.text(), again.text()];
      }),
    );
    assert.deepEqual(out, ["closing next", "again"]);
    assert.deepEqual(client.stats(), { opened: 2, reused: 1, retried: 1, idle: 1 });
    client.close();
  });

  test(`${mode}: a POST there is not sent again: the error is thrown, and the server saw no POST`, () => {
    const client = new HttpClient();
    const e = errorOf(() =>
      executor().blockOn(
        coroutine(function* () {
          yield* wait(client.request({ url: `${node.url("plain")}/close-next` }));
          return yield* wait(client.request({ method: "POST", url: `${node.url("plain")}/count-post`, body: "x" }));
        }),
      ),
    );
    assert.ok(e instanceof IoError || e.name === "HttpParseError", String(e));
    assert.equal(client.stats().retried, 0);
    const posts = executor().blockOn(client.request({ method: "GET", url: `${node.url("plain")}/count-post` }));
    assert.equal(posts.text(), "0");
    client.close();
  });

  test(`${mode}: an idle connection older than idleTimeoutMs is closed at checkout, not reused`, () => {
    const client = new HttpClient({ idleTimeoutMs: 100 });
    const fds = openFdCount();
    const conns = executor().blockOn(
      coroutine(function* () {
        const a = (yield* wait(client.request({ url: `${node.url("plain")}/conn` }))).text();
        const b = (yield* wait(client.request({ url: `${node.url("plain")}/conn` }))).text();
        yield* wait(sleep(250));
        const c = (yield* wait(client.request({ url: `${node.url("plain")}/conn` }))).text();
        return [a, b, c];
      }),
    );
    assert.equal(conns[0], conns[1]);
    assert.notEqual(conns[1], conns[2]);
    assert.deepEqual(client.stats(), { opened: 2, reused: 1, retried: 0, idle: 1 });
    assert.equal(openFdCount(), fds + 1, "the expired connection was closed");
    client.close();
    assert.equal(openFdCount(), fds);
  });

  test(`${mode}: a connection the server closed while idle is seen closed (readiness) and replaced, no retry needed`, () => {
    const client = new HttpClient();
    executor().blockOn(
      coroutine(function* () {
        yield* wait(client.request({ url: `${node.url("quick-idle")}/hello/one` }));
        // The server closes it once idle 150 ms (Node checks about a second later); its FIN
        // reaches our readiness word meanwhile.
        yield* wait(sleep(2500));
        const res = yield* wait(client.request({ url: `${node.url("quick-idle")}/hello/two` }));
        assert.equal(res.text(), "two");
      }),
    );
    if (mode === "thread") {
      assert.deepEqual(client.stats(), { opened: 2, reused: 0, retried: 0, idle: 1 });
    } else {
      // The inline reactor collects events only while a task waits on I/O: a FIN that came while
      // the executor slept on a timer alone is seen when the connection is used, and the GET is
      // sent again.
      const { opened, reused, retried } = client.stats();
      assert.ok(opened === 2 && reused === retried && retried <= 1, JSON.stringify(client.stats()));
    }
    client.close();
  });

  test(`${mode}: an idle pooled connection holds no waker: a task that can never be woken is a deadlock, not a hang`, () => {
    const client = new HttpClient();
    const t0 = performance.now();
    const e = errorOf(() =>
      executor().blockOn(
        coroutine(function* () {
          yield* wait(client.request({ url: `${delay.url}/0/parked` }));
          assert.equal(client.stats().idle, 1);
          yield* wait(new Never());
        }),
      ),
    );
    assert.ok(e instanceof DeadlockError, String(e));
    assert.ok(performance.now() - t0 < 5_000);
    client.close();
  });

  test(`${mode}: with a connection idle in the pool, run() ends as its tasks do, reports a deadlock, and the process exits`, async () => {
    const r = await runModule(
      `
      import { init, coroutine, wait, HttpClient, PENDING } from "reactor-executor";
      const ex = init(${JSON.stringify(mode === "inline" ? { reactor: "inline" } : {})});
      const client = new HttpClient();
      const text = await ex.run(coroutine(function* () { return (yield* wait(client.request({ url: "${delay.url}/0/done" }))).text(); }));
      let deadlock = null;
      try { await ex.run({ poll() { return PENDING; } }); } catch (e) { deadlock = e.name; }
      const again = ex.blockOn(coroutine(function* () { return (yield* wait(client.request({ url: "${delay.url}/0/again" }))).text(); }));
      console.log(JSON.stringify([text, again, client.stats(), deadlock]));
      `,
      { timeoutMs: 20_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), ["done", "again", { opened: 1, reused: 1, retried: 0, idle: 1 }, "DeadlockError"]);
    assert.ok(r.ms < 5_000, `took ${r.ms} ms`);
  });
}
