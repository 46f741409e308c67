/**
 * TLS test servers in a child process (so they keep answering while the test's thread is parked
 * in `blockOn`). argv[2] is a JSON list of {@link ServerSpec}; the child starts each on
 * 127.0.0.1, port 0, prints one JSON line `{ name: port, ... }`, and exits when stdin closes.
 *
 * Kinds:
 * - `tls`: node:tls over each accepted socket, with the spec's key, certificate chain and
 *   version limits. It reads one request head and answers by path, then ends with `close_notify`:
 *   - `/hello/{text}`: `200` with the text;
 *   - `/info`: `200` with JSON of what the server saw (`servername` from SNI, `alpn`, `protocol`,
 *     `reused`: whether the client resumed a session);
 *   - `/big/{n}`: `200` with n bytes (`i % 251`);
 *   - `/echo/{n}`: reads n more bytes after the head, answers them back;
 *   - `/truncate`: `Content-Length: 1000`, 10 bytes, then a TCP FIN with no `close_notify`;
 *   - `/until-close/{text}`: a body without length (read until the close), then `close_notify`;
 *     `/until-close/{text}/cut`: the same ended by a TCP FIN alone.
 * - `silent`: accepts and never sends a byte (a handshake that stalls).
 * - `hangup`: reads the ClientHello and closes (end of stream during the handshake).
 * - `plain`: answers whatever comes with a plain-text HTTP 400 (a server that does not speak TLS).
 */
import { createServer, type Server, type Socket } from "node:net";
import { TLSSocket, createSecureContext, type SecureContext, type SecureVersion } from "node:tls";

export interface ServerSpec {
  name: string;
  kind: "tls" | "silent" | "hangup" | "plain";
  key?: string;
  cert?: string;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  ciphers?: string;
}

const sockets = new Set<Socket>();

function track(socket: Socket): void {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
  socket.on("error", () => {});
}

function response(body: Buffer | string, extra = ""): string | Buffer {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  return Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n${extra}\r\n`), bytes]);
}

/** A server's context, made once: its session ticket keys must outlive a connection for resumption. */
function contextOf(spec: ServerSpec): SecureContext {
  return createSecureContext({
    key: spec.key!,
    cert: spec.cert!,
    ...(spec.minVersion === undefined ? {} : { minVersion: spec.minVersion }),
    ...(spec.maxVersion === undefined ? {} : { maxVersion: spec.maxVersion }),
    ...(spec.ciphers === undefined ? {} : { ciphers: spec.ciphers }),
  });
}

function serveTls(secureContext: SecureContext, raw: Socket): void {
  const tls = new TLSSocket(raw, { isServer: true, secureContext, ALPNProtocols: ["http/1.1"] });
  track(tls);
  let head = Buffer.alloc(0);
  let echo: { want: number; got: Buffer[]; size: number } | null = null;
  tls.on("data", (d: Buffer) => {
    if (echo !== null) {
      echo.got.push(d);
      echo.size += d.length;
      if (echo.size >= echo.want) tls.end(response(Buffer.concat(echo.got).subarray(0, echo.want)));
      return;
    }
    head = Buffer.concat([head, d]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    const path = head.toString("latin1", 0, end).split(" ")[1] ?? "/";
    const [, route, arg = ""] = path.split("/");
    if (route === "hello") {
      tls.end(response(decodeURIComponent(arg)));
    } else if (route === "info") {
      const servername = (tls as TLSSocket & { servername?: string | false }).servername;
      const seen = {
        servername: servername || null,
        alpn: tls.alpnProtocol || null,
        protocol: tls.getProtocol(),
        reused: tls.isSessionReused(),
      };
      tls.end(response(JSON.stringify(seen)));
    } else if (route === "big") {
      const body = Buffer.alloc(Number(arg));
      for (let i = 0; i < body.length; i++) body[i] = i % 251;
      tls.end(response(body));
    } else if (route === "echo") {
      echo = { want: Number(arg), got: [head.subarray(end + 4)], size: head.length - end - 4 };
      if (echo.size >= echo.want) tls.end(response(Buffer.concat(echo.got).subarray(0, echo.want)));
    } else if (route === "until-close") {
      // A body read until the close, which ends with close_notify (tls.end) or without it (a FIN).
      tls.write(`HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n${arg}`, () => (path.endsWith("/cut") ? raw.end() : tls.end()));
    } else if (route === "truncate") {
      // Once the record is on the wire, end the TCP stream under TLS: a FIN with no close_notify.
      tls.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789", () => raw.end());
    } else {
      tls.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
  });
}

function start(spec: ServerSpec): Promise<[string, number]> {
  const secureContext = spec.kind === "tls" ? contextOf(spec) : null;
  const server: Server = createServer((raw) => {
    track(raw);
    if (secureContext !== null) serveTls(secureContext, raw);
    // The ClientHello is read first: closing with it unread would send a reset (ECONNRESET), not
    // the end of stream this server stands for.
    else if (spec.kind === "hangup") raw.once("data", () => raw.end());
    else if (spec.kind === "plain") raw.once("data", () => raw.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"));
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", 1024, () => {
      const address = server.address();
      resolve([spec.name, typeof address === "object" && address !== null ? address.port : -1]);
    });
  });
}

const specs = JSON.parse(process.argv[2]!) as ServerSpec[];
const ports = Object.fromEntries(await Promise.all(specs.map(start)));
process.stdout.write(`${JSON.stringify(ports)}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
});
