// A test file for Node's own runner that spawns a thread: `threads-flags.test.ts` runs it with
// `node --test`, whose runner on Node 22+ fills `process.execArgv` with flags a Worker refuses
// when they are passed to it explicitly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { init, spawnThread, Executor } from "reactor-executor";

init();

test("a thread spawned under node --test runs, with the runner's flags", () => {
  const h = spawnThread<{ execArgv: string[] }>({
    name: "under-test",
    module: new URL("./thread-programs.js", import.meta.url),
    export: "flagsSeen",
  });
  assert.deepEqual(new Executor().blockOn(h.join()).execArgv, process.execArgv);
});
