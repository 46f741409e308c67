/** Sockets made before `init()`: a clear error, and no fd left behind. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runModule } from "./util/run-child.js";

test("connect or bind before init(): a clear error, and the socket opened for it is closed", async () => {
  const r = await runModule(`
    import { readdirSync } from "node:fs";
    import { Executor, TcpListener, TcpStream } from "reactor-executor";
    const count = () => readdirSync("/proc/self/fd").length;
    const before = count();
    const errors = new Set();
    for (let i = 0; i < 20; i++) {
      try { new Executor().blockOn(TcpStream.connect("127.0.0.1:9")); } catch (e) { errors.add(e.name + ": " + e.message); }
      try { TcpListener.bind("127.0.0.1:0"); } catch (e) { errors.add(e.name + ": " + e.message); }
    }
    console.log(JSON.stringify({ leaked: count() - before, errors: [...errors] }));
  `);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { leaked: number; errors: string[] };
  assert.deepEqual(out, { leaked: 0, errors: ["RuntimeError: the reactor is not running: call init() first"] });
});
