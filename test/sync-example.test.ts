import { test } from "node:test";
import assert from "node:assert/strict";
import { startDelayServer } from "./util/delay-server.js";
import { runNode } from "./util/run-child.js";

test("examples/fetch-many: 50 pages from a real delay server, 8 at a time, timed-out attempts retried", async () => {
  const server = await startDelayServer();
  try {
    const r = await runNode([new URL("../examples/fetch-many.js", import.meta.url).pathname], {
      env: { DELAY_SERVER: server.address },
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, "");
    const summary = /^(\d+) of 50 ok, 8 at a time \(max in flight (\d+)\), (\d+) retries, ([\d.]+) s$/m.exec(r.stdout);
    assert.ok(summary !== null, r.stdout);
    assert.equal(summary[1], "50");
    assert.equal(summary[2], "8", "the limit was reached and never passed");
    // Half the pages take longer than the first attempt's 150 ms: they time out and are retried.
    const retries = Number(summary[3]);
    assert.ok(retries >= 5, `${retries} retries`);
    assert.equal(r.stdout.match(/attempt \d failed \(.*\), retrying/g)?.length, retries);
    assert.match(r.stdout, /attempt 1 failed \(timed out after 150 ms\), retrying/);
    assert.match(r.stdout, /^first: page0, last: page49$/m);
  } finally {
    await server.stop();
  }
});
