#!/usr/bin/env node
/**
 * `delayserver [host] [--port 8080] [--quiet] [--reactor thread|inline]`: the book's delay server,
 * on this runtime (the reactor on its own thread by default, as in the book; `inline` lets the
 * executor wait in epoll itself: no thread hop).
 *
 * `GET /{delay_ms}/{message}` answers `200 text/plain` with the URL-decoded message after
 * `delay_ms` milliseconds. On start it prints its usage, with the address it is listening on (the
 * `Listening on http://...` line, which tests and scripts read to learn the port when it was 0);
 * then one `#{n} - {delay}ms: {message}` line per request as it arrives, unless `--quiet`.
 * SIGINT (Ctrl-C) and SIGTERM close the listener and every connection and exit 0; a second signal
 * exits at once.
 *
 * Hidden options, for tests: `--idle-timeout-ms N` (default 5000), `--header-timeout-ms N`
 * (default 10000), `--no-defer-accept` (accept connections before their first data even where
 * `TCP_DEFER_ACCEPT` is available, so that the header timeout counts from the connect).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { TcpListener } from "../net/tcp-listener.js";
import { init } from "../runtime/init.js";
import { DEFAULT_HEADER_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, DelayServer } from "../server/delay-server.js";
import { RequestLog } from "../server/request-log.js";
import { MAX_DELAY_MS } from "../server/route.js";
import { formatAddress, parseAddress } from "../sys/index.js";

const HELP = `usage: delayserver [host] [--port PORT] [--quiet] [--reactor thread|inline]

  host       the address to listen on: an IP literal or localhost (default 127.0.0.1)
  --port     the port (default 8080; 0 = any free port, printed at start)
  --quiet    do not log each request (for benchmarks)
  --reactor  thread: the reactor waits on epoll on its own thread, as in the book (default);
             inline: the executor waits on epoll itself (no thread hop)
  --help     this text
`;

function fail(message: string): never {
  process.stderr.write(`delayserver: ${message}\n\n${HELP}`);
  process.exit(2);
}

function integerOption(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) fail(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return n;
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: "string", short: "p" },
      quiet: { type: "boolean", short: "q" },
      reactor: { type: "string" },
      help: { type: "boolean", short: "h" },
      "idle-timeout-ms": { type: "string" },
      "header-timeout-ms": { type: "string" },
      "no-defer-accept": { type: "boolean" },
    },
  });
} catch (e) {
  fail((e as Error).message);
}
if (args.values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (args.positionals.length > 1) fail(`expected at most one host, got ${args.positionals.join(" ")}`);
const host = args.positionals[0] ?? "127.0.0.1";
const port = integerOption("port", args.values.port, 8080, 0, 65535);
const idleTimeoutMs = integerOption("idle-timeout-ms", args.values["idle-timeout-ms"], DEFAULT_IDLE_TIMEOUT_MS, 1, 2 ** 31 - 1);
const headerTimeoutMs = integerOption("header-timeout-ms", args.values["header-timeout-ms"], DEFAULT_HEADER_TIMEOUT_MS, 1, 2 ** 31 - 1);
const quiet = args.values.quiet === true;
const mode = args.values.reactor ?? "thread";
if (mode !== "thread" && mode !== "inline") fail(`--reactor must be thread or inline, got ${JSON.stringify(mode)}`);

let family: 4 | 6;
let ip: string;
try {
  ({ family, ip } = parseAddress({ host, port }));
} catch (e) {
  fail((e as Error).message);
}

const executor = init({ reactor: mode });
let listener: TcpListener;
try {
  listener = TcpListener.bind({ host, port });
} catch (e) {
  process.stderr.write(`delayserver: cannot listen on ${formatAddress({ family, ip, port })}: ${(e as Error).message}\n`);
  process.exit(1);
}
const url = `http://${formatAddress({ family, ip, port: listener.port })}`;

// The server sets the listener's options (TCP_NODELAY, TCP_DEFER_ACCEPT, the send buffer) as it is
// made: only then is the port announced, so no client connects to a listener that lacks them.
const server = new DelayServer(listener, {
  idleTimeoutMs,
  headerTimeoutMs,
  log: quiet ? null : new RequestLog(1),
  deferAccept: args.values["no-defer-accept"] !== true,
});

process.stdout.write(`delayserver: the delay server of "Asynchronous Programming in Rust", on reactor-executor
Listening on ${url}

USAGE:
  GET ${url}/{delay_ms}/{message}
  answers 200 (text/plain) with the URL-decoded message, slashes included, after delay_ms
  milliseconds (a whole number, 0..${MAX_DELAY_MS}). Keep-alive and pipelining work;
  "Connection: close" is honoured. HEAD is answered like GET without the body. Bad
  requests get 400, a path without a message 404, another method 405, headers over 16 KiB 431.

${
  quiet
    ? "Requests are not logged (--quiet)."
    : `Each request is logged as it arrives:
  #{n} - {delay_ms}ms: {message}           (answered 200; n counts these)
  !{status} {method} {target}: {reason}    (refused)

REQUESTS:
--------`
}
`);

const onSignal = (): void => {
  if (server.stopped) process.exit(130); // a second Ctrl-C: do not wait
  server.stop();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

try {
  await executor.run(server);
} catch (e) {
  process.stderr.write(`delayserver: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
}
process.exit(0);
