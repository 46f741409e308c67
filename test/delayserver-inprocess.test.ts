// The delay server run in this process (DelayServer on our executor under `run`, clients from
// node:net on Node's loop), where what the CLI tests cannot see is visible: the executor's timers
// and the server's connection registry. A disconnect while a delay is pending must remove the
// timer, not just close the fd; stop() must leave nothing behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { init } from "../src/runtime/init.js";
import { TcpListener } from "../src/net/tcp-listener.js";
import { DelayServer } from "../src/server/delay-server.js";
import { parseResponses } from "./util/delay-server.js";

const executor = init();

async function until(f: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!f()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("a disconnect while waiting drops the connection's timer; stop() closes everything", async () => {
  const listener = TcpListener.bind("127.0.0.1:0");
  const server = new DelayServer(listener, { idleTimeoutMs: 60_000, headerTimeoutMs: 60_000 });
  const running = executor.run(server);
  const timers = (): number => executor.timers.size;

  const clients: net.Socket[] = [];
  for (let i = 0; i < 10; i++) {
    const s = net.connect({ port: listener.port, host: "127.0.0.1" });
    s.on("error", () => {});
    s.write(`GET /60000/w${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
    clients.push(s);
  }
  await until(() => server.requests === 10, 2_000, "10 requests");
  assert.equal(server.connectionCount, 10);
  assert.equal(timers(), 10, "one timer per waiting connection");

  for (const s of clients.slice(0, 5)) s.destroy();
  await until(() => server.connectionCount === 5, 1_000, "5 connections closed");
  assert.equal(timers(), 5, "the timers of the 5 that left are gone");

  // A keep-alive client that got its answer holds one (idle) timer and its connection.
  const answered = await new Promise<string>((resolve) => {
    const s = net.connect({ port: listener.port, host: "127.0.0.1" });
    let text = "";
    s.on("data", (d) => {
      text += d.toString("latin1");
      if (text.endsWith("fast")) resolve(text);
    });
    s.write("GET /0/fast HTTP/1.1\r\nHost: x\r\n\r\n");
    clients.push(s);
  });
  assert.equal(parseResponses(answered)[0]?.body, "fast");
  assert.equal(server.connectionCount, 6);
  assert.equal(timers(), 6);

  server.stop();
  await running;
  assert.equal(server.connectionCount, 0);
  assert.equal(timers(), 0, "no timer left after stop()");
  assert.equal(executor.taskCount, 0);
  // The other ends see their connections closed.
  await Promise.all(clients.slice(5).map((s) => (s.closed ? Promise.resolve() : new Promise((r) => s.once("close", r)))));
  await assert.rejects(
    new Promise((resolve, reject) => {
      const s = net.connect({ port: listener.port, host: "127.0.0.1" });
      s.on("connect", () => resolve(s.destroy()));
      s.on("error", reject);
    }),
    /ECONNREFUSED/,
    "the listener is closed",
  );
});
