/**
 * W6's per-executor program, the book's `async_main` of ch08/d-multiple-threads: spawn five
 * `request(i)` tasks, each `GET /{i*1000}/HelloWorld{i}`; the executor running it returns once all
 * five have finished. Loaded by `spawnThread` in each worker (and run on the main executor too).
 * Bodies are checked (a wrong one throws, which `join()` rethrows) and counted in shared memory.
 *
 * @module
 */
import { coroutine, spawn, wait, Http, type Future } from "reactor-executor";
import { checkRawResponse } from "./lib/http-check.js";

export function asyncMain(port: number, counter: SharedArrayBuffer): Future<void> {
  const checked = new Int32Array(counter);
  return coroutine(function* asyncMain() {
    for (let i = 0; i < 5; i++) {
      spawn(
        coroutine(function* request() {
          const path = `/${i * 1000}/HelloWorld${i}`;
          const txt = yield* wait(Http.get(path, { host: "127.0.0.1", port }));
          checkRawResponse(txt, `HelloWorld${i}`, `GET ${path}`);
          Atomics.add(checked, 0, 1);
        }),
        { name: `request-${i}` },
      );
    }
  });
}
