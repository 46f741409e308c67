/**
 * An export that the TLS suite runs with `spawnThread`: one verified exchange on that thread,
 * reported through shared memory with the thread's own count of live OpenSSL objects.
 */
import { map, type Future } from "../../src/index.js";
import { liveObjects } from "../../src/sys/openssl.js";
import { httpsGet } from "./tls-client.js";

/** Writes [1 if the body was right, live SSL objects, live contexts] into `out`. */
export function exchange(address: string, ca: string, out: SharedArrayBuffer): Future<void> {
  return map(httpsGet(address, "/hello/from%20a%20thread", { ca }), (r) => {
    const live = liveObjects();
    new Int32Array(out).set([r.body.toString() === "from a thread" ? 1 : 0, live.ssl, live.ctx]);
  });
}
