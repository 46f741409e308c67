/**
 * The book's ch08 `c-reactor-executor`: `asyncMain` spawns five requests on the executor, which
 * runs them concurrently and parks between responses; the reactor thread wakes it. About 4 s in
 * all, not 10. Run: `node dist/examples/c-reactor-executor.js` (delay server on 127.0.0.1:8080,
 * or `DELAY_SERVER=host:port`).
 *
 * ```text
 * coroutine fn request(i: usize) {
 *     let path = format!("/{}/HelloWorld{i}", i * 1000);
 *     let txt = Http::get(&path).wait;
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
import { init, coroutine, wait, spawn, Http } from "reactor-executor";
import { delayServer } from "./delay-server-address.js";

const server = delayServer();

function request(i: number) {
  return coroutine(function* request() {
    const path = `/${i * 1000}/HelloWorld${i}`;
    const txt = yield* wait(Http.get(path, server));
    console.log(txt);
  });
}

function asyncMain() {
  return coroutine(function* asyncMain() {
    console.log("Program starting");
    for (let i = 0; i < 5; i++) {
      const future = request(i);
      spawn(future);
    }
  });
}

const executor = init({ verbose: true });
executor.blockOn(asyncMain());
