// A thread holding a thread channel's end ends, however it ends: the other side sees the end of
// the channel (receivers) or ClosedError (senders), never a hang, while nobody joins that thread.
// Each case runs in a child process with a time limit, with the main thread parked in blockOn
// (where no Worker event arrives) and under run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runNode } from "./util/run-child.js";
import type { ChannelFaultReport, Scenario } from "./util/thread-channel-fault-child.js";

const child = new URL("./util/thread-channel-fault-child.js", import.meta.url).pathname;
const TEN = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

async function fault(scenario: Scenario, runner: "blockOn" | "run"): Promise<ChannelFaultReport> {
  const r = await runNode([child, scenario, runner], { timeoutMs: 90_000 });
  assert.equal(r.timedOut, false, `the child did not end within 90 s (a receiver or sender left waiting)\n${r.stderr}`);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout.trim().split("\n").pop()!) as ChannelFaultReport;
  assert.equal(report.fdsAfter, report.fdsBefore, "open fds once the threads have gone (pidfd watches included)");
  return report;
}

for (const runner of ["blockOn", "run"] as const) {
  test(`${runner}: a sender's thread out of memory (resourceLimits): the receiver gets what was sent, then the end`, async () => {
    const r = await fault("oom-sender", runner);
    assert.deepEqual(r.values, TEN);
    assert.equal(r.joinCode, "ERR_THREAD_CRASHED");
  });

  test(`${runner}: a sender's thread stopped by terminate(): the receiver gets the end`, async () => {
    const r = await fault("terminate-sender", runner);
    assert.deepEqual(r.values, TEN);
    assert.equal(r.joinCode, "ERR_THREAD_TERMINATED");
  });

  test(`${runner}: the only receiver's thread terminated: a send waiting on the full channel throws ClosedError`, async () => {
    const r = await fault("terminate-receiver", runner);
    assert.equal(r.sender?.code, "ECLOSED");
    assert.ok(r.sender.sent >= 4, `sent ${r.sender.sent}: the channel filled up before the receiver died`);
    assert.equal(r.joinCode, "ERR_THREAD_TERMINATED");
  });

  test(`${runner}: the only receiver's thread terminated before it started: a send waiting on the full channel throws ClosedError`, async () => {
    // Nobody can watch a thread that has not named itself yet: its parent's terminate() gives
    // back what was moved into it (a waiting send hung here before).
    const r = await fault("terminate-receiver-early", runner);
    assert.deepEqual(r.sender, { sent: 4, code: "ECLOSED" });
    assert.equal(r.joinCode, "ERR_THREAD_TERMINATED");
  });

  test(`${runner}: the only receiver's thread out of memory: a waiting send throws ClosedError`, async () => {
    const r = await fault("oom-receiver", runner);
    assert.equal(r.sender?.code, "ECLOSED");
    assert.equal(r.joinCode, "ERR_THREAD_CRASHED");
  });
}

test("a sender's thread out of memory, the receiver in another thread: it gets the end", async () => {
  const r = await fault("oom-sender-sibling", "blockOn");
  assert.deepEqual(r.values, TEN);
  assert.equal(r.joinCode, "ERR_THREAD_CRASHED");
});

test("the receiver's thread out of memory, the sender in another thread: its send throws ClosedError", async () => {
  const r = await fault("oom-receiver-sibling", "blockOn");
  assert.equal(r.sender?.code, "ECLOSED");
  assert.equal(r.joinCode, "ERR_THREAD_CRASHED");
});

for (const [scenario, code] of [
  ["exit-sender", "ERR_THREAD_EXITED"],
  ["throw-sender", undefined],
  ["uncaught-sender", "ERR_THREAD_UNCAUGHT"],
  ["return-sender", "returned"],
] as const) {
  test(`a sender's thread that ends by ${scenario.replace("-sender", "")} with its sender open: the receiver gets the end`, async () => {
    const r = await fault(scenario, "blockOn");
    assert.deepEqual(r.values, TEN);
    if (code !== undefined) assert.equal(r.joinCode, code);
    else assert.notEqual(r.joinCode, "returned");
  });
}

test("joining a stopped thread closes the ends it held, with nobody waiting on the channel", async () => {
  const r = await fault("join-reclaims", "blockOn");
  assert.equal(r.joinCode, "ERR_THREAD_TERMINATED");
  assert.equal(r.closedAfterJoin, true);
  assert.deepEqual(r.values, [0, 1, 2]);
});
