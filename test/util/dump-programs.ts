/**
 * Exports the signal-dump tests run with `spawnThread`: a thread whose executor holds tasks that
 * wait a long time, so a dump of it has something to show.
 */
import { coroutine, sleep, spawn, wait, type Future } from "reactor-executor";

/** Spawns a long sleeper, says so on stdout, and waits for it. */
export function sleepyThread(): Future<void> {
  return coroutine(function* () {
    const sleeper = spawn(sleep(600_000), { name: "worker-sleeper" });
    console.log("worker ready");
    yield* wait(sleeper);
  });
}

/** Sleeps `ms`, then returns "slept". */
export function sleepThen(ms: number): Future<string> {
  return coroutine(function* () {
    console.log("worker ready");
    yield* wait(sleep(ms));
    return "slept";
  });
}
