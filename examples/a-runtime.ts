/**
 * The book's ch08 `a-runtime`: one top-level future driven by `blockOn`, two requests one after
 * the other. Run: `node dist/examples/a-runtime.js` with a delay server on 127.0.0.1:8080 (or
 * `DELAY_SERVER=host:port`).
 *
 * ```text
 * coroutine fn async_main() {
 *     println!("Program starting");
 *     let txt = Http::get("/600/HelloAsyncAwait").wait;
 *     println!("{txt}");
 *     let txt = Http::get("/400/HelloAsyncAwait").wait;
 *     println!("{txt}");
 * }
 * ```
 */
import { init, coroutine, wait, Http } from "reactor-executor";
import { delayServer } from "./delay-server-address.js";

const server = delayServer();

function asyncMain() {
  return coroutine(function* () {
    console.log("Program starting");
    const txt1 = yield* wait(Http.get("/600/HelloAsyncAwait", server));
    console.log(txt1);
    const txt2 = yield* wait(Http.get("/400/HelloAsyncAwait", server));
    console.log(txt2);
  });
}

const executor = init({ verbose: true });
executor.blockOn(asyncMain());
