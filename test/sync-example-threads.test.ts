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
  // The workers' answer, against a sieve: primes below 20,000 + (id * 7919 mod 30,000), summed over the jobs.
  const composite = new Uint8Array(50_000);
  const primesBelow: number[] = [0];
  for (let k = 1, n = 0; k < 50_000; k++) {
    if (k >= 2 && composite[k] === 0) for (let m = k * k; m < 50_000; m += k) composite[m] = 1;
    primesBelow.push((n += k >= 2 && composite[k] === 0 ? 1 : 0));
  }
  let want = 0;
  for (let id = 0; id < 300; id++) want += primesBelow[20_000 + ((id * 7919) % 30_000) - 1]!;
  assert.match(r.stdout, new RegExp(`^300 jobs done by 3 workers, each once: yes; ${want} primes counted$`, "m"));
});
