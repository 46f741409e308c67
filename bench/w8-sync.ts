/**
 * W8 and W9: the cost of the sync primitives per operation, under load, against what a Node
 * program would write instead. Prints one JSON line with ns per operation (wall and CPU) and peak
 * RSS; every run checks its result (a wrong count or sum fails it).
 *
 * W8 semaphore: 1,000 tasks each acquire a permit of a 10-permit semaphore, yield once while
 * holding it (so ~990 tasks wait at any time and every acquire but the first ten queues), and
 * release, 1,000 times each: 1,000,000 acquire/release pairs.
 *   `ours-semaphore`: `Semaphore`, coroutines, `yieldNow`, `try`/`finally` for the release.
 *   `ours-semaphore-sm`: the same tasks as hand-written futures (state machines, as `corofy`
 *   writes them): what the semaphore itself costs, without the coroutine's generator.
 *   `promise-semaphore`: the usual promise-based semaphore (a counter and a FIFO of resolvers),
 *   async functions, `await null` for the yield.
 *
 * W9 channel: one producer sends 500,000 numbers through a channel of capacity 64 to one
 * consumer, which sums them: 500,000 send/recv pairs.
 *   `ours-channel`: `channel(64)`, a producer and a consumer task.
 *   `ours-channel-sm`: the same two tasks as hand-written futures.
 *   `async-queue`: the same bounded queue written with promises (send awaits room, recv awaits a
 *   value), async functions.
 *   `messagechannel`: Node's `MessageChannel` in one thread (`postMessage` / `'message'`; no
 *   back-pressure: the producer posts in batches of 64 and waits for the consumer to catch up).
 *
 * W10 channel across threads: a producer thread sends 500,000 numbers to the main thread, which
 * sums them: 500,000 cross-thread send/recv pairs (the clocks start at the producer's first
 * message, so the thread's start-up is left out; CPU counts both threads).
 *   `ours-thread-channel`: `threadChannel(64)`; the producer is a `spawnThread` thread, the main
 *   thread receives under `blockOn` (both park in `Atomics.wait` when they must wait).
 *   `messagechannel-thread`: a `Worker` posts on a `MessagePort`, the main thread sums in its
 *   `'message'` handler and acknowledges every 64 messages, which the worker waits for.
 *
 *   node dist/bench/w8-sync.js <contender> [n]
 */
import { MessageChannel, Worker } from "node:worker_threads";
import {
  Executor,
  PENDING,
  Semaphore,
  channel,
  coroutine,
  init,
  spawnThread,
  threadChannel,
  spawn,
  wait,
  yieldNow,
  type Future,
  type Poll,
  type Receiver,
  type SemaphorePermit,
  type Sender,
  type Waker,
} from "reactor-executor";
import { emit, startMeasure, stopMeasure } from "./lib/report.js";

const [contender = "ours-semaphore", nArg] = process.argv.slice(2);
const TASKS = 1_000;
const PERMITS = 10;
const CAPACITY = 64;
const semOps = nArg === undefined ? 1_000 : Number(nArg); // per task
const chanOps = nArg === undefined ? 500_000 : Number(nArg);

/** The promise-based semaphore people write (or take from a package): permits, then a FIFO of resolvers. */
class PromiseSemaphore {
  private waiters: (() => void)[] = [];
  private head = 0;
  constructor(private permits: number) {}
  acquire(): Promise<void> {
    if (this.permits > 0 && this.head === this.waiters.length) {
      this.permits--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    if (this.head < this.waiters.length) {
      const next = this.waiters[this.head]!;
      this.waiters[this.head++] = undefined as unknown as () => void;
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters = this.waiters.slice(this.head);
        this.head = 0;
      }
      next(); // hand the permit over
    } else this.permits++;
  }
}

/** A bounded queue with promises: the Node counterpart of `channel(capacity)`. */
class AsyncQueue<T> {
  private items: T[] = [];
  private getters: ((v: T | undefined) => void)[] = [];
  private putters: (() => void)[] = [];
  private closed = false;
  constructor(private readonly capacity: number) {}
  async send(v: T): Promise<void> {
    while (this.items.length >= this.capacity) await new Promise<void>((r) => this.putters.push(r));
    const g = this.getters.shift();
    if (g !== undefined) g(v);
    else this.items.push(v);
  }
  async recv(): Promise<T | undefined> {
    if (this.items.length > 0) {
      const v = this.items.shift()!;
      this.putters.shift()?.();
      return v;
    }
    if (this.closed) return undefined;
    return new Promise((r) => this.getters.push(r));
  }
  close(): void {
    this.closed = true;
    for (const g of this.getters.splice(0)) g(undefined);
  }
}

/** One W8 task as a state machine: acquire, yield once while holding the permit, release; n times. */
class SemaphoreWorker implements Future<void> {
  private i = 0;
  private acquiring: Future<SemaphorePermit> | null = null;
  private permit: SemaphorePermit | null = null;
  private yielded = false;
  constructor(
    private readonly sem: Semaphore,
    private readonly n: number,
    private readonly count: { done: number },
  ) {}
  poll(waker: Waker): Poll<void> {
    for (;;) {
      if (this.permit !== null) {
        if (!this.yielded) {
          this.yielded = true;
          waker.wake();
          return PENDING;
        }
        this.yielded = false;
        this.count.done++;
        this.permit.release();
        this.permit = null;
        this.i++;
      }
      if (this.i === this.n) return undefined;
      this.acquiring ??= this.sem.acquire();
      const p = this.acquiring.poll(waker);
      if (p === PENDING) return PENDING;
      this.acquiring = null;
      this.permit = p;
    }
  }
}

/** W9's producer as a state machine: sends 0..n-1, then closes the sender. */
class Producer implements Future<void> {
  private i = 0;
  private sending: Future<void> | null = null;
  constructor(
    private readonly tx: Sender<number>,
    private readonly n: number,
  ) {}
  poll(waker: Waker): Poll<void> {
    while (this.i < this.n) {
      this.sending ??= this.tx.send(this.i);
      if (this.sending.poll(waker) === PENDING) return PENDING;
      this.sending = null;
      this.i++;
    }
    this.tx.close();
    return undefined;
  }
}

/** W9's consumer as a state machine: sums what it receives until the channel ends. */
class Consumer implements Future<number> {
  private sum = 0;
  private receiving: Future<number | undefined> | null = null;
  constructor(private readonly rx: Receiver<number>) {}
  poll(waker: Waker): Poll<number> {
    for (;;) {
      this.receiving ??= this.rx.recv();
      const v = this.receiving.poll(waker);
      if (v === PENDING) return PENDING;
      this.receiving = null;
      if (v === undefined) return this.sum;
      this.sum += v;
    }
  }
}

/** Where W10's producer threads live. */
const PRODUCER = new URL("./w10-producer.js", import.meta.url);

/** Restarts the clocks: what a workload set up before (a thread's start-up) is left out. */
function startClocks(): void {
  m = startMeasure();
}

async function measure(): Promise<{ ops: number; check: number; want: number }> {
  switch (contender) {
    case "ours-semaphore": {
      const sem = new Semaphore(PERMITS);
      let done = 0;
      new Executor().blockOn(
        coroutine(function* () {
          for (let t = 0; t < TASKS; t++) {
            spawn(
              coroutine(function* () {
                for (let i = 0; i < semOps; i++) {
                  const permit = yield* wait(sem.acquire());
                  try {
                    yield* wait(yieldNow());
                    done++;
                  } finally {
                    permit.release();
                  }
                }
              }),
            );
          }
        }),
      );
      return { ops: TASKS * semOps, check: done + sem.available, want: TASKS * semOps + PERMITS };
    }
    case "ours-semaphore-sm": {
      const sem = new Semaphore(PERMITS);
      const count = { done: 0 };
      new Executor().blockOn(
        coroutine(function* () {
          for (let t = 0; t < TASKS; t++) spawn(new SemaphoreWorker(sem, semOps, count));
        }),
      );
      return { ops: TASKS * semOps, check: count.done + sem.available, want: TASKS * semOps + PERMITS };
    }
    case "promise-semaphore": {
      const sem = new PromiseSemaphore(PERMITS);
      let done = 0;
      const one = async (): Promise<void> => {
        for (let i = 0; i < semOps; i++) {
          await sem.acquire();
          try {
            // eslint-disable-next-line @typescript-eslint/await-thenable -- the contender's yield while holding the permit
            await null;
            done++;
          } finally {
            sem.release();
          }
        }
      };
      await Promise.all(Array.from({ length: TASKS }, one));
      return { ops: TASKS * semOps, check: done, want: TASKS * semOps };
    }
    case "ours-channel": {
      const [tx, rx] = channel<number>(CAPACITY);
      const sum = new Executor().blockOn(
        coroutine(function* () {
          spawn(
            coroutine(function* () {
              using out = tx;
              for (let i = 0; i < chanOps; i++) yield* wait(out.send(i));
            }),
          );
          let s = 0;
          let v;
          while ((v = yield* wait(rx.recv())) !== undefined) s += v;
          return s;
        }),
      );
      return { ops: chanOps, check: sum, want: (chanOps * (chanOps - 1)) / 2 };
    }
    case "ours-channel-sm": {
      const [tx, rx] = channel<number>(CAPACITY);
      const sum = new Executor().blockOn(
        coroutine(function* () {
          spawn(new Producer(tx, chanOps));
          return yield* wait(new Consumer(rx));
        }),
      );
      return { ops: chanOps, check: sum, want: (chanOps * (chanOps - 1)) / 2 };
    }
    case "async-queue": {
      const q = new AsyncQueue<number>(CAPACITY);
      const producer = (async () => {
        for (let i = 0; i < chanOps; i++) await q.send(i);
        q.close();
      })();
      let s = 0;
      let v;
      while ((v = await q.recv()) !== undefined) s += v;
      await producer;
      return { ops: chanOps, check: s, want: (chanOps * (chanOps - 1)) / 2 };
    }
    case "messagechannel": {
      const { port1, port2 } = new MessageChannel();
      let s = 0;
      let received = 0;
      let caughtUp: (() => void) | null = null;
      let target = 0;
      port2.on("message", (v: number) => {
        s += v;
        received++;
        if (caughtUp !== null && received === target) {
          const r = caughtUp;
          caughtUp = null;
          r();
        }
      });
      for (let i = 0; i < chanOps;) {
        const end = Math.min(i + CAPACITY, chanOps);
        for (; i < end; i++) port1.postMessage(i);
        target = i;
        if (received < i) await new Promise<void>((r) => (caughtUp = r));
      }
      port1.close();
      return { ops: chanOps, check: s, want: (chanOps * (chanOps - 1)) / 2 };
    }
    case "ours-thread-channel": {
      const executor = init();
      const [tx, rx] = threadChannel<number>(CAPACITY);
      const producer = spawnThread({ name: "producer", module: PRODUCER, export: "produce", args: [tx, chanOps], transfer: [tx] });
      const sum = executor.blockOn(
        coroutine(function* () {
          yield* wait(rx.recv());
          startClocks();
          let s = 0;
          let v;
          while ((v = yield* wait(rx.recv())) !== undefined) s += v;
          return s;
        }),
      );
      executor.blockOn(producer.join());
      return { ops: chanOps, check: sum, want: (chanOps * (chanOps - 1)) / 2 };
    }
    case "messagechannel-thread": {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(PRODUCER, { workerData: { w10Port: port2, n: chanOps, batch: CAPACITY }, transferList: [port2] });
      const sum = await new Promise<number>((resolve, reject) => {
        let s = 0;
        let received = 0;
        worker.once("error", reject);
        port1.on("message", (v: number) => {
          if (v === -1) return startClocks();
          s += v;
          if (++received % CAPACITY === 0) port1.postMessage(0);
          if (received === chanOps) resolve(s);
        });
      });
      port1.close();
      await worker.terminate();
      return { ops: chanOps, check: sum, want: (chanOps * (chanOps - 1)) / 2 };
    }
    default:
      throw new Error(`unknown contender ${contender}`);
  }
}

let m = startMeasure();
const r = await measure();
const measured = stopMeasure(m);
if (r.check !== r.want) throw new Error(`${contender}: wrong result ${r.check}, expected ${r.want}`);
emit({
  workload: contender.includes("semaphore") ? "W8" : contender.includes("thread") ? "W10" : "W9",
  contender,
  ops: r.ops,
  ...measured,
  nsPerOp: (measured.wallMs * 1e6) / r.ops,
  nsPerOpCpu: (measured.cpuMs * 1e6) / r.ops,
});
