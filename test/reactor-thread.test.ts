/**
 * How the reactor thread is scheduled: SCHED_BATCH at nice 5, read back from /proc (see
 * `src/runtime/reactor-thread.ts` for why), and `sys.setBatchScheduling` on its own.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { runModule } from "./util/run-child.js";
import { SCHED_BATCH, SCHED_OTHER } from "./util/proc-stat.js";

const procStat = new URL("./util/proc-stat.js", import.meta.url).href;

test("setBatchScheduling puts the calling thread, and only it, under SCHED_BATCH", async () => {
  const worker = new Worker(new URL("./util/sched-worker.js", import.meta.url));
  const [out] = (await once(worker, "message")) as [{ before: number; after: number; all: number[] }];
  await once(worker, "exit");
  assert.equal(out.before, SCHED_OTHER);
  assert.equal(out.after, SCHED_BATCH);
  assert.equal(out.all.filter((p) => p === SCHED_BATCH).length, 1, `policies ${out.all.join(",")}`);
});

test("init() runs the reactor thread under SCHED_BATCH at nice 5; the inline reactor starts no thread", async () => {
  const r = await runModule(`
    import { init } from "reactor-executor";
    import { threads } from ${JSON.stringify(procStat)};
    const before = threads().length;
    init();
    const all = threads();
    console.log(JSON.stringify({ added: all.length - before, batch: all.filter((t) => t.policy === ${SCHED_BATCH}) }));
  `);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { added: number; batch: unknown[] };
  assert.equal(out.added, 1, r.stdout);
  assert.deepEqual(out.batch, [{ policy: SCHED_BATCH, nice: 5 }]);

  const inline = await runModule(`
    import { init } from "reactor-executor";
    import { threads } from ${JSON.stringify(procStat)};
    const before = threads().length;
    init({ reactor: "inline" });
    const all = threads();
    console.log(all.length - before, all.filter((t) => t.policy === ${SCHED_BATCH}).length);
  `);
  assert.equal(inline.code, 0, inline.stderr);
  assert.equal(inline.stdout, "0 0\n");
});
