/**
 * The book's ch08 `d-multiple-threads`: the main executor and 11 more, each on its own thread
 * (`exec-1` .. `exec-11`), all on one reactor; each runs `asyncMain`, which spawns five requests.
 * 60 responses in about 4 s. Run: `node dist/examples/d-multiple-threads.js` (delay server on
 * 127.0.0.1:8080, or `DELAY_SERVER=host:port`).
 *
 * ```text
 * coroutine fn request(i: usize) {
 *     let path = format!("/{}/HelloWorld{i}", i * 1000);
 *     let txt = Http::get(&path).wait;
 *     let txt = txt.lines().last().unwrap_or_default();
 *     println!("{txt}");
 * }
 *
 * coroutine fn async_main() {
 *     println!("Program starting");
 *     for i in 0..5 {
 *         let future = request(i);
 *         runtime::spawn(future);
 *     }
 * }
 * ```
 */
import { isMainThread } from "node:worker_threads";
import { init, coroutine, wait, spawn, spawnThread, Http, Executor, type ThreadHandle } from "reactor-executor";
import { delayServer } from "./delay-server-address.js";

function request(i: number) {
  return coroutine(function* request() {
    const path = `/${i * 1000}/HelloWorld${i}`;
    const txt = yield* wait(Http.get(path, delayServer()));
    console.log(txt.split("\n").at(-1) ?? "");
  });
}

/** Runs on every executor, the main one and the 11 threads. */
export function asyncMain() {
  return coroutine(function* asyncMain() {
    console.log("Program starting");
    for (let i = 0; i < 5; i++) spawn(request(i));
  });
}

if (isMainThread) {
  const executor = init({ verbose: true });
  const handles: ThreadHandle[] = [];
  for (let i = 1; i < 12; i++) handles.push(spawnThread(`exec-${i}`, import.meta.url, "asyncMain"));
  executor.blockOn(asyncMain());
  // The book's `handles.into_iter().for_each(|h| h.join().unwrap())`, on a quiet executor.
  new Executor().blockOn(
    coroutine(function* () {
      for (const h of handles) yield* wait(h.join());
    }),
  );
}
