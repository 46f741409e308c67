import { test } from "node:test";
import assert from "node:assert/strict";
import { runNode } from "./util/run-child.js";

test("examples/thread-work-queue: a producer thread feeds 3 worker threads through one channel, each job done once", async () => {
  const r = await runNode([new URL("../examples/thread-work-queue.js", import.meta.url).pathname], { timeoutMs: 120_000 });
  assert.equal(r.timedOut, false, r.stderr);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stderr, "");
  assert.match(r.stdout, /^producer: sent 300 jobs$/m);
  const perWorker = [...r.stdout.matchAll(/^worker-(\d): (\d+) jobs$/gm)].map((m) => Number(m[2]));
  assert.equal(perWorker.length, 3);
  assert.equal(
    perWorker.reduce((a, b) => a + b, 0),
    300,
  );
  // Primes below 20,000 + (id * 7919 mod 30,000), summed over the 300 jobs.
  assert.match(r.stdout, /^300 jobs done by 3 workers, each once: yes; 1112524 primes counted$/m);
});
