import { test } from "node:test";
import assert from "node:assert/strict";
import { init, joinAll, spawnThread, Executor, RuntimeError } from "reactor-executor";

const programs = new URL("./util/thread-programs.js", import.meta.url);
init();

test("join returns the export's result, structured-cloned, while the joiner is parked in blockOn", () => {
  const h = spawnThread("rich", programs, "richResult", "hi");
  const v = new Executor().blockOn(h.join()) as {
    label: string;
    map: Map<string, number>;
    date: Date;
    bytes: Uint8Array;
    nested: { n: bigint }[];
  };
  assert.equal(v.label, "hi");
  assert.deepEqual([...v.map], [["a", 1]]);
  assert.ok(v.date instanceof Date && v.date.getTime() === 86_400_000);
  assert.deepEqual(Array.from(v.bytes), [1, 2, 3]);
  assert.equal(v.nested[0]!.n, 2n ** 70n);
});

test("a 16 MiB result reaches a joiner parked in blockOn, byte for byte", () => {
  const n = 16 * 1024 * 1024;
  const bytes = new Executor().blockOn(spawnThread<Uint8Array>({ name: "big", module: programs, export: "bigResult", args: [n] }).join());
  assert.equal(bytes.length, n);
  for (let i = 0; i < n; i += 4099) assert.equal(bytes[i], i & 255);
  assert.equal(bytes[n - 1], (n - 1) & 255);
});

test("joinAsync resolves to the export's result (run)", async () => {
  const h = spawnThread<[number, number]>({ name: "async", module: programs, export: "sumBytes", args: [Uint8Array.of(5, 6, 7).buffer] });
  assert.deepEqual(await h.joinAsync(), [18, 3]);
});

test("the options form moves `transfer` into the thread instead of copying it", () => {
  const buffer = new Uint8Array(1000).fill(2).buffer;
  const h = spawnThread<[number, number]>({ name: "moved", module: programs, export: "sumBytes", args: [buffer], transfer: [buffer] });
  assert.equal(buffer.byteLength, 0, "the parent's buffer is detached once moved");
  assert.deepEqual(new Executor().blockOn(h.join()), [2000, 1000]);
});

test("a result that cannot be cloned ends join with a DataCloneError naming the export", () => {
  const h = spawnThread("fn", programs, "unclonableResult");
  assert.throws(
    () => new Executor().blockOn(h.join()),
    (e: Error) => e.name === "DataCloneError" && /unclonableResult\(\.\.\.\).*cannot be sent to the joining thread/.test(e.message),
  );
});

test("join completes when the thread has ended: after a timer its export left behind", () => {
  const out = new SharedArrayBuffer(4);
  const h = spawnThread<string>({ name: "timer", module: programs, export: "returnsBeforeTimer", args: [out, 100] });
  assert.equal(new Executor().blockOn(h.join()), "returned");
  assert.equal(Atomics.load(new Int32Array(out), 0), 1, "join completed before the thread's timer ran");
});

test("two joins at once are refused with a clear error; an ended thread can be joined again", () => {
  const h = spawnThread<string>({ name: "twice", module: programs, export: "returnsBeforeTimer", args: [new SharedArrayBuffer(4), 50] });
  assert.throws(
    () => new Executor().blockOn(joinAll([h.join(), h.join()])),
    (e: Error) => e instanceof RuntimeError && /thread twice is already being joined/.test(e.message),
  );
  assert.equal(new Executor().blockOn(h.join()), "returned");
  assert.equal(new Executor().blockOn(h.join()), "returned");
});

test("spawnThread checks its options", () => {
  assert.throws(() => spawnThread({ name: "", module: programs, export: "writeAfter" }), /name must be a non-empty string/);
  assert.throws(() => spawnThread({ name: "x", module: 3 as unknown as string, export: "writeAfter" }), /module must be a URL/);
  assert.throws(() => spawnThread({ name: "x", module: programs, export: "" }), /export must be a non-empty string/);
  assert.throws(
    () => spawnThread({ name: "x", module: programs, export: "writeAfter", args: "a" as unknown as unknown[] }),
    /args must be an array/,
  );
});
