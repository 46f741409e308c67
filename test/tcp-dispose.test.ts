// `using` closes streams and listeners; Promise code iterates a listener's connections with
// `for await`, which a close of the listener ends.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import { coroutine, init, TcpListener, TcpStream, toPromise, wait } from "../src/index.js";
import { isOpen } from "./util/fds.js";

const executor = init();

function nodeClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

function readAll(s: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    s.setEncoding("utf8").on("data", (d: string) => (out += d));
    s.once("end", () => resolve(out));
    s.once("error", reject);
  });
}

test("using closes a TcpListener and a TcpStream when the block ends", () => {
  let listenerFd: number;
  let streamFd = -1;
  {
    using listener = TcpListener.bind("127.0.0.1:0");
    listenerFd = listener.fd;
    executor.blockOn(
      coroutine(function* () {
        using stream = yield* wait(TcpStream.connect({ host: "127.0.0.1", port: listener.port }));
        streamFd = stream.fd;
        assert.ok(isOpen(streamFd));
      }),
    );
    assert.equal(isOpen(streamFd), false, "the stream's fd is closed when its block ends");
    assert.ok(isOpen(listenerFd));
  }
  assert.equal(isOpen(listenerFd), false, "the listener's fd is closed when its block ends");
});

test("for await over a listener: each connection, until the listener is closed (which ends the loop, not throws)", async () => {
  const listener = TcpListener.bind("127.0.0.1:0");
  const greeted: Promise<string>[] = [];
  for (let i = 0; i < 3; i++) greeted.push(nodeClient(listener.port).then(readAll));
  let n = 0;
  for await (const stream of listener) {
    using s = stream;
    n++;
    await toPromise(s.writeAll(Buffer.from(`hello ${n}\n`)));
    if (n === 3) setTimeout(() => listener.close(), 10);
  }
  assert.equal(n, 3);
  assert.deepEqual((await Promise.all(greeted)).sort(), ["hello 1\n", "hello 2\n", "hello 3\n"]);
  assert.equal(isOpen(listener.fd), false);
});

test("leaving the loop (break) leaves the listener open; a listener closed before the loop yields nothing", async () => {
  const listener = TcpListener.bind("127.0.0.1:0");
  const first = nodeClient(listener.port);
  for await (const stream of listener) {
    stream.close();
    break;
  }
  (await first).destroy();
  const second = nodeClient(listener.port);
  const again = await toPromise(listener.accept());
  again.close();
  (await second).destroy();
  listener.close();
  let looped = 0;
  for await (const stream of listener) {
    stream.close();
    looped++;
  }
  assert.equal(looped, 0);
});
