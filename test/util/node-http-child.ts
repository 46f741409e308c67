/**
 * `node:http` and `node:https` servers in a child process (so they keep answering while the test's
 * thread is parked in `blockOn`), for the HTTP client's pool, streaming and HTTPS tests. argv[2]
 * is a JSON list of {@link NodeServerSpec}; the child starts each on 127.0.0.1, port 0, prints one
 * JSON line `{ name: port, ... }`, and exits when stdin closes. Keep-alive as Node does it (5 s
 * idle unless `keepAliveTimeoutMs` says otherwise).
 *
 * Routes (every answer has a `Content-Length` unless said otherwise):
 * - `/hello/{text}`: `200` with the text;
 * - `/conn`: `200` with the number of the connection it came on (1, 2, ... per server), so a
 *   test sees which requests shared one;
 * - `/conns`: `200` with how many connections the server has accepted;
 * - `/close-next`: `200`; the next request on the same connection gets no answer: the server
 *   destroys the connection as that request arrives (a server that closed an idle connection
 *   just as the client reused it);
 * - `/info`: `200` with JSON `{ reused, protocol }` (https: whether the TLS session was resumed);
 * - `/big/{n}`: `200` with n bytes (`i % 251`);
 * - `/drip/{n}/{ms}`: a chunked body of n chunks `piece{i};` written `ms` apart;
 * - `/chunked/{n}`: a chunked body of n chunks `c{i};` at once;
 * - `/until-close/{text}`: the text with no length, then the connection closes (HTTP/1.0 style);
 * - `/slow/{ms}/{text}`: `200` with the text after `ms`;
 * - `/echo`: `200` with the request body;
 * - `/count-post`: `200` with how many POSTs reached it so far.
 */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttps } from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";

export interface NodeServerSpec {
  name: string;
  kind: "http" | "https";
  key?: string;
  cert?: string;
  keepAliveTimeoutMs?: number;
}

const sockets = new Set<Socket>();
const closeNext = new WeakSet<Socket>();

function body(res: ServerResponse, status: number, text: string | Buffer): void {
  const bytes = typeof text === "string" ? Buffer.from(text) : text;
  res.writeHead(status, { "Content-Type": "text/plain", "Content-Length": bytes.length });
  res.end(bytes);
}

function handler(connections: WeakMap<Socket, number>, counts: { conns: number; posts: number }) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const socket = req.socket;
    if (closeNext.has(socket)) {
      socket.destroy();
      return;
    }
    const [, route = "", a = "", b = ""] = (req.url ?? "/").split("/");
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      switch (route) {
        case "hello":
          return body(res, 200, decodeURIComponent(a));
        case "conn":
          return body(res, 200, String(connections.get(socket)));
        case "conns":
          return body(res, 200, String(counts.conns));
        case "close-next":
          closeNext.add(socket);
          return body(res, 200, "closing next");
        case "info": {
          const tls = socket as TLSSocket;
          const info = {
            reused: typeof tls.isSessionReused === "function" ? tls.isSessionReused() : false,
            protocol: tls.getProtocol?.() ?? null,
          };
          return body(res, 200, JSON.stringify(info));
        }
        case "big": {
          const data = Buffer.alloc(Number(a));
          for (let i = 0; i < data.length; i++) data[i] = i % 251;
          return body(res, 200, data);
        }
        case "drip": {
          const n = Number(a);
          const ms = Number(b);
          res.writeHead(200, { "Content-Type": "text/plain" });
          let i = 0;
          const next = (): void => {
            if (res.destroyed) return;
            if (i === n) {
              res.end();
              return;
            }
            res.write(`piece${i++};`);
            setTimeout(next, ms);
          };
          next();
          return;
        }
        case "chunked": {
          res.writeHead(200, { "Content-Type": "text/plain" });
          for (let i = 0; i < Number(a); i++) res.write(`c${i};`);
          res.end();
          return;
        }
        case "until-close":
          res.writeHead(200, { "Content-Type": "text/plain", Connection: "close" });
          // No length and no chunking: the body runs until the close.
          (res as ServerResponse & { useChunkedEncodingByDefault: boolean }).useChunkedEncodingByDefault = false;
          res.end(decodeURIComponent(a));
          return;
        case "slow":
          setTimeout(() => body(res, 200, decodeURIComponent(b)), Number(a));
          return;
        case "echo":
          return body(res, 200, Buffer.concat(chunks));
        case "count-post":
          if (req.method === "POST") counts.posts++;
          return body(res, 200, String(counts.posts));
        default:
          return body(res, 404, "no such route");
      }
    });
  };
}

function start(spec: NodeServerSpec): Promise<[string, number]> {
  const connections = new WeakMap<Socket, number>();
  const counts = { conns: 0, posts: 0 };
  const handle = handler(connections, counts);
  const server: Server = spec.kind === "https" ? createHttps({ key: spec.key!, cert: spec.cert! }, handle) : createHttp(handle);
  server.keepAliveTimeout = spec.keepAliveTimeoutMs ?? 5000;
  const onSocket = (socket: Socket): void => {
    connections.set(socket, ++counts.conns);
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  };
  server.on(spec.kind === "https" ? "secureConnection" : "connection", onSocket);
  server.on("tlsClientError", () => {});
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", 1024, () => {
      const address = server.address();
      resolve([spec.name, typeof address === "object" && address !== null ? address.port : -1]);
    });
  });
}

const specs = JSON.parse(process.argv[2]!) as NodeServerSpec[];
const ports = Object.fromEntries(await Promise.all(specs.map(start)));
process.stdout.write(`${JSON.stringify(ports)}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
});
