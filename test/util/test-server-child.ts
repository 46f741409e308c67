/**
 * A node:net HTTP server in a child process, so it keeps answering while the test's main thread is
 * parked in `blockOn`, and its sockets do not count among the test process's fds. Prints its port
 * on stdout; exits when stdin closes. Routes:
 * - `/{ms}/{message}`: after `ms`, `200` with the percent-decoded message, then close (the book's
 *   delay server, minimal).
 * - `/raw/{name}`: canned bytes from RAW, then close (broken servers for the error tests).
 * - `/chunked/{message}`: the message as two chunks.
 * - `/silent`: accepts and never answers.
 */
import { createServer, type Socket } from "node:net";

const RAW: Record<string, string> = {
  "truncated-headers": "HTTP/1.1 200 OK\r\nContent-Le",
  "truncated-body": "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
  "bad-status": "HTTP/1.1 two hundred OK\r\n\r\n",
  "huge-headers": "HTTP/1.1 200 OK\r\n" + "X-Filler: " + "a".repeat(20_000) + "\r\n\r\n",
  "close-delimited": "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close",
};

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
