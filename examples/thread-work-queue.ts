/**
 * A producer thread feeding worker threads through one channel: the producer makes 300 jobs and
 * sends them into a `threadChannel`; three worker threads each hold a receiver of that channel
 * (each job goes to one worker) and count the primes below the job's number. The channel holds
 * at most 16 jobs from the producer: when the workers fall behind, the producer waits. Every
 * thread runs its executor with `blockOn`, parked in `Atomics.wait` while it waits on the channel.
 * Run: `node dist/examples/thread-work-queue.js`.
 *
 * The ends move into the threads through `spawnThread`'s `transfer`. When the producer's sender
 * closes (its `using` block ends), the workers drain the channel and stop.
 */
import { isMainThread } from "node:worker_threads";
import { init, coroutine, wait, spawnThread, threadChannel, type ThreadReceiver, type ThreadSender } from "reactor-executor";

const JOBS = 300;
const WORKERS = 3;

interface Job {
  id: number;
  below: number;
}

interface Done {
  worker: string;
  ids: number[];
  primes: number;
}

/** The producer thread: sends the jobs, then closes its sender. */
export function produce(jobs: ThreadSender<Job>, count: number) {
  return coroutine(function* () {
    using out = jobs;
    for (let id = 0; id < count; id++) yield* wait(out.send({ id, below: 20_000 + ((id * 7919) % 30_000) }));
    return count;
  });
}

function countPrimes(below: number): number {
  let n = 0;
  for (let k = 2; k < below; k++) {
    let prime = true;
    for (let d = 2; d * d <= k; d++) {
      if (k % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) n++;
  }
  return n;
}

/** A worker thread: takes jobs until the channel ends. */
export function work(name: string, jobs: ThreadReceiver<Job>) {
  return coroutine(function* () {
    using input = jobs;
    const done: Done = { worker: name, ids: [], primes: 0 };
    let job;
    while ((job = yield* wait(input.recv())) !== undefined) {
      done.primes += countPrimes(job.below);
      done.ids.push(job.id);
    }
    return done;
  });
}

if (isMainThread) {
  const executor = init();
  const [tx, rx] = threadChannel<Job>(16);
  const receivers = [rx, ...Array.from({ length: WORKERS - 1 }, () => rx.clone())];
  const workers = receivers.map((r, i) => {
    const name = `worker-${i + 1}`;
    return spawnThread<Done>({ name, module: import.meta.url, export: "work", args: [name, r], transfer: [r] });
  });
  const producer = spawnThread<number>({ name: "producer", module: import.meta.url, export: "produce", args: [tx, JOBS], transfer: [tx] });
  const t0 = performance.now();
  const [sent, results] = executor.blockOn(
    coroutine(function* () {
      const n = yield* wait(producer.join());
      const done: Done[] = [];
      for (const w of workers) done.push(yield* wait(w.join()));
      return [n, done] as const;
    }),
  );
  console.log(`producer: sent ${sent} jobs`);
  for (const r of results) console.log(`${r.worker}: ${r.ids.length} jobs`);
  const ids = results.flatMap((r) => r.ids).sort((a, b) => a - b);
  const once = ids.length === JOBS && ids.every((id, i) => id === i);
  const primes = results.reduce((n, r) => n + r.primes, 0);
  console.log(`${ids.length} jobs done by ${WORKERS} workers, each once: ${once ? "yes" : "NO"}; ${primes} primes counted`);
  console.log(`${((performance.now() - t0) / 1000).toFixed(2)} s`);
}
