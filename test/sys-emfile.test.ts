import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

// Node cannot lower RLIMIT_NOFILE itself, so a child runs under `ulimit -n 64` and reports back.
const sysUrl = new URL("../src/sys/index.js", import.meta.url).href;
const child = `
import * as sys from ${JSON.stringify(sysUrl)};
const out = {};
const describe = (e) => e && e.code ? { code: e.code, errno: e.errno, syscall: e.syscall, name: e.name } : { other: String(e) };
const listener = sys.socket(4);
sys.bind(listener, sys.parseAddress("127.0.0.1:0"));
sys.listen(listener);
const client = sys.socket(4);
sys.connect(client, sys.parseAddress({ host: "127.0.0.1", port: sys.localPort(listener) }));
const held = [];
try {
  for (let i = 0; i < 1000; i++) held.push(sys.socket(4));
  out.socket = "no error after 1000 sockets";
} catch (e) {
  out.socket = describe(e);
}
out.held = held.length;
for (const [name, f] of [["eventfd", () => sys.eventfd()], ["epoll", () => sys.epollCreate()], ["accept4", () => sys.accept4(listener)]]) {
  try { out[name] = "no error: " + f(); } catch (e) { out[name] = describe(e); }
}
// One fd freed: the queued connection can now be accepted.
sys.close(held.pop());
const accepted = sys.accept4(listener);
out.acceptedAfterClose = accepted >= 0;
console.log(JSON.stringify(out));
`;

test("EMFILE: running out of fds throws IoError EMFILE from socket, eventfd, epoll_create1, accept4", (t) => {
  const r = spawnSync("bash", ["-c", 'ulimit -n 64 && exec "$0" --input-type=module -e "$1"', process.execPath, child], {
    encoding: "utf8",
    timeout: 30_000,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
    t.skip("bash is not installed");
    return;
  }
  assert.equal(r.status, 0, `child failed:\n${r.stderr}`);
  interface ErrorShape {
    code: string;
    errno: number;
    syscall: string;
    name: string;
  }
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
    socket: ErrorShape;
    held: number;
    eventfd: ErrorShape;
    epoll: ErrorShape;
    accept4: ErrorShape;
    acceptedAfterClose: boolean;
  };
  const emfile = (syscall: string) => ({ code: "EMFILE", errno: 24, syscall, name: "IoError" });
  assert.deepEqual(out.socket, emfile("socket"));
  assert.ok(out.held > 0 && out.held < 64, `held ${out.held}`);
  assert.deepEqual(out.eventfd, emfile("eventfd"));
  assert.deepEqual(out.epoll, emfile("epoll_create1"));
  assert.deepEqual(out.accept4, emfile("accept4"));
  assert.equal(out.acceptedAfterClose, true);
});
