// Run by dns-lookup.test.ts in a thread started with spawnThread: that thread's own resolver pool.
import { coroutine, wait } from "../../src/index.js";
import { resolveInPool, resolverPoolStats } from "../../src/runtime/resolver-pool.js";
import type { Future } from "../../src/index.js";

/** Looks localhost up on this thread's pool; writes its first IPv4 address and the pool's thread count to `out`. */
export function lookUpLocalhost(out: SharedArrayBuffer): Future<void> {
  return coroutine(function* () {
    const ips = yield* wait(resolveInPool("localhost", 4));
    const words = new Int32Array(out);
    ips[0]!.bytes.forEach((b, i) => (words[i] = b));
    words[4] = resolverPoolStats().started;
  });
}
