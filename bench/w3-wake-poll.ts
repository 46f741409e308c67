/**
 * W3 wake/poll: 1,000 tasks each waking itself 10,000 times. Prints one JSON line with ns per poll.
 * Contenders: `ours` (a hand-written Future that wakes itself), `ours-coroutine` (the same with
 * `coroutine`/`yieldNow`), `await-null` (1,000 async functions each awaiting null 10,000 times),
 * `setImmediate` (each loop iteration a setImmediate hop).
 *
 *   node dist/bench/w3-wake-poll.js <contender> [tasks] [wakes]
 */
import { Executor, coroutine, wait, yieldNow, PENDING, type Future, type Poll, type Waker } from "reactor-executor";

const [contender = "ours", tasksArg = "1000", wakesArg = "10000"] = process.argv.slice(2);
const tasks = Number(tasksArg);
const wakes = Number(wakesArg);

class SelfWake implements Future<void> {
  private left = wakes;
  poll(waker: Waker): Poll<void> {
    if (this.left-- === 0) return undefined;
    waker.wake();
    return PENDING;
  }
}

async function measure(): Promise<number> {
  const t0 = process.hrtime.bigint();
  switch (contender) {
    case "ours": {
      const ex = new Executor();
      ex.blockOn(coroutine(function* () {
        for (let i = 0; i < tasks; i++) ex.spawn(new SelfWake());
      }));
      break;
    }
    case "ours-coroutine": {
      const ex = new Executor();
      ex.blockOn(coroutine(function* () {
        for (let i = 0; i < tasks; i++) {
          ex.spawn(coroutine(function* () {
            for (let j = 0; j < wakes; j++) yield* wait(yieldNow());
          }));
        }
      }));
      break;
    }
    case "await-null": {
      const one = async (): Promise<void> => {
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
    default:
      throw new Error(`unknown contender ${contender}`);
  }
  return Number(process.hrtime.bigint() - t0);
}

const ns = await measure();
const polls = tasks * (wakes + 1);
console.log(JSON.stringify({ workload: "W3", contender, tasks, wakes, ms: ns / 1e6, nsPerPoll: ns / polls }));
