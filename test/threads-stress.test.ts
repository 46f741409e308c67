import { test } from "node:test";
import assert from "node:assert/strict";
import { init, coroutine, wait, spawnThread, Executor, timeout } from "reactor-executor";
import { openFdCount } from "./util/fds.js";
import { startTestServer } from "./util/test-server.js";

const programs = new URL("./util/thread-programs.js", import.meta.url);
init();

test("8 executor threads x 500 concurrent requests: every body checked, no fd left open", async () => {
  const server = await startTestServer();
  try {
    const fds = openFdCount();
    const handles = Array.from({ length: 8 }, (_, t) => spawnThread(`exec-${t}`, programs, "fetchMany", server.port, t, 500));
    new Executor().blockOn(
      timeout(
        coroutine(function* () {
          for (const h of handles) yield* wait(h.join());
        }),
        60_000,
      ),
    );
    // Worker threads release their own handles (the thread's stdio pipes) as they exit.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(openFdCount(), fds);
  } finally {
    await server.stop();
  }
});

test("1,000,000 cross-thread wakes over 4 threads: every task completes, none lost", () => {
  const threads = 4;
  const tasks = 50;
  const rounds = 5_000; // 4 x 50 x 5,000 = 1,000,000 wakes
  const shared = new SharedArrayBuffer(4 * (1 + 2 * threads * tasks));
  const t0 = performance.now();
  const handles = Array.from({ length: threads }, (_, me) =>
    spawnThread(`ring-${me}`, programs, "wakeRing", shared, me, threads, tasks, rounds),
  );
  new Executor().blockOn(
    timeout(
      coroutine(function* () {
        for (const h of handles) yield* wait(h.join());
      }),
      120_000, // a lost wake-up shows as this timeout, not a hang
    ),
  );
  const words = new Int32Array(shared);
  for (let k = 0; k < threads * tasks; k++) assert.equal(words[1 + 2 * k + 1], rounds);
  console.log(`# 1,000,000 cross-thread wakes in ${(performance.now() - t0).toFixed(0)} ms`);
});
