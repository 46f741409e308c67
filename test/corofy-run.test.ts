// A corofied program prints exactly what the same program prints when its coroutines run on the
// runtime's generator coroutines (`coroutine(function* ...)` / `yield* wait(f)`), and what the
// fixture's `.stdout.txt` says. The generator version is derived from the same `.coro` source
// (`coroutine function f(): T { ... }` becomes `function f(): Future<T> { return coroutine(function* () { ... }) }`
// and `wait x` becomes `(yield* wait(x))`), so the two can only differ in how the coroutines run.
//
// Fixtures that use `Http.get` run against a delay server this file starts on a free port (the
// programs read it from DELAY_SERVER_PORT). To add a program: put `name.coro` and `name.stdout.txt`
// in test/fixtures/corofy and list it in PROGRAMS.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { corofy } from "../src/corofy/transform.js";
import { markKeywords } from "../src/corofy/keywords.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixtures = path.join(root, "test/fixtures/corofy");

/** The fixtures run; the `book-*` ones call `Http.get` on the delay server. */
const PROGRAMS = ["loops", "branches", "try-catch", "locals", "control-flow", "cancel", "book-async-main", "book-join-all", "book-spawn"];

/** Rewrites the coroutines of `source` onto the runtime's generator coroutines. */
function generatorVersion(file: string, source: string): string {
  const marked = markKeywords(file, source);
  const edits: { at: number; end: number; text: string }[] = [];
  for (const c of marked.coroutines) {
    const d = c.declaration;
    const output = d.type === undefined ? "void" : d.type.getText(marked.parsed);
    edits.push({ at: c.keyword, end: c.keyword + "coroutine".length, text: "" });
    if (d.type === undefined)
      edits.push({ at: d.body.getStart(marked.parsed), end: d.body.getStart(marked.parsed), text: ": __Future<void> " });
    else edits.push({ at: d.type.getStart(marked.parsed), end: d.type.end, text: `__Future<${output}>` });
    const open = d.body.getStart(marked.parsed) + 1;
    edits.push({ at: open, end: open, text: ` return __coroutine(function* ${d.name.text}(): __CoroutineBody<${output}> {` });
    edits.push({ at: d.body.end - 1, end: d.body.end - 1, text: "}); " });
  }
  for (const w of marked.waits) {
    edits.push({ at: w.keyword, end: w.keyword + "wait".length, text: "(yield* __wait(" });
    edits.push({ at: w.operandEnd, end: w.operandEnd, text: "))" });
  }
  let out = source;
  for (const e of edits.sort((a, b) => b.at - a.at || b.end - a.end)) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return `import { coroutine as __coroutine, wait as __wait, type Future as __Future, type CoroutineBody as __CoroutineBody } from "reactor-executor";\n${out}`;
}

let dir = "";
let server: ChildProcess | undefined;
let serverPort = 0;

before(async () => {
  dir = mkdtempSync(path.join(root, "dist/test/corofy-run-"));
  server = spawn(process.execPath, [path.join(root, "dist/src/bin/delayserver.js"), "127.0.0.1", "--port", "0", "--quiet"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  serverPort = await new Promise<number>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the delay server did not say where it listens: ${out}`)), 10_000);
    server!.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Listening on http:\/\/[^\s:]+:(\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    server!.on("exit", (code) => reject(new Error(`the delay server exited (${code}): ${out}`)));
  });
});

after(() => {
  server?.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Transpiles `code` to a module next to the package and runs it. Returns stdout with the header
 * lines of printed HTTP responses replaced by `<headers>`: they carry the time, and which headers
 * the delay server sends is not what these tests are about.
 */
function run(name: string, code: string): string {
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const file = path.join(dir, `${name}.mjs`);
  writeFileSync(file, js);
  const r = spawnSync(process.execPath, [file], {
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, DELAY_SERVER_PORT: String(serverPort) },
  });
  assert.equal(r.status, 0, `${name} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return r.stdout.replace(/^(HTTP\/1\.\d \d+ [^\r\n]*)\r?\n(?:[^\r\n]+\r?\n)*\r?\n/gm, "$1\n<headers>\n\n");
}

for (const name of PROGRAMS) {
  test(`run: ${name} prints the same corofied and as generator coroutines`, () => {
    const file = path.join(fixtures, `${name}.coro`);
    const source = readFileSync(file, "utf8");
    const corofied = run(`${name}_corofied`, corofy(source, file));
    const generators = run(`${name}_generators`, generatorVersion(file, source));
    assert.equal(corofied, generators);
    assert.equal(corofied, readFileSync(path.join(fixtures, `${name}.stdout.txt`), "utf8"));
  });
}

test("run: the generator version really is another program (no `coroutine function` left, generators used)", () => {
  const file = path.join(fixtures, "loops.coro");
  const out = generatorVersion(file, readFileSync(file, "utf8"));
  assert.ok(!/coroutine function/.test(out));
  assert.match(out, /return __coroutine\(function\* countdown\(\): __CoroutineBody<number> \{/);
  assert.match(out, /\(yield\* __wait\( sleep\(1\)\)\);/);
});
