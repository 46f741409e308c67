/**
 * A node:net HTTP server in a child process, so it keeps answering while the test's main thread is
 * parked in `blockOn`, and its sockets do not count among the test process's fds. Prints its port
 * on stdout; exits when stdin closes. Routes:
 * - `/{ms}/{message}`: after `ms`, `200` with the percent-decoded message, then close (the book's
 *   delay server, minimal).
 * - `/raw/{name}`: canned bytes from RAW, then close (broken servers for the error tests).
 * - `/chunked/{message}`: the message as two chunks.
 * - `/silent`: accepts and never answers.
 * - `/echo-authorization`: `200` whose body is the request's `Authorization` value (empty if none).
 * - Hostile servers, for the client's limits (they write as fast as the client reads, until it
 *   closes): `/endless/1xx` (100 Continue forever), `/endless/chunks` (a chunked body of 1-byte
 *   chunks that never ends), `/endless/close` (a read-until-close body that never ends),
 *   `/one-byte-chunks/{n}` (a chunked body of n 1-byte chunks, then its end).
 */
import { createServer, type Socket } from "node:net";

const RAW: Record<string, string> = {
  "truncated-headers": "HTTP/1.1 200 OK\r\nContent-Le",
  "truncated-body": "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
  "bad-status": "HTTP/1.1 two hundred OK\r\n\r\n",
  "huge-headers": "HTTP/1.1 200 OK\r\n" + "X-Filler: " + "a".repeat(20_000) + "\r\n\r\n",
  "close-delimited": "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close",
  garbage: "SSH-2.0-OpenSSH_9.6\r\n",
  "blank-after-interim": "HTTP/1.1 100 Continue\r\n\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
  "crlf-first": "\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
  cookies: "HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n",
};

/**
 * Writes `head`, then `piece` again and again as fast as the socket takes it (waiting for
 * `drain`), until `count` pieces (Infinity: until the peer goes away), then `tail`.
 */
function stream(socket: Socket, head: string, piece: string, count: number, tail = ""): void {
  const block = Buffer.from(piece.repeat(Math.max(1, Math.floor(65536 / piece.length))));
  const perBlock = block.length / piece.length;
  let left = count;
  const pump = (): void => {
    while (!socket.destroyed && left > 0) {
      const n = Math.min(left, perBlock);
      left -= n;
      const ok = socket.write(n === perBlock ? block : block.subarray(0, n * piece.length));
      if (left === 0) socket.end(tail);
      else if (!ok) {
        socket.once("drain", pump);
        return;
      }
    }
  };
  socket.write(head);
  pump();
}

const open = new Set<Socket>();

const server = createServer((socket) => {
  open.add(socket);
  socket.on("close", () => open.delete(socket));
  socket.on("error", () => {});
  let head = "";
  socket.on("data", (d) => {
    head += d.toString("latin1");
    if (!head.includes("\r\n\r\n")) return;
    const path = head.split(" ")[1] ?? "/";
    const parts = path.split("/");
    if (parts[1] === "raw") {
      socket.end(RAW[parts[2]!] ?? "HTTP/1.1 404 Not Found\r\n\r\n");
    } else if (parts[1] === "chunked") {
      const m = decodeURIComponent(parts.slice(2).join("/"));
      const half = Math.floor(m.length / 2);
      const chunk = (s: string): string => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
      socket.end(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(m.slice(0, half))}${chunk(m.slice(half))}0\r\n\r\n`);
    } else if (parts[1] === "silent") {
      // never answer
    } else if (parts[1] === "echo-authorization") {
      const value = /\r\nauthorization: *([^\r]*)/i.exec(head)?.[1] ?? "";
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(value, "latin1")}\r\n\r\n${value}`, "latin1");
    } else if (parts[1] === "endless") {
      if (parts[2] === "1xx") stream(socket, "", "HTTP/1.1 100 Continue\r\n\r\n", Infinity);
      else if (parts[2] === "chunks") stream(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "1\r\nx\r\n", Infinity);
      else stream(socket, "HTTP/1.1 200 OK\r\n\r\n", "x".repeat(64), Infinity);
    } else if (parts[1] === "one-byte-chunks") {
      stream(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "1\r\nx\r\n", Number(parts[2]), "0\r\n\r\n");
    } else {
      const ms = Number(parts[1]);
      const body = Buffer.from(decodeURIComponent(parts.slice(2).join("/")), "utf8");
      setTimeout(() => {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
        socket.end(body);
      }, ms);
    }
  });
});
server.listen(0, "127.0.0.1", 4096, () => {
  const address = server.address();
  process.stdout.write(`${typeof address === "object" && address !== null ? address.port : -1}\n`);
});
process.stdin.resume();
process.stdin.on("end", () => {
  for (const s of open) s.destroy();
  server.close();
  process.exit(0);
});
