/** A `spawnThread` export that calls `init({ trace })` inside the thread, then returns "ok". */
import { init, ready, type Future } from "reactor-executor";

export function initTraced(path: string): Future<string> {
  init({ trace: path });
  return ready("ok");
}
