// Threads that end badly: each fault runs in a child process with a time limit (a join that never
// completes fails the test, it does not hang the suite), once with the joiner parked in blockOn
// (where no Worker event can arrive) and once under run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runNode } from "./util/run-child.js";
import type { FaultReport } from "./util/thread-fault-child.js";

const child = new URL("./util/thread-fault-child.js", import.meta.url).pathname;

async function fault(name: string, runner: "blockOn" | "run"): Promise<FaultReport> {
  const r = await runNode([child, name, runner], { timeoutMs: 90_000 });
  assert.equal(r.timedOut, false, `the child did not end within 90 s (a join left pending, or a thread left running)\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /Unhandled 'error' event/);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout.trim().split("\n").pop()!) as FaultReport;
  // What the thread held is given back before join() completes: its executor index, and the
  // eventfd it registered and noted as owned; Node's own fds for the thread once it has gone.
  assert.equal(report.executorsAfter, report.executorsBefore, "executor indices in use after join");
  assert.equal(report.ownedStillOpen, false, "the fd the thread registered is still open after join");
  assert.equal(report.fdsAfter, report.fdsBefore, "open fds once the thread has gone");
  return report;
}

for (const runner of ["blockOn", "run"] as const) {
  test(`${runner}: process.exit(3) in a thread ends join with ERR_THREAD_EXITED and exit code 3`, async () => {
    const { error } = await fault("exit", runner);
    assert.equal(error?.name, "ThreadError");
    assert.equal(error?.code, "ERR_THREAD_EXITED");
    assert.equal(error?.exitCode, 3);
    assert.match(error?.message ?? "", /thread faulty-exit exited with code 3/);
  });

  test(`${runner}: a thread out of memory (resourceLimits) ends join with ERR_THREAD_CRASHED`, async () => {
    const { error } = await fault("oom", runner);
    assert.equal(error?.code, "ERR_THREAD_CRASHED");
    assert.equal(error?.exitCode, 1);
    assert.match(error?.message ?? "", /thread faulty-oom ended with exit code 1 without reporting how: .*(out of memory|memory limit)/);
  });

  test(`${runner}: an error thrown from a timer after the export returned ends join with ERR_THREAD_UNCAUGHT`, async () => {
    const { error } = await fault("uncaught", runner);
    assert.equal(error?.code, "ERR_THREAD_UNCAUGHT");
    assert.equal(error?.exitCode, 1);
    assert.equal(error?.cause, "thrown from a timer after the export returned");
    assert.match(error?.message ?? "", /an error nobody caught in its event loop: RangeError: thrown from a timer/);
  });

  test(`${runner}: terminate() of a thread parked in its own blockOn ends join with ERR_THREAD_TERMINATED`, async () => {
    const { error } = await fault("terminate", runner);
    assert.equal(error?.code, "ERR_THREAD_TERMINATED");
    assert.equal(error?.exitCode, 1);
  });

  test(`${runner}: terminate() stops a runaway for(;;) thread and the process exits by itself`, async () => {
    const { error } = await fault("runaway", runner);
    assert.equal(error?.code, "ERR_THREAD_TERMINATED");
  });

  // Node stops a thread's own threads with it; what they held is reclaimed with the parent's.
  test(`${runner}: terminate() of a thread that started a thread gives back both threads' holdings`, async () => {
    const { error } = await fault("nested-terminate", runner);
    assert.equal(error?.code, "ERR_THREAD_TERMINATED");
  });

  test(`${runner}: process.exit in a thread that started a thread gives back both threads' holdings`, async () => {
    const { error } = await fault("nested-exit", runner);
    assert.equal(error?.code, "ERR_THREAD_EXITED");
    assert.equal(error?.exitCode, 4);
  });
}
