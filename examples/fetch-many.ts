/**
 * The first real program a new user writes: fetch 50 URLs, 8 at a time, each attempt with a
 * timeout, retrying what timed out (or failed to connect) with a longer timeout. `mapConcurrent`
 * is the worker pool (a `Semaphore` of 8 underneath), `timeout` drops an attempt that takes too
 * long (its socket is closed), and a plain loop does the retries. Run:
 * `node dist/examples/fetch-many.js` (delay server on 127.0.0.1:8080, or `DELAY_SERVER=host:port`).
 *
 * The delay server answers `/{ms}/{text}` after `ms`: the pages here take 0 to 300 ms, and the
 * first attempt gives up after 150 ms, so about half of them need a second attempt.
 */
import { init, coroutine, wait, mapConcurrent, timeout, sleep, Http, IoError, TimeoutError, type CoroutineBody } from "reactor-executor";
import { delayServer } from "./delay-server-address.js";

const { host, port } = delayServer();
const LIMIT = 8;
const ATTEMPTS = 4;
const FIRST_TIMEOUT_MS = 150;

const pages = Array.from({ length: 50 }, (_, i) => ({ path: `/${(i * 37) % 300}/page${i}`, want: `page${i}` }));

let inFlight = 0;
let maxInFlight = 0;
let retries = 0;

/** One page: up to ATTEMPTS tries, each timeout twice the one before, a short pause between. */
function* fetchPage(path: string): CoroutineBody<string> {
  for (let attempt = 1; ; attempt++) {
    const limitMs = FIRST_TIMEOUT_MS * 2 ** (attempt - 1);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const res = yield* wait(timeout(Http.request({ url: `http://${host}:${port}${path}` }), limitMs));
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
      return res.text();
    } catch (e) {
      const retryable = e instanceof TimeoutError || e instanceof IoError;
      if (!retryable || attempt === ATTEMPTS) throw e;
      retries++;
      console.log(`${path}: attempt ${attempt} failed (${(e as Error).message}), retrying`);
    } finally {
      inFlight--;
    }
    yield* wait(sleep(10 * attempt));
  }
}

const t0 = performance.now();
const bodies = init().blockOn(mapConcurrent(pages, LIMIT, (page) => coroutine(fetchPage(page.path))));
const ms = performance.now() - t0;

const ok = bodies.filter((body, i) => body === pages[i]!.want).length;
console.log(`first: ${bodies[0]}, last: ${bodies[bodies.length - 1]}`);
console.log(
  `${ok} of ${pages.length} ok, ${LIMIT} at a time (max in flight ${maxInFlight}), ${retries} retries, ${(ms / 1000).toFixed(2)} s`,
);
if (ok !== pages.length) process.exitCode = 1;
