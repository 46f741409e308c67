// A corofied coroutine keeps the Future contract: PENDING only after its child did, a clear error
// when polled after it finished, `drop()` drops the child it waits on, a child's error reaches the
// coroutine's `catch` or leaves `poll`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { Executor, NoopWaker, PENDING, RuntimeError, map, sleep, type Future, type Poll, type Waker } from "reactor-executor";
import { corofy } from "../src/corofy/transform.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

interface Contract {
  plusOne(f: Future<number>): Future<number>;
  guarded(f: Future<number>): Future<string>;
  twoSteps(a: Future<number>, b: Future<number>, log: string[]): Future<number>;
}

/** A future that is pending until `resolve` or `fail`, and counts its polls and drops. */
class Trigger implements Future<number> {
  polls = 0;
  drops = 0;
  waker: Waker | undefined;
  private outcome: { value: number } | { error: Error } | undefined;
  resolve(value: number): void {
    this.outcome = { value };
    this.waker?.wake();
  }
  fail(error: Error): void {
    this.outcome = { error };
    this.waker?.wake();
  }
  poll(waker: Waker): Poll<number> {
    this.polls++;
    if (this.outcome === undefined) {
      this.waker = waker;
      return PENDING;
    }
    if ("error" in this.outcome) throw this.outcome.error;
    return this.outcome.value;
  }
  drop(): void {
    this.drops++;
  }
}

let dir = "";
let m: Contract;
const waker = new NoopWaker();

before(async () => {
  dir = mkdtempSync(path.join(root, "dist/test/corofy-contract-"));
  const src = path.join(root, "test/fixtures/corofy/contract.coro");
  const js = ts.transpileModule(corofy(readFileSync(src, "utf8"), src), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const file = path.join(dir, "contract.mjs");
  writeFileSync(file, js);
  m = (await import(pathToFileURL(file).href)) as Contract;
});

after(() => rmSync(dir, { recursive: true, force: true }));

test("contract: PENDING while the child is, the output once it is ready", () => {
  const child = new Trigger();
  const f = m.plusOne(child);
  assert.equal(child.polls, 0, "lazy: nothing runs before the first poll");
  assert.equal(f.poll(waker), PENDING);
  assert.equal(child.waker, waker, "the child stored the waker");
  assert.equal(f.poll(waker), PENDING);
  child.resolve(41);
  assert.equal(f.poll(waker), 42);
  assert.equal(child.polls, 3);
});

test("contract: polling after it finished throws a RuntimeError (the child is not polled again)", () => {
  const child = new Trigger();
  child.resolve(1);
  const f = m.plusOne(child);
  assert.equal(f.poll(waker), 2);
  assert.throws(
    () => f.poll(waker),
    (e: unknown) => e instanceof RuntimeError && /plusOne \(Coroutine0\) polled after it finished/.test(e.message),
  );
  assert.equal(child.polls, 1);
});

test("contract: drop() drops the child it waits on, once; afterwards poll throws", () => {
  const child = new Trigger();
  const f = m.plusOne(child);
  assert.equal(f.poll(waker), PENDING);
  f.drop!();
  assert.equal(child.drops, 1);
  assert.throws(() => f.poll(waker), RuntimeError);
  f.drop!();
  assert.equal(child.drops, 1, "a second drop has nothing left to drop");
});

test("contract: a child's error inside try reaches the coroutine's catch", () => {
  const child = new Trigger();
  const f = m.guarded(child);
  assert.equal(f.poll(waker), PENDING);
  child.fail(new Error("boom"));
  assert.equal(f.poll(waker), "caught boom");
});

test("contract: a child's error outside try leaves poll, and the coroutine is finished", () => {
  const child = new Trigger();
  child.fail(new Error("no try here"));
  const f = m.plusOne(child);
  assert.throws(() => f.poll(waker), /no try here/);
  assert.throws(() => f.poll(waker), RuntimeError);
});

test("contract: try/finally: the finally runs on an error, which then leaves poll", () => {
  const a = new Trigger();
  const b = new Trigger();
  const log: string[] = [];
  const f = m.twoSteps(a, b, log);
  assert.equal(f.poll(waker), PENDING);
  a.resolve(1);
  assert.equal(f.poll(waker), PENDING);
  b.fail(new Error("second failed"));
  assert.throws(() => f.poll(waker), /second failed/);
  assert.deepEqual(log, ["a=1", "finally"]);
});

test("contract: drop() while waiting inside try/finally runs the finally (as generator coroutines do)", () => {
  const a = new Trigger();
  const log: string[] = [];
  const f = m.twoSteps(a, new Trigger(), log);
  assert.equal(f.poll(waker), PENDING);
  f.drop!();
  assert.equal(a.drops, 1);
  assert.deepEqual(log, ["finally"]);
  assert.throws(() => f.poll(waker), RuntimeError);
});

test("contract: on an executor, with timers", () => {
  const log: string[] = [];
  const out = new Executor().blockOn(
    m.twoSteps(
      map(sleep(5), () => 20),
      map(sleep(5), () => 22),
      log,
    ),
  );
  assert.equal(out, 42);
  assert.deepEqual(log, ["a=20", "finally"]);
});
