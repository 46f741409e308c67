/**
 * W10's producer threads. `produce` is the export `spawnThread` runs for `ours-thread-channel`;
 * run as a plain `Worker` with `workerData.w10Port` (the `messagechannel-thread` contender), this
 * module posts the numbers on that port instead, waiting for an acknowledgement every `batch`
 * messages (MessageChannel has no back-pressure of its own).
 *
 * Both first send -1: the consumer starts its clocks then, so a thread's start-up is left out.
 */
import { isMainThread, workerData, type MessagePort } from "node:worker_threads";
import { coroutine, wait, type Future, type ThreadSender } from "reactor-executor";

/** Sends -1, then 0 .. n - 1, then closes the sender. */
export function produce(tx: ThreadSender<number>, n: number): Future<void> {
  return coroutine(function* () {
    using out = tx;
    yield* wait(out.send(-1));
    for (let i = 0; i < n; i++) yield* wait(out.send(i));
  });
}

const data = workerData as { w10Port?: MessagePort; n: number; batch: number } | null;
if (!isMainThread && data?.w10Port !== undefined) {
  const { w10Port: port, n, batch } = data;
  let acked = 0;
  let resume: (() => void) | null = null;
  port.on("message", () => {
    acked += batch;
    const r = resume;
    resume = null;
    r?.();
  });
  port.postMessage(-1);
  for (let i = 0; i < n; i++) {
    port.postMessage(i);
    if (i + 1 - acked >= batch) await new Promise<void>((r) => (resume = r));
  }
  port.close();
}
