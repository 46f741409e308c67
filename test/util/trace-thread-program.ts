/**
 * The export a traced test program runs on its `spawnThread` threads: `count` GETs of
 * `/{delay}/{name}-{i}` to the delay server on `port`, spawned on the thread's executor at once.
 */
import { coroutine, joinAll, sleep, spawn, wait, Http, type Future } from "reactor-executor";

function request(path: string, port: number): Future<string> {
  return coroutine(function* request() {
    const text = yield* wait(Http.get(path, { port }));
    return text.slice(text.indexOf("\r\n\r\n") + 4);
  });
}

export function fetchSome(name: string, port: number, count: number, delay: number): Future<string[]> {
  return coroutine(function* fetchSome() {
    const handles = [];
    for (let i = 0; i < count; i++) handles.push(spawn(request(`/${delay}/${name}-${i}`, port)));
    return yield* wait(joinAll(handles));
  });
}

/** Sleeps for `ms`: a thread that is still running when its test terminates it. */
export function nap(ms: number): Future<void> {
  return sleep(ms);
}
