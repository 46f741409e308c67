// corofy's output always type-checks, or corofy fails with `file:line:col`: runtime types it keeps
// in fields are imported, an unannotated coroutine that returns a value is refused, CR-only line
// endings and U+2028/U+2029 in copied lines stay valid TypeScript, and anything left that would not
// compile (a type error in the input) is an error instead of a file.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CorofyError, corofy } from "../src/corofy/transform.js";
import { formatTypeErrors, typeCheck } from "./util/type-check.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
// A name inside the fixture directory, so the source resolves `reactor-executor` like a fixture.
const file = path.join(root, "test/fixtures/corofy/inline.coro");

function assertCompiles(out: string): void {
  const errors = typeCheck({ "out_corofied.ts": out });
  assert.deepEqual(errors, [], `${formatTypeErrors(errors)}\n--- output ---\n${out}`);
}

/** Runs `fn`, which must throw a CorofyError; returns it. */
function corofyError(fn: () => unknown): CorofyError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CorofyError, `not a CorofyError: ${String(e)}`);
    return e;
  }
  assert.fail("no error");
}

test("output: runtime types kept in fields (HttpResponse, Selected) are imported", () => {
  const source = [
    'import { Http, select, sleep } from "reactor-executor";',
    "",
    "export coroutine function f(): string {",
    '  const r = wait Http.request({ url: "http://127.0.0.1:1/" });',
    "  const s = wait select([sleep(1), sleep(2)]);",
    "  wait sleep(1);",
    "  return `${s.index} ${r.text()}`;",
    "}",
    "",
  ].join("\n");
  const out = corofy(source, file);
  assert.match(out, /^import \{ Http, select, sleep, .*type HttpResponse.*type Selected.* \} from "reactor-executor";$/m);
  assertCompiles(out);
});

test("output: a coroutine without a return annotation that returns a value is refused at the return", () => {
  const source = 'import { sleep } from "reactor-executor";\n\ncoroutine function g() {\n  wait sleep(1);\n  return 5;\n}\ng();\n';
  const e = corofyError(() => corofy(source, file));
  assert.deepEqual({ line: e.line, column: e.column }, { line: 5, column: 10 });
  assert.match(e.reason, /`g` returns a value .* no return type annotation.*`coroutine function g\(\.\.\.\): number`/);
});

test("output: without an annotation, returning nothing or a void future's output is fine", () => {
  const source =
    'import { sleep } from "reactor-executor";\n\n' +
    "export coroutine function g(n: number) {\n  if (n > 1) return;\n  if (n > 0) return wait sleep(1);\n  wait sleep(2);\n}\n";
  assertCompiles(corofy(source, file));
});

const LOOPS = readFileSync(path.join(root, "test/fixtures/corofy/loops.coro"), "utf8");

test("output: a file with CR-only line endings gives the same, valid, output as with LF", () => {
  assert.ok(LOOPS.includes("\n") && !LOOPS.includes("\r"));
  const cr = corofy(LOOPS.replaceAll("\n", "\r"), file);
  assert.equal(cr, corofy(LOOPS, file));
  assertCompiles(cr);
});

test("output: errors in a CR-only file point at the right line", () => {
  const source = 'import { ready } from "reactor-executor";\r\rcoroutine function f() {\r  console.log(wait ready(1));\r}\r';
  const e = corofyError(() => corofy(source, file));
  assert.deepEqual({ line: e.line, column: e.column }, { line: 4, column: 15 });
});

test("output: U+2028 and U+2029 in a copied line (string, comment) stay inside it", () => {
  for (const separator of ["\u2028", "\u2029"]) {
    const source = [
      'import { sleep } from "reactor-executor";',
      "",
      "export coroutine function f(): string {",
      `  const s = "a${separator}b"; wait sleep(1); /* a note${separator}continued */`,
      "  return s;",
      "}",
      "",
    ].join("\n");
    const out = corofy(source, file);
    assertCompiles(out);
    assert.ok(out.includes(`= "a${separator}b";`), "the string is copied as written");
  }
});

test("output: a line separator between statements counts as a line in error positions", () => {
  const source = 'import { ready } from "reactor-executor";\u2028coroutine function f() {\u2029  console.log(wait ready(1));\n}\n';
  const e = corofyError(() => corofy(source, file));
  assert.deepEqual({ line: 3, column: 15 }, { line: e.line, column: e.column });
});

test("output: a type error inside a coroutine is an error at that coroutine, quoting the generated line", () => {
  const source =
    'import { sleep } from "reactor-executor";\n\nexport coroutine function f(): number {\n  wait sleep(1);\n  const n: number = "one";\n  return n;\n}\n';
  const e = corofyError(() => corofy(source, file));
  assert.deepEqual({ line: e.line, column: e.column }, { line: 3, column: 8 });
  assert.match(
    e.reason,
    /does not type-check: Type 'string' is not assignable to type 'number'\. \(TS2322\), at line \d+ of the output: const n: number = "one";/,
  );
});

test("output: a type error outside the coroutines is reported where it is in the source", () => {
  const source =
    'import { sleep } from "reactor-executor";\n\nexport coroutine function f() {\n  wait sleep(1);\n}\nconst x: string = 1;\nconsole.log(x);\n';
  const e = corofyError(() => corofy(source, file));
  assert.deepEqual({ line: e.line, column: e.column }, { line: 6, column: 7 });
  assert.match(e.reason, /TS2322/);
});

const dir = mkdtempSync(path.join(root, "dist/test/corofy-output-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("cli: output that would not type-check exits 1 with file:line:col, and writes nothing", () => {
  const src = path.join(root, "test/fixtures/corofy/not-typed.coro");
  const dest = path.join(dir, "never.ts");
  writeFileSync(src, 'import { sleep } from "reactor-executor";\n\ncoroutine function g() {\n  wait sleep(1);\n  return "x";\n}\ng();\n');
  try {
    const r = spawnSync(process.execPath, [path.join(root, "packages/corofy/dist/cli.js"), src, dest], {
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`^corofy: ${src.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:5:10: \`g\` returns a value`));
    assert.ok(!existsSync(dest));
  } finally {
    rmSync(src, { force: true });
  }
});
