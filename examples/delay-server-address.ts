/**
 * Where the examples find the delay server: the `DELAY_SERVER` environment variable
 * (`host:port`), default `127.0.0.1:8080` — the book's address. `npm start` sets it to the server it
 * starts.
 *
 * @module
 */
import type { HttpGetOptions } from "reactor-executor";

/** The delay server's address as `Http.get` options. */
export function delayServer(): HttpGetOptions {
  const raw = process.env["DELAY_SERVER"] ?? "127.0.0.1:8080";
  const at = raw.lastIndexOf(":");
  const port = Number(raw.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`DELAY_SERVER must be host:port, got ${JSON.stringify(raw)}`);
  }
  return { host: raw.slice(0, at).replace(/^\[(.*)\]$/, "$1"), port };
}
