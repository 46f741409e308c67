import { test } from "node:test";
import assert from "node:assert/strict";
import { runNode } from "./util/run-child.js";

test("npm start's demo: our delay server, the five responses in order of their delays, about 4 s, exit 0", async () => {
  const r = await runNode([new URL("../src/bin/demo.js", import.meta.url).pathname], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\] Program starting\n/);
  const order = [...r.stdout.matchAll(/\] (HelloWorld\d)\n/g)].map((m) => m[1]);
  assert.deepEqual(order, ["HelloWorld0", "HelloWorld1", "HelloWorld2", "HelloWorld3", "HelloWorld4"]);
  const total = Number(/Total: ([\d.]+) s/.exec(r.stdout)?.[1]);
  assert.ok(total >= 3.99 && total < 4 * 1.5, `total ${total} s`);
  assert.ok(r.ms < 10_000, `the demo took ${r.ms} ms end to end`);
});
