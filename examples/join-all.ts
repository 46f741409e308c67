/**
 * The book's ch07 `join_all` example: five requests joined in one future; their responses print
 * in input order once all are in (about 4 s: they run concurrently). Run:
 * `node dist/examples/join-all.js` (delay server on 127.0.0.1:8080, or `DELAY_SERVER=host:port`).
 *
 * ```text
 * coroutine fn async_main() {
 *     println!("Program starting");
 *     let mut futures = vec![];
 *     for i in 0..5 {
 *         let delay = i * 1000;
 *         futures.push(Http::get(&format!("/{delay}/HelloWorld{i}")));
 *     }
 *     let txts = join_all(futures).wait;
 *     for txt in txts { println!("{txt}"); }
 * }
 * ```
 */
import { init, coroutine, wait, joinAll, Http } from "reactor-executor";
import { delayServer } from "./delay-server-address.js";

const server = delayServer();

function asyncMain() {
  return coroutine(function* () {
    console.log("Program starting");
    const futures = [];
    for (let i = 0; i < 5; i++) {
      const delay = i * 1000;
      futures.push(Http.get(`/${delay}/HelloWorld${i}`, server));
    }
    const txts = yield* wait(joinAll(futures));
    for (const txt of txts) console.log(txt);
  });
}

init().blockOn(asyncMain());
