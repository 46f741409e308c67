// The delayserver command: SIGINT/SIGTERM close it cleanly (exit 0, promptly, connections closed),
// its arguments are checked, a port in use is a clear error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import net from "node:net";
import { readdirSync } from "node:fs";
import { DELAYSERVER_BIN, exchange, get, startDelayServer } from "./util/delay-server.js";
import { cpuTicks } from "./util/proc-stat.js";

test("SIGINT with connections open (waiting, idle, silent) exits 0 promptly and closes them", async (t) => {
  // Accepts not deferred, so that the silent client is a connection the server has (a deferred
  // one is still the kernel's, and is dropped without a word when the listener closes).
  const server = await startDelayServer({ quiet: false, args: ["--no-defer-accept"] });
  t.after(() => server.stop("SIGKILL"));
  const waiting = exchange(server.port, ["GET /60000/long HTTP/1.1\r\nHost: x\r\n\r\n"], { timeoutMs: 10_000 });
  const silent = exchange(server.port, [], { timeoutMs: 10_000 });
  const idle = exchange(server.port, ["GET /0/idle HTTP/1.1\r\nHost: x\r\n\r\n"], { timeoutMs: 10_000 });
  await server.waitForOutput(/^#\d+ - 60000ms: long$/m);
  await server.waitForOutput(/^#\d+ - 0ms: idle$/m);
  const stopped = await server.stop("SIGINT");
  assert.equal(stopped.code, 0, server.stderr());
  assert.ok(stopped.ms < 2_000, `exited ${stopped.ms.toFixed(0)} ms after SIGINT`);
  for (const [name, p] of [
    ["waiting", waiting],
    ["silent", silent],
    ["idle", idle],
  ] as const) {
    const r = await p;
    assert.notEqual(r.ended, "timeout", `${name}: its connection was closed`);
    assert.ok(r.ms < 5_000, name);
  }
  assert.equal(server.stderr(), "");
});

test("SIGTERM exits 0 too, and the request log is flushed before exit", async (t) => {
  const server = await startDelayServer({ quiet: false });
  t.after(() => server.stop("SIGKILL"));
  for (let i = 0; i < 50; i++) await get(`${server.url}/0/flushed${i}`);
  const stopped = await server.stop("SIGTERM");
  assert.equal(stopped.code, 0);
  const lines = server
    .stdout()
    .split("\n")
    .filter((l) => l.includes("flushed"));
  assert.equal(lines.length, 50);
  assert.equal(lines[49], "#50 - 0ms: flushed49");
});

test("--quiet logs no request line but still prints the address", async (t) => {
  const server = await startDelayServer({ quiet: true });
  t.after(() => server.stop("SIGKILL"));
  assert.equal((await get(`${server.url}/0/shh`)).body, "shh");
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await server.stop()).code, 0);
  assert.match(server.stdout(), /^Listening on http:\/\/127\.0\.0\.1:\d+$/m);
  assert.doesNotMatch(server.stdout(), /#1 - /);
  assert.match(server.stdout(), /not logged \(--quiet\)/);
});

test("IPv6 and localhost hosts", async (t) => {
  const v6 = await startDelayServer({ host: "::1" }).catch((e: Error) => e);
  if (v6 instanceof Error) {
    t.diagnostic(`no IPv6 here: ${v6.message.split("\n")[0]}`);
  } else {
    t.after(() => v6.stop("SIGKILL"));
    assert.equal(v6.host, "::1");
    const body = await new Promise<string>((resolve, reject) => {
      const s = net.connect({ port: v6.port, host: "::1" });
      let text = "";
      s.on("data", (d: Buffer) => (text += d.toString("latin1")));
      s.on("end", () => resolve(text));
      s.on("error", reject);
      s.write("GET /0/six HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    });
    assert.match(body, /\r\n\r\nsix$/);
    assert.equal((await v6.stop()).code, 0);
  }
  const local = await startDelayServer({ host: "localhost" });
  t.after(() => local.stop("SIGKILL"));
  assert.equal(local.host, "127.0.0.1");
  assert.equal((await get(`${local.url}/0/local`)).body, "local");
  assert.equal((await local.stop()).code, 0);
});

test("bad arguments exit 2 with the usage; --help exits 0", () => {
  for (const args of [
    ["--port", "http"],
    ["--port", "70000"],
    ["--bogus"],
    ["a", "b"],
    ["--idle-timeout-ms", "0"],
    ["not-an-ip"],
    ["--reactor", "fast"],
    ["--reactor"],
  ]) {
    const r = spawnSync(process.execPath, [DELAYSERVER_BIN, ...args], { encoding: "utf8", timeout: 10_000 });
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /usage: delayserver \[host\] \[--port PORT\] \[--quiet\]/, args.join(" "));
  }
  const help = spawnSync(process.execPath, [DELAYSERVER_BIN, "--help"], { encoding: "utf8", timeout: 10_000 });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: delayserver/);
});

test("a port in use is a clear error and exit 1", async (t) => {
  const server = await startDelayServer();
  t.after(() => server.stop("SIGKILL"));
  try {
    const r = spawnSync(process.execPath, [DELAYSERVER_BIN, "127.0.0.1", "--port", String(server.port)], {
      encoding: "utf8",
      timeout: 10_000,
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${server.port}: .*EADDRINUSE`));
  } finally {
    await server.stop();
  }
});

test("out of fds: EMFILE is reported once, the accept loop does not spin, the backlog is served once fds free up", async (t) => {
  const server = await startDelayServer({ quiet: false, fdLimit: 64, args: ["--no-defer-accept"] });
  t.after(() => server.stop("SIGKILL"));
  const free = 64 - readdirSync(`/proc/${server.pid}/fd`).length;
  const n = free + 20; // 20 more than the server can hold
  const clients = Array.from({ length: n }, (_, i) => {
    const s = net.connect({ port: server.port, host: "127.0.0.1" });
    s.on("error", () => {});
    s.write(`GET /60000/c${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
    return s;
  });
  const until = performance.now() + 5_000;
  while (!server.stderr().includes("EMFILE") && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  const cpu0 = cpuTicks(server.pid);
  await new Promise((r) => setTimeout(r, 1_000));
  const busy = cpuTicks(server.pid) - cpu0;
  assert.ok(busy < 30, `the server used ${busy} ticks (of 100) in one second while out of fds: it must not spin`);
  const stderr = server.stderr();
  assert.equal(stderr.match(/EMFILE/g)?.length, 1, `EMFILE reported once:\n${stderr}`);
  const logged = (): number => (server.stdout().match(/^#\d+ - 60000ms: c\d+$/gm) ?? []).length;
  assert.ok(logged() < n, `not all ${n} accepted while out of fds (${logged()})`);
  // Free fds: the ones still queued are accepted within the retry interval.
  for (const s of clients.slice(0, 30)) s.destroy();
  const deadline = performance.now() + 3_000;
  while (logged() < n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(logged(), n, "every queued connection was accepted and its request read");
  for (const s of clients) s.destroy();
  assert.equal((await server.stop()).code, 0);
});

/** `n` keep-alive round trips on one connection, each request sent when the last answer is in; ms. */
async function roundTrips(port: number, n: number): Promise<number> {
  const s = net.connect({ port, host: "127.0.0.1" });
  await new Promise((resolve, reject) => s.on("connect", resolve).on("error", reject));
  let text = "";
  let answered: (() => void) | null = null;
  s.on("data", (d) => {
    text += d.toString("latin1");
    if (answered !== null && text.endsWith("\r\n\r\nrt")) {
      text = "";
      const a = answered;
      answered = null;
      a();
    }
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve) => {
      answered = resolve;
      s.write("GET /0/rt HTTP/1.1\r\nHost: x\r\n\r\n");
    });
  }
  const ms = performance.now() - t0;
  s.destroy();
  return ms;
}

test("--reactor inline: delays overlap, round trips wait for no polling interval, SIGINT stops it, idle costs next to nothing", async (t) => {
  const inline = await startDelayServer({ args: ["--reactor", "inline"] });
  t.after(() => inline.stop("SIGKILL"));
  const threaded = await startDelayServer({});
  t.after(() => threaded.stop("SIGKILL"));

  const t0 = performance.now();
  const bodies = await Promise.all([300, 300, 200, 100, 0].map((ms, i) => get(`${inline.url}/${ms}/x${i}`)));
  const ms = performance.now() - t0;
  assert.deepEqual(
    bodies.map((b) => b.body),
    ["x0", "x1", "x2", "x3", "x4"],
  );
  assert.ok(ms >= 299 && ms < 300 + 700, `five delayed requests took ${ms.toFixed(0)} ms`);

  // Under run() the inline executor waits in epoll_wait itself when no Promise is pending, so an
  // answer goes out as soon as its request is in (polling epoll every 1 ms made each of these
  // round trips take ~1 ms: ~300 ms here, against ~30 ms with the reactor thread).
  await roundTrips(threaded.port, 50);
  await roundTrips(inline.port, 50);
  const threadMs = await roundTrips(threaded.port, 300);
  const inlineMs = await roundTrips(inline.port, 300);
  assert.ok(inlineMs < 4 * threadMs + 100, `300 round trips: inline ${inlineMs.toFixed(0)} ms, reactor thread ${threadMs.toFixed(0)} ms`);

  // Idle: one short wait in epoll per event-loop turn, not a busy loop.
  const before = cpuTicks(inline.pid);
  await new Promise((r) => setTimeout(r, 1_000));
  const idleTicks = cpuTicks(inline.pid) - before; // clock ticks, 100 per second of CPU
  assert.ok(idleTicks <= 10, `idle for 1 s, it used ${idleTicks * 10} ms of CPU`);

  const stopped = await inline.stop("SIGINT");
  assert.equal(stopped.code, 0, inline.stderr());
  assert.ok(stopped.ms < 2_000, `exited ${stopped.ms.toFixed(0)} ms after SIGINT`);
});
