// Cross-check against Node's own HTTP stack: a real node:http server on 127.0.0.1 answers with
// Content-Length, chunked (with a trailer) and close-delimited bodies; the raw bytes, fetched with
// net.connect, must parse to what Node's http.get sees: status, reason, headers, trailers and body.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { ResponseParser, type HttpResponse } from "../src/http/parse-response.js";
import { serializeRequest } from "../src/http/serialize.js";

const LONG_CHUNK = Buffer.alloc(70_000, "x");

const server = http.createServer((req, res) => {
  res.sendDate = false; // two fetches of one path must give the same bytes
  switch (req.url) {
    case "/length":
      res.statusCode = 201;
      res.statusMessage = "Made It";
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.setHeader("X-Multi", ["one", "two"]);
      res.end("héllo wörld");
      return;
    case "/chunked":
      res.setHeader("Trailer", "X-Checksum");
      res.write("part one, ");
      res.write(LONG_CHUNK);
      res.addTrailers({ "X-Checksum": "abc123" });
      res.end("end");
      return;
    case "/close":
      res.removeHeader("Transfer-Encoding"); // no length, no chunking: the body ends at close
      res.write("until ");
      res.end("close");
      return;
    default:
      res.statusCode = 404;
      res.end();
  }
});
let port = 0;

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The response bytes exactly as they come off the socket, for a request we build ourselves. */
function rawGet(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(serializeRequest({ path, host: `127.0.0.1:${port}` }));
    });
    const pieces: Buffer[] = [];
    socket.on("data", (d: Buffer) => pieces.push(d));
    socket.on("end", () => resolve(Buffer.concat(pieces)));
    socket.on("error", reject);
  });
}

interface Seen {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  trailers: Record<string, string>;
  body: string;
}

/** What Node's client sees, with repeated headers joined as ours are. */
function nodeGet(path: string): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const flat = (h: NodeJS.Dict<string | string[]>) =>
      Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)]));
    http
      .get({ host: "127.0.0.1", port, path, agent: false, headers: { Connection: "close" } }, (res) => {
        const pieces: Buffer[] = [];
        res.on("data", (d: Buffer) => pieces.push(d));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? "",
            headers: flat(res.headers),
            trailers: flat(res.trailers),
            body: Buffer.concat(pieces).toString("latin1"),
          }),
        );
      })
      .on("error", reject);
  });
}

function ours(res: HttpResponse): Seen {
  return {
    status: res.status,
    statusText: res.statusText,
    headers: Object.fromEntries(res.headers.entries()),
    trailers: Object.fromEntries(res.trailers.entries()),
    body: Buffer.from(res.body).toString("latin1"),
  };
}

/** Parses `bytes` in pieces of `size`, returning the response and whether it completed before EOF. */
function parseInPieces(bytes: Buffer, size: number): { res: HttpResponse; beforeEof: boolean } {
  const parser = new ResponseParser();
  for (let i = 0; i < bytes.length; i += size) {
    const res = parser.push(bytes.subarray(i, i + size));
    if (res !== undefined) return { res, beforeEof: true };
  }
  return { res: parser.end(), beforeEof: false };
}

for (const [path, framing, beforeEof] of [
  ["/length", "content-length", true],
  ["/chunked", "transfer-encoding", true],
  ["/close", undefined, false],
] as const) {
  test(`${path}: our parse of the raw bytes equals what http.get sees`, async () => {
    const [raw, seen] = await Promise.all([rawGet(path), nodeGet(path)]);
    for (const size of [raw.length, 1, 7, 1024]) {
      const parsed = parseInPieces(raw, size);
      assert.deepEqual(ours(parsed.res), seen, `pieces of ${size}`);
      assert.equal(parsed.beforeEof, beforeEof, `pieces of ${size}`);
    }
    const { res } = parseInPieces(raw, raw.length);
    if (framing !== undefined) assert.ok(res.headers.has(framing), `the server used ${framing}`);
    else assert.ok(!res.headers.has("content-length") && !res.headers.has("transfer-encoding"), "close-delimited");
  });
}

test("the samples cover what they claim", async () => {
  const length = parseInPieces(await rawGet("/length"), 1 << 20).res;
  assert.equal(length.text(), "héllo wörld");
  assert.equal(length.headers.get("x-multi"), "one, two");
  const chunked = parseInPieces(await rawGet("/chunked"), 1 << 20).res;
  assert.equal(chunked.body.length, 10 + LONG_CHUNK.length + 3);
  assert.equal(chunked.trailers.get("x-checksum"), "abc123");
  assert.equal(parseInPieces(await rawGet("/close"), 1 << 20).res.text(), "until close");
});
