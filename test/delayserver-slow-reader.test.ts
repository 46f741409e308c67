// A client that sends requests and never reads the answers (issue 12): the output queued for it
// is bounded — the server's own buffer and the kernel's send queue (which Linux otherwise grows to
// megabytes, each write it accepts looking like progress) — and it is dropped once no output has
// moved for the header timeout. A client that reads late, but reads, loses nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import { exchange, parseResponses, startDelayServer, type DelayServerProcess } from "./util/delay-server.js";

const HEADER_TIMEOUT_MS = 1_000;
/** The most the server's kernel may hold unacknowledged for one connection (its send buffer is 64 KiB, accounted twice). */
const KERNEL_QUEUE_BOUND = 256 * 1024;
let server: DelayServerProcess;

before(async () => {
  server = await startDelayServer({ headerTimeoutMs: HEADER_TIMEOUT_MS, idleTimeoutMs: 5_000 });
});

after(async () => {
  const r = await server.stop();
  assert.equal(r.code, 0, `exit ${r.code} ${r.signal}\n${server.stderr()}`);
});

const MESSAGE = "m".repeat(200);

/**
 * The bytes the kernel holds unacknowledged on the server's end of the connection from client
 * port `clientPort` (the `tx_queue` column of /proc/net/tcp), or -1 when it is gone.
 */
function serverSendQueue(serverPort: number, clientPort: number): number {
  const hex = (port: number): string => port.toString(16).toUpperCase().padStart(4, "0");
  const local = `0100007F:${hex(serverPort)}`;
  const remote = `0100007F:${hex(clientPort)}`;
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local && f[2] === remote && f[3] === "01" /* ESTABLISHED */) return parseInt(f[4]!.split(":")[0]!, 16);
  }
  return -1;
}

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
}

test("a client that never reads is dropped after the timeout, its queued output bounded", async (t) => {
  const rss0 = rssKiB(server.pid);
  const s = net.connect({ port: server.port, host: "127.0.0.1" });
  s.on("error", () => {});
  await new Promise((r) => s.once("connect", r));
  s.pause(); // never read
  const clientPort = s.localPort!;
  // Twenty requests every 50 ms: about 130 KB of answers a second, a rate at which the kernel's
  // own growth alone would take half a minute to fill.
  const batch = Array.from({ length: 20 }, (_, i) => `GET /0/${MESSAGE}${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join("");
  const t0 = performance.now();
  let maxQueue = 0;
  let maxRss = rss0;
  const sender = setInterval(() => {
    if (!s.destroyed) s.write(batch);
  }, 50);
  const sampler = setInterval(() => {
    maxQueue = Math.max(maxQueue, serverSendQueue(server.port, clientPort));
    maxRss = Math.max(maxRss, rssKiB(server.pid));
  }, 20);
  const closed = await new Promise<boolean>((resolve) => {
    const limit = setTimeout(() => resolve(false), 15_000);
    s.once("close", () => {
      clearTimeout(limit);
      resolve(true);
    });
  });
  clearInterval(sender);
  clearInterval(sampler);
  s.destroy();
  const ms = performance.now() - t0;
  t.diagnostic(`dropped: ${closed} after ${ms.toFixed(0)} ms; kernel send queue max ${maxQueue} B; RSS ${rss0} -> max ${maxRss} kB`);
  assert.ok(closed, "the server dropped the client");
  // Filling ~200 KB at 130 KB/s, then the timeout.
  assert.ok(ms < 2_000 + HEADER_TIMEOUT_MS + 6_000, `dropped after ${ms.toFixed(0)} ms`);
  assert.ok(maxQueue > 0 && maxQueue <= KERNEL_QUEUE_BOUND, `the kernel held up to ${maxQueue} bytes for it`);
  assert.ok(maxRss - rss0 < 32 * 1024, `RSS grew by ${maxRss - rss0} kB`);
  // And the server goes on.
  const r = await exchange(server.port, ["GET /0/fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
  assert.equal(parseResponses(r.text)[0]?.body, "fine");
});

test("a client that reads late, but reads, gets every answer (~1 MB of them)", async () => {
  const n = 3_000;
  let text = "";
  for (let i = 0; i < n; i++) text += `GET /0/${MESSAGE}${i} HTTP/1.1\r\nHost: x\r\n${i === n - 1 ? "Connection: close\r\n" : ""}\r\n`;
  const s = net.connect({ port: server.port, host: "127.0.0.1" });
  await new Promise((r) => s.once("connect", r));
  s.pause();
  s.write(text);
  await new Promise((r) => setTimeout(r, HEADER_TIMEOUT_MS / 2));
  const parts: Buffer[] = [];
  s.on("data", (d: Buffer) => parts.push(d));
  s.resume();
  await new Promise((resolve, reject) => {
    s.once("end", resolve);
    s.once("error", reject);
  });
  s.destroy();
  const bodies = parseResponses(Buffer.concat(parts).toString("latin1")).map((x) => x.body);
  assert.equal(bodies.length, n);
  assert.deepEqual(
    bodies,
    Array.from({ length: n }, (_, i) => `${MESSAGE}${i}`),
  );
});
