// What every thread pays at start: each spawnThread is a new isolate that imports the runtime
// again, so a built-in module the runtime imports at load is loaded and compiled once per thread.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runNode } from "./util/run-child.js";

test("importing the package loads no built-in module beyond what a thread needs at start (node:v8 waits for its first use)", async () => {
  const program = `
    const before = new Set(process.moduleLoadList);
    const { threadChannel } = await import("reactor-executor");
    const loaded = () => process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith("NativeModule"));
    const atImport = loaded();
    // A value the fast codec does not take (a Map) goes through v8.serialize: now it is loaded.
    const [tx, rx] = threadChannel(4);
    tx.trySend(new Map([[1, 2]]));
    const got = rx.tryRecv();
    console.log(JSON.stringify({ atImport, afterMap: loaded(), got: [...got] }));
  `;
  const r = await runNode(["--input-type=module", "-e", program], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { atImport: string[]; afterMap: string[]; got: unknown };
  assert.ok(!out.atImport.includes("NativeModule v8"), out.atImport.join(", "));
  assert.ok(out.afterMap.includes("NativeModule v8"), "the fallback loaded node:v8 when it was needed");
  assert.deepEqual(out.got, [[1, 2]]);
});
