// The delay server's suites (contract, connections, errors) once more, with every server they start
// running the inline reactor (`--reactor inline`): the executor then waits in epoll_wait itself
// under run(), a different wait path from the reactor thread's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runNode } from "./util/run-child.js";

test("the delay server suites pass with --reactor inline", async () => {
  const dir = new URL(".", import.meta.url).pathname;
  const files = ["delayserver-basic", "delayserver-connections", "delayserver-errors"].map((f) => `${dir}${f}.test.js`);
  // TAP, whose summary lines are read below: Node 23+ prints the spec reporter's by default.
  const r = await runNode(["--test", "--test-reporter=tap", "--test-concurrency=1", ...files], {
    // Not a child of this runner (which would report to it instead of printing): a runner of its own.
    env: { DELAYSERVER_TEST_REACTOR: "inline", NODE_TEST_CONTEXT: undefined },
    timeoutMs: 180_000,
  });
  const summary = r.stdout.split("\n").filter((l) => /^# (tests|pass|fail)/.test(l));
  assert.equal(
    r.code,
    0,
    `${summary.join("\n")}\n${r.stdout
      .split("\n")
      .filter((l) => l.startsWith("not ok"))
      .join("\n")}\n${r.stdout.slice(-3000)}`,
  );
  assert.ok(
    summary.some((l) => /^# pass [1-9]\d+$/.test(l)),
    summary.join("\n"),
  );
  assert.ok(summary.includes("# fail 0"), summary.join("\n"));
});
