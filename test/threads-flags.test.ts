// spawnThread under any runner and any Node flags: a thread inherits the process's flags, and
// nothing is passed to the Worker that it would refuse (ERR_WORKER_INVALID_EXEC_ARGV).
import { test } from "node:test";
import assert from "node:assert/strict";
import { runNode } from "./util/run-child.js";

const programs = new URL("./util/thread-programs.js", import.meta.url).href;

test("a thread spawned inside a `node --test` file runs", async () => {
  const file = new URL("./util/thread-under-node-test.js", import.meta.url).pathname;
  // NODE_TEST_CONTEXT would make the inner runner report to this one instead of printing.
  const r = await runNode(["--test", "--test-reporter=tap", file], { timeoutMs: 60_000, env: { NODE_TEST_CONTEXT: undefined } });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /# pass 1/);
  assert.doesNotMatch(r.stdout + r.stderr, /ERR_WORKER_INVALID_EXEC_ARGV/);
});

const program = `
  import { init, spawnThread } from "reactor-executor";
  const executor = init();
  const seen = executor.blockOn(spawnThread({ name: "flags", module: ${JSON.stringify(programs)}, export: "flagsSeen" }).join());
  console.log(JSON.stringify(seen));
`;

for (const flag of ["--max-old-space-size=256", "--expose-gc", "--stack-size=900", "--jitless", "--title=reactor-flags", null]) {
  test(`spawnThread under node ${flag ?? ""} --input-type=module -e: the thread inherits the flags`, async () => {
    const args = flag === null ? [] : [flag];
    const r = await runNode([...args, "--input-type=module", "-e", program], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(r.stdout.trim().split("\n").pop()!) as { execArgv: string[]; gc: string };
    if (flag !== null) assert.ok(seen.execArgv.includes(flag), `${flag} not in the thread's execArgv ${JSON.stringify(seen.execArgv)}`);
    assert.equal(seen.gc, flag === "--expose-gc" ? "function" : "undefined");
  });
}
