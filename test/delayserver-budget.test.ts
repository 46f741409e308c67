/**
 * The delay server spends its task's cooperative budget: the accept loop and a connection's reads
 * stop when it is out, wake their task and carry on at the next poll.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { coroutine, init, sleep, spawn, wait, TcpListener, TcpStream } from "../src/index.js";
import { Connection, type ConnectionHost } from "../src/server/connection.js";
import { DelayServer } from "../src/server/delay-server.js";
import { Budgeted } from "./util/budget.js";

const executor = init();
const enc = new TextEncoder();
const dec = new TextDecoder();

test("the accept loop takes as many connections as the budget allows per poll, then wakes itself", () => {
  const listener = TcpListener.bind("127.0.0.1:0");
  const server = new DelayServer(listener, { deferAccept: false });
  const out = executor.blockOn(
    coroutine(function* () {
      // Five connections wait in the backlog before the server's first poll.
      const clients: TcpStream[] = [];
      for (let i = 0; i < 5; i++) clients.push(yield* wait(TcpStream.connect(`127.0.0.1:${listener.port}`)));
      const acceptedAfter: number[] = [];
      const budgeted = new Budgeted(server, [2, 2, 2], () => acceptedAfter.push(server.accepted));
      const running = spawn(budgeted);
      yield* wait(sleep(50));
      server.stop();
      yield* wait(running);
      for (const c of clients) c.close();
      return { acceptedAfter: acceptedAfter.slice(0, 3), woken: budgeted.log.slice(0, 3).map((p) => p.woken) };
    }),
  );
  // Two per poll; the third poll takes the last one and waits (the budget was not spent out).
  assert.deepEqual(out, { acceptedAfter: [2, 4, 5], woken: [1, 1, 0] });
});

test("a connection out of budget reads nothing, wakes its task, and serves the request at the next poll", () => {
  const listener = TcpListener.bind("127.0.0.1:0");
  let requests = 0;
  const host: ConnectionHost = {
    idleTimeoutMs: 5_000,
    headerTimeoutMs: 5_000,
    requestArrived: () => requests++,
    requestRefused: () => {},
    connectionClosed: () => {},
    reportError: (e) => {
      throw e;
    },
  };
  const out = executor.blockOn(
    coroutine(function* () {
      const accepting = spawn(listener.accept());
      const client = yield* wait(TcpStream.connect(`127.0.0.1:${listener.port}`));
      const stream = yield* wait(accepting);
      yield* wait(client.writeAll(enc.encode("GET /0/hi HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
      yield* wait(sleep(10));
      const requestsAfter: number[] = [];
      // The accepted stream assumes its request is there: the first poll would read at once.
      const budgeted = new Budgeted(new Connection(stream, host, performance.now()), [0], () => requestsAfter.push(requests));
      yield* wait(spawn(budgeted));
      let answer = "";
      const buf = new Uint8Array(1024);
      for (let n; (n = yield* wait(client.read(buf))) > 0;) answer += dec.decode(buf.subarray(0, n));
      client.close();
      return { log: budgeted.log, requestsAfter, answer };
    }),
  );
  listener.close();
  assert.deepEqual(out.log, [
    { ready: false, woken: 1 },
    { ready: true, woken: 0 },
  ]);
  assert.deepEqual(out.requestsAfter, [0, 1]);
  assert.match(out.answer, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhi$/);
});

test("a pipeline longer than one poll's budget: the connection wakes itself and goes on, never waits for a timer", () => {
  const listener = TcpListener.bind("127.0.0.1:0");
  let requests = 0;
  const host: ConnectionHost = {
    idleTimeoutMs: 5_000,
    headerTimeoutMs: 5_000,
    requestArrived: () => requests++,
    requestRefused: () => {},
    connectionClosed: () => {},
    reportError: (e) => {
      throw e;
    },
  };
  const n = 1_100;
  let text = "";
  for (let i = 0; i < n; i++) text += `GET /0/p${i} HTTP/1.1\r\nHost: x\r\n${i === n - 1 ? "Connection: close\r\n" : ""}\r\n`;
  const out = executor.blockOn(
    coroutine(function* () {
      const accepting = spawn(listener.accept());
      const client = yield* wait(TcpStream.connect(`127.0.0.1:${listener.port}`));
      const stream = yield* wait(accepting);
      yield* wait(client.writeAll(enc.encode(text)));
      const t0 = performance.now();
      // Six units a poll for the first 30 polls, then no limit: either way, no poll may end
      // without either a wake or every request taken.
      const budgeted = new Budgeted(new Connection(stream, host, performance.now()), Array<number>(30).fill(6));
      const serving = spawn(budgeted);
      let answer = "";
      const buf = new Uint8Array(64 * 1024);
      for (let r; (r = yield* wait(client.read(buf))) > 0;) answer += dec.decode(buf.subarray(0, r));
      yield* wait(serving);
      client.close();
      return { log: budgeted.log, answer, ms: performance.now() - t0 };
    }),
  );
  listener.close();
  assert.equal(requests, n);
  assert.equal(out.answer.match(/HTTP\/1\.1 200 OK/g)?.length, n);
  assert.ok(out.answer.endsWith(`p${n - 1}`));
  assert.ok(out.ms < 2_000, `served in ${out.ms.toFixed(0)} ms (a stall waits for the 5,000 ms header timeout)`);
  // The budget cut the work into several polls, each of which woke the task to go on.
  const cut = out.log.filter((p) => !p.ready && p.woken > 0).length;
  assert.ok(cut >= 5, `${cut} polls cut short by the budget: ${JSON.stringify(out.log.slice(0, 12))}`);
});
