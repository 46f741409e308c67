/**
 * The delay server written with `node:http`: the plain-Node contender of W7, and the target of
 * W1/W2/W2d/W6 when ours is not built yet (or with `--server node`). Same contract and CLI as ours
 * (DESIGN, "The delay server's contract"):
 *
 *   node dist/bench/contenders/node-delay-server.js [host] [--port P] [--quiet] [--tls-key FILE --tls-cert FILE]
 *
 * `GET /{delay_ms}/{message}` -> 200 text/plain, body = the percent-decoded rest of the path, after
 * `delay_ms` (0 answers at once, not through a 1 ms `setTimeout`); a bad delay -> 400; fewer than two
 * segments -> 404; another method -> 405. Keep-alive by default, `Connection: close` honoured (Node
 * does both), idle keep-alive closed after 5 s, headers must arrive within 10 s. Listens with the
 * system's maximum backlog (65535, clamped by the kernel to net.core.somaxconn; Node's default would be 511).
 * Prints `listening on http://host:port` on stdout once listening; SIGINT/SIGTERM close it. With
 * `--tls-key` and `--tls-cert` it is a `node:https` server (W2s's target), otherwise the same.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";

const args = process.argv.slice(2);
let host = "127.0.0.1";
let port = 8080;
let quiet = false;
let tlsKey: string | null = null;
let tlsCert: string | null = null;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === "--port") port = Number(args[++i]);
  else if (a === "--quiet") quiet = true;
  else if (a === "--tls-key") tlsKey = readFileSync(args[++i]!, "utf8");
  else if (a === "--tls-cert") tlsCert = readFileSync(args[++i]!, "utf8");
  else if (!a.startsWith("--")) host = a;
}

const USAGE = "usage: GET /{delay_ms}/{message}\n";
let count = 0;

function send(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
  if (req.method !== "GET") {
    res.setHeader("Allow", "GET");
    send(res, 405, "method not allowed\n");
    return;
  }
  const url = req.url ?? "/";
  const path = url.split("?", 1)[0]!;
  const slash = path.indexOf("/", 1);
  if (!path.startsWith("/") || slash < 0) {
    send(res, 404, USAGE);
    return;
  }
  const first = path.slice(1, slash);
  const delay = /^\d{1,7}$/.test(first) ? Number(first) : NaN;
  if (!(delay >= 0 && delay <= 3_600_000)) {
    send(res, 400, `bad delay ${JSON.stringify(first)}: a whole number of ms in 0..3600000\n`);
    return;
  }
  let message: string;
  try {
    message = decodeURIComponent(path.slice(slash + 1));
  } catch {
    send(res, 400, "bad percent-encoding\n");
    return;
  }
  const n = ++count;
  if (!quiet) console.log(`#${n} - ${delay}ms: ${message}`);
  if (delay === 0) send(res, 200, message);
  else setTimeout(() => send(res, 200, message), delay);
};
const server: http.Server =
  tlsKey !== null && tlsCert !== null ? https.createServer({ key: tlsKey, cert: tlsCert }, handler) : http.createServer(handler);
server.keepAliveTimeout = 5000;
server.headersTimeout = 10_000;
server.requestTimeout = 0;

server.listen({ host, port, backlog: 65535 }, () => {
  const addr = server.address();
  const p = typeof addr === "object" && addr !== null ? addr.port : port;
  console.log(`listening on ${tlsKey !== null ? "https" : "http"}://${host}:${p}`);
});

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
