/**
 * W3 wake/poll: 1,000 tasks each waking itself 10,000 times. Prints one JSON line with ns per poll
 * (wall time of the whole run / (tasks x (wakes + 1))), the same from CPU time (steadier when the
 * machine is shared), and peak RSS.
 * Contenders: `ours` (a hand-written Future that wakes itself), `ours-coroutine` (the same with
 * `coroutine`/`yieldNow`), `await-null` (1,000 async functions each awaiting null 10,000 times),
 * `setImmediate` (each loop iteration a setImmediate hop), `effect` (1,000 fibers forked with
 * `Effect.forkChild` (4.x; `fork` on 3.x) each doing `yield* Effect.yieldNow` 10,000 times, joined).
 *
 *   node dist/bench/w3-wake-poll.js <contender> [tasks] [wakes]
 */
import { Executor, coroutine, wait, yieldNow, PENDING, type Future, type Poll, type Waker } from "reactor-executor";
import { forkOf, loadEffect } from "./lib/effect.js";
import { emit, startMeasure, stopMeasure } from "./lib/report.js";

const [contender = "ours", tasksArg = "1000", wakesArg = "10000"] = process.argv.slice(2);
const tasks = Number(tasksArg);
const wakes = Number(wakesArg);
const effect = contender === "effect" ? await loadEffect() : null;

class SelfWake implements Future<void> {
  private left = wakes;
  poll(waker: Waker): Poll<void> {
    if (this.left-- === 0) return undefined;
    waker.wake();
    return PENDING;
  }
}

const polls = tasks * (wakes + 1);
async function measure(): Promise<void> {
  switch (contender) {
    case "ours": {
      const ex = new Executor();
      ex.blockOn(
        coroutine(function* () {
          for (let i = 0; i < tasks; i++) ex.spawn(new SelfWake());
        }),
      );
      break;
    }
    case "ours-coroutine": {
      const ex = new Executor();
      ex.blockOn(
        coroutine(function* () {
          for (let i = 0; i < tasks; i++) {
            ex.spawn(
              coroutine(function* () {
                for (let j = 0; j < wakes; j++) yield* wait(yieldNow());
              }),
            );
          }
        }),
      );
      break;
    }
    case "await-null": {
      const one = async (): Promise<void> => {
        // eslint-disable-next-line @typescript-eslint/await-thenable -- the contender: a plain `await null` per wake
        for (let j = 0; j < wakes; j++) await null;
      };
      const all: Promise<void>[] = [];
      for (let i = 0; i < tasks; i++) all.push(one());
      await Promise.all(all);
      break;
    }
    case "setImmediate": {
      const hop = (): Promise<void> => new Promise((r) => setImmediate(r));
      const one = async (): Promise<void> => {
        for (let j = 0; j < wakes; j++) await hop();
      };
      const all: Promise<void>[] = [];
      for (let i = 0; i < tasks; i++) all.push(one());
      await Promise.all(all);
      break;
    }
    case "effect": {
      const { Effect, Fiber } = effect!;
      const fork = forkOf(Effect);
      const one = Effect.gen(function* () {
        for (let j = 0; j < wakes; j++) yield* Effect.yieldNow;
      });
      await Effect.runPromise(
        Effect.gen(function* () {
          const fibers = [];
          for (let i = 0; i < tasks; i++) fibers.push(yield* fork(one));
          for (const f of fibers) yield* Fiber.join(f);
        }),
      );
      break;
    }
    default:
      throw new Error(`unknown contender ${contender}`);
  }
}

const m = startMeasure();
await measure();
const measured = stopMeasure(m);
emit({
  workload: "W3",
  contender,
  tasks,
  wakes,
  ...measured,
  ms: measured.wallMs,
  nsPerPoll: (measured.wallMs * 1e6) / polls,
  nsPerPollCpu: (measured.cpuMs * 1e6) / polls,
});
