/**
 * W6's plain-Node contender `net-workers`: one executor's share (5 requests
 * `/{i*1000}/HelloWorld{i}` with `net.connect`, read until close, bodies checked), run on the main
 * thread and in each of 11 `worker_threads`. Imports nothing of the runtime, so a worker boots
 * what a plain Node program would.
 *
 * @module
 */
import net from "node:net";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { checkRawResponse } from "./lib/http-check.js";

export function fiveRequests(port: number): Promise<void[]> {
  const one = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const path = `/${i * 1000}/HelloWorld${i}`;
      const chunks: Buffer[] = [];
      const s = net.connect({ host: "127.0.0.1", port }, () =>
        s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`),
      );
      s.on("data", (c: Buffer) => chunks.push(c));
      s.on("error", reject);
      s.on("end", () => {
        try {
          checkRawResponse(Buffer.concat(chunks).toString("utf8"), `HelloWorld${i}`, `GET ${path}`);
          resolve();
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
  const all: Promise<void>[] = [];
  for (let i = 0; i < 5; i++) all.push(one(i));
  return Promise.all(all);
}

if (!isMainThread && (workerData as { w6?: boolean } | null)?.w6 === true) {
  await fiveRequests((workerData as { port: number }).port);
  parentPort!.postMessage("done");
}
