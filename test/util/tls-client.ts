/**
 * A minimal HTTPS exchange over `TlsStream` for the TLS tests (below the HTTP client): connect,
 * send one request, read until the server's `close_notify`.
 *
 * @module
 */
import { coroutine, wait, TlsStream, type Future, type TlsConnectOptions } from "../../src/index.js";
import type { AddressInput } from "../../src/sys/index.js";

export interface Exchange {
  /** The response head (status line and headers). */
  head: string;
  body: Buffer;
  alpn: string | null;
  protocol: string;
  /** Whether the handshake resumed a session. */
  reused: boolean;
}

/** `GET path` (plus `upload`, if any, right after the head) on a new TLS connection to `address`. */
export function httpsGet(address: AddressInput, path: string, options: TlsConnectOptions = {}, upload?: Uint8Array): Future<Exchange> {
  return coroutine(function* () {
    const tls = yield* wait(TlsStream.connect(address, options));
    try {
      const host = typeof address === "string" ? address.slice(0, address.lastIndexOf(":")) : address.host;
      yield* wait(tls.writeAll(Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)));
      if (upload !== undefined) yield* wait(tls.writeAll(upload));
      const chunks: Buffer[] = [];
      const buf = new Uint8Array(16 * 1024);
      for (;;) {
        const n = yield* wait(tls.read(buf));
        if (n === 0) break;
        chunks.push(Buffer.from(buf.subarray(0, n)));
      }
      const all = Buffer.concat(chunks);
      const end = all.indexOf("\r\n\r\n");
      return {
        head: all.toString("latin1", 0, end),
        body: all.subarray(end + 4),
        alpn: tls.alpnProtocol,
        protocol: tls.protocol,
        reused: tls.sessionReused,
      };
    } finally {
      tls.close();
    }
  });
}

/** Runs `f` and returns the error it threw (fails if it did not throw). */
export function errorOf(run: () => unknown): Error & { code?: string; reason?: string } {
  try {
    run();
  } catch (e) {
    return e as Error & { code?: string; reason?: string };
  }
  throw new Error("expected an error, got none");
}
