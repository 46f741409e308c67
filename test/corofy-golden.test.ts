// corofy's output for every fixture: equal to its golden file, and clean under `tsc --strict` (plus
// the repo's own extra checks) against the real `reactor-executor` types.
//
// Update the golden files after an intended change with `COROFY_UPDATE_GOLDEN=1 npm test -- corofy-golden`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { corofy } from "../src/corofy/transform.js";
import { formatTypeErrors, typeCheck } from "./util/type-check.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixtures = path.join(root, "test/fixtures/corofy");
const update = process.env["COROFY_UPDATE_GOLDEN"] === "1";
const inputs = readdirSync(fixtures)
  .filter((f) => f.endsWith(".coro"))
  .sort();

function golden(name: string): string {
  return path.join(fixtures, `${name}_corofied.ts.txt`);
}

function generate(file: string): string {
  const src = path.join(fixtures, file);
  return corofy(readFileSync(src, "utf8"), src);
}

test("the fixtures include the book's examples, branches, loops and try/catch", () => {
  for (const name of [
    "book-async-main",
    "book-join-all",
    "book-spawn",
    "branches",
    "loops",
    "try-catch",
    "locals",
    "control-flow",
    "cancel",
  ]) {
    assert.ok(inputs.includes(`${name}.coro`), `missing fixture ${name}.coro`);
  }
});

for (const file of inputs) {
  const name = file.slice(0, -".coro".length);
  test(`golden: ${name}`, () => {
    const out = generate(file);
    if (update) writeFileSync(golden(name), out);
    assert.ok(existsSync(golden(name)), `no golden file for ${file}: run with COROFY_UPDATE_GOLDEN=1`);
    assert.equal(out, readFileSync(golden(name), "utf8"));
  });
}

test("golden: the book's layout (headers, the original commented out, markers around user code)", () => {
  const out = generate("book-async-main.coro");
  const rewrite = out.indexOf("// We rewrite this:");
  const into = out.indexOf("// Into this:");
  assert.ok(rewrite !== -1 && into > rewrite);
  assert.ok(out.slice(rewrite, into).includes('//   const txt = wait Http.get("/600/HelloAsyncAwait", { port });'));
  assert.ok(
    out.includes("// ---- Code you actually wrote ----\n          console.log(txt);\n          // ---------------------------------"),
  );
  assert.ok(
    out.indexOf("class Coroutine0") < out.indexOf("init().blockOn(asyncMain());"),
    "the class must be defined before top-level code runs",
  );
  assert.match(out, /^import \{ Http, init, PENDING, RuntimeError, type Future, type Poll, type Waker \} from "reactor-executor";$/m);
});

test("every generated file type-checks with --strict (and noUnused*, noImplicitReturns, noFallthroughCasesInSwitch)", () => {
  const files = Object.fromEntries(inputs.map((f) => [`${f.slice(0, -".coro".length)}_corofied.ts`, generate(f)]));
  const errors = typeCheck(files);
  assert.deepEqual(errors, [], formatTypeErrors(errors));
});

test("the type check is not vacuous: a wrong type in generated code is reported", () => {
  const out = generate("book-async-main.coro").replace(
    '{ kind: "Wait1"; future: Future<string> }',
    '{ kind: "Wait1"; future: Future<number> }',
  );
  const errors = typeCheck({ "broken_corofied.ts": out });
  assert.ok(errors.length > 0, "expected a type error");
  assert.ok(
    errors.some((e) => e.message.includes("number")),
    formatTypeErrors(errors),
  );
});

test("imports: names the file already imports are reused, clashing ones aliased, nothing imported twice", () => {
  const src = path.join(fixtures, "inline.coro");
  const out = corofy(
    [
      'import { sleep, PENDING as Pending, type Waker as W } from "reactor-executor";',
      "/** The file's own `Poll`, unrelated to the runtime's. */",
      "export type Poll = { votes: number };",
      "export const ballot: Poll = { votes: 0 };",
      "export const never: W | undefined = undefined;",
      "export const marker = Pending;",
      "export coroutine function nap() {",
      "  wait sleep(1);",
      "}",
      "",
    ].join("\n"),
    src,
  );
  assert.match(
    out,
    /^import \{ sleep, PENDING as Pending, type Waker as W, RuntimeError, type Future, type Poll as Poll2 \} from "reactor-executor";$/m,
  );
  assert.equal(out.match(/from "reactor-executor"/g)?.length, 1);
  assert.ok(out.includes("poll(waker: W): Poll2<void> {"));
  assert.ok(out.includes("if (state.future.poll(waker) === Pending) return Pending;"));
  assert.deepEqual(typeCheck({ "imports_corofied.ts": out }), []);
});
