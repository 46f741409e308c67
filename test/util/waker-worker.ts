/**
 * A worker for the cross-thread wake tests: waits until the main executor has published one waker
 * ref per task, then wakes them `perTask` times each, in bursts with short pauses so the executor
 * parks and unparks in between. Before each wake it counts it in `sent`, so the task can tell how
 * many wakes it was owed.
 */
import { workerData } from "node:worker_threads";
import { attachWakeHub, wakeRef } from "../../src/runtime/wake-hub.js";

interface Data {
  hub: SharedArrayBuffer;
  control: SharedArrayBuffer; // [0] published count
  refs: SharedArrayBuffer;
  sent: SharedArrayBuffer;
  tasks: number;
  perTask: number;
  burst: number;
  seed: number;
}

const d = workerData as Data;
attachWakeHub(d.hub);
const control = new Int32Array(d.control);
const refs = new Int32Array(d.refs);
const sent = new Int32Array(d.sent);
while (Atomics.load(control, 0) < d.tasks) Atomics.wait(control, 0, Atomics.load(control, 0), 50);

let seed = d.seed;
const pause = new Int32Array(new SharedArrayBuffer(4));
for (let round = 0; round < d.perTask; round++) {
  for (let i = 0; i < d.tasks; i++) {
    Atomics.add(sent, i, 1);
    wakeRef(Atomics.load(refs, i));
  }
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  if (round % d.burst === 0 && seed % 4 === 0) Atomics.wait(pause, 0, 0, 0.2);
}
