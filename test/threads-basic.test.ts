import { test } from "node:test";
import assert from "node:assert/strict";
import { init, coroutine, wait, spawnThread, Executor } from "reactor-executor";
import { runModule } from "./util/run-child.js";

const programs = new URL("./util/thread-programs.js", import.meta.url);
init();

test("spawnThread runs the export with its arguments; join completes when the thread is done", () => {
  const out = new SharedArrayBuffer(8);
  const h = spawnThread("exec-1", programs, "writeAfter", out, 0, 99, 20);
  assert.equal(h.name, "exec-1");
  new Executor().blockOn(h.join());
  assert.equal(Atomics.load(new Int32Array(out), 0), 99);
});

test("an error in the thread is rethrown by join with its message, stack and code", () => {
  const h = spawnThread("exec-bad", programs, "failing", "peer went away");
  const e = (() => {
    try {
      new Executor().blockOn(h.join());
      return null;
    } catch (err) {
      return err as Error & { code?: string; errno?: number; syscall?: string };
    }
  })();
  assert.ok(e !== null);
  assert.equal(e.message, "peer went away");
  assert.equal(e.name, "IoError");
  assert.equal(e.code, "ECONNRESET");
  assert.equal(e.errno, 104);
  assert.equal(e.syscall, "read");
  assert.match(e.stack ?? "", /thread-programs/);
});

test("a crash in one thread does not hang the others", () => {
  const out = new SharedArrayBuffer(8);
  const good = spawnThread("good", programs, "writeAfter", out, 0, 1, 50);
  const bad = spawnThread("bad", programs, "failing", "boom");
  const result = new Executor().blockOn(
    coroutine(function* () {
      let failed = "";
      try {
        yield* wait(bad.join());
      } catch (e) {
        failed = (e as Error).message;
      }
      yield* wait(good.join());
      return failed;
    }),
  );
  assert.equal(result, "boom");
  assert.equal(Atomics.load(new Int32Array(out), 0), 1);
});

test("a missing export is a clear error from join", async () => {
  const h = spawnThread("nope", programs, "noSuchExport");
  await assert.rejects(h.joinAsync(), /has no exported function noSuchExport/);
});

test("spawnThread works from inside another thread", async () => {
  const out = new SharedArrayBuffer(8);
  await spawnThread("outer", programs, "nested", out).joinAsync();
  assert.deepEqual(Array.from(new Int32Array(out)), [7, 42]);
});

test("the inline reactor refuses spawnThread with a clear error", async () => {
  const r = await runModule(`
    import { init, spawnThread } from "reactor-executor";
    init({ reactor: "inline" });
    try { spawnThread("x", import.meta.url, "f"); } catch (e) { console.log(e.message); }
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /not available with init\(\{ reactor: "inline" \}\)/);
});

test("the book's d-multiple-threads prints 60 responses in about 4 s and exits by itself", async () => {
  const { startTestServer } = await import("./util/test-server.js");
  const server = await startTestServer();
  try {
    const { runNode } = await import("./util/run-child.js");
    const r = await runNode([new URL("../examples/d-multiple-threads.js", import.meta.url).pathname], {
      env: { DELAY_SERVER: server.address },
      timeoutMs: 30_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.equal(lines.filter((l) => /^HelloWorld\d$/.test(l)).length, 60);
    assert.equal(lines.filter((l) => l === "Program starting").length, 12);
    for (let i = 1; i < 12; i++) assert.ok(lines.includes(`exec-${i}: All tasks are finished`), `exec-${i} did not finish`);
    assert.match(r.stdout, /exec-\d+: 5 pending tasks\. Sleep until notified\./);
    assert.ok(r.ms < 4_000 * 2, `${r.ms} ms`); // generous: the machine is shared
  } finally {
    await server.stop();
  }
});
