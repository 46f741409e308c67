// The missed-tick rules on a virtual clock: `nextTickTime` is pure. This file imports the module
// from the build directly (and nothing through the package), so one copy of the runtime loads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { nextTickTime, type MissedTickBehavior } from "../src/time/interval.js";

/** Ticks completing at `completions` (ms), for period 100 starting at 0: the due times seen. */
function schedule(behavior: MissedTickBehavior, completions: number[]): number[] {
  let due = 0;
  const dues: number[] = [];
  for (const at of completions) {
    const now = Math.max(at, due); // a tick never completes before it is due
    dues.push(due);
    due = nextTickTime(behavior, due, now, 100);
  }
  return dues;
}

test("on time, or a little late: every behaviour keeps the schedule", () => {
  for (const b of ["skip", "burst", "delay"] as const) {
    assert.deepEqual(schedule(b, [0, 100, 230, 300, 499]), [0, 100, 200, 300, 400], b);
  }
});

test("skip: after a stall the missed ticks are dropped and the ticks stay on the grid", () => {
  // The task is busy from 100 to 350: the tick due at 200 completes at 350.
  assert.deepEqual(schedule("skip", [0, 100, 350, 0, 0]), [0, 100, 200, 400, 500]);
  // Exactly on a grid point: that one counts as passed, the next is due.
  assert.equal(nextTickTime("skip", 100, 300, 100), 400);
});

test("burst: every missed tick comes, at once, until the schedule has caught up", () => {
  assert.deepEqual(schedule("burst", [0, 100, 350, 350, 350, 0]), [0, 100, 200, 300, 400, 500]);
});

test("delay: the schedule restarts one period after the late tick", () => {
  assert.deepEqual(schedule("delay", [0, 100, 350, 0, 0]), [0, 100, 200, 450, 550]);
});
