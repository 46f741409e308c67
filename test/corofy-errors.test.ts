// What corofy does not support is an error at the offending `file:line:col`, never silently wrong code.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CorofyError, corofy } from "../src/corofy/transform.js";

// A name inside the fixture directory, so the source resolves `reactor-executor` like a fixture.
const file = path.join(fileURLToPath(new URL("../../test/fixtures/corofy/", import.meta.url)), "inline.coro");
const HEAD = 'import { Executor, ready, sleep, type Future } from "reactor-executor";\n';

/** Where `marker` (its first occurrence after the header) is, 1-based. */
function positionOf(source: string, marker: string): { line: number; column: number } {
  const at = source.indexOf(marker, HEAD.length);
  assert.ok(at !== -1, `marker ${marker} not in source`);
  const before = source.slice(0, at).split("\n");
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

interface Case {
  what: string;
  body: string;
  /** The text the error must point at. */
  at: string;
  message: RegExp;
}

const CASES: Case[] = [
  {
    what: "wait inside a callback",
    body: "coroutine function f(): number[] {\n  return [1, 2].map((x) => wait ready(x));\n}\n",
    at: "wait ready(x)",
    message: /nested function or callback/,
  },
  {
    what: "wait inside a nested function declaration",
    body: "coroutine function f() {\n  function inner() {\n    wait sleep(1);\n  }\n  inner();\n}\n",
    at: "wait sleep(1)",
    message: /nested function or callback/,
  },
  {
    what: "wait inside an expression",
    body: "coroutine function f() {\n  console.log(wait ready(1));\n}\n",
    at: "wait ready(1)",
    message: /not inside another expression/,
  },
  {
    what: "wait in an if condition",
    body: "coroutine function f() {\n  if (wait ready(true)) console.log(1);\n}\n",
    at: "wait ready(true)",
    message: /not inside another expression/,
  },
  {
    what: "wait assigned to a member",
    body: "coroutine function f() {\n  const a: number[] = [];\n  a[0] = wait ready(1);\n}\n",
    at: "a[0] =",
    message: /only a variable or a destructuring pattern/,
  },
  {
    what: "wait inside a switch",
    body: "coroutine function f(n: number) {\n  switch (n) {\n    case 1:\n      wait sleep(1);\n  }\n}\n",
    at: "switch (n)",
    message: /inside a `switch` is not supported/,
  },
  {
    what: "wait inside for..in",
    body: "coroutine function f(o: object) {\n  for (const k in o) {\n    wait sleep(k.length);\n  }\n}\n",
    at: "for (const k in o)",
    message: /for\.\.in/,
  },
  {
    what: "wait outside any coroutine",
    body: "function f() {\n  wait sleep(1);\n}\ncoroutine function g() {}\n",
    at: "wait sleep(1)",
    message: /`wait` can only be used inside a `coroutine function`/,
  },
  {
    what: "a coroutine that is not at the top level",
    body: "function outer() {\n  coroutine function inner() {}\n  return inner;\n}\n",
    at: "coroutine function inner",
    message: /top level/,
  },
  {
    what: "this in a coroutine",
    body: "coroutine function f() {\n  console.log(this);\n}\n",
    at: "this)",
    message: /`this` is not supported/,
  },
  {
    what: "type parameters",
    body: "coroutine function f<T>(x: T): T {\n  return x;\n}\n",
    at: "coroutine function f<T>",
    message: /type parameters/,
  },
  {
    what: "waiting on something that is not a future",
    body: "coroutine function f() {\n  const n = wait 42;\n  console.log(n);\n}\n",
    at: "42",
    message: /`wait` needs a Future/,
  },
  {
    what: "wait used as a name",
    body: "coroutine function f() {\n  const wait = 1;\n  console.log(wait);\n}\n",
    at: "wait = 1",
    message: /keyword inside a coroutine function/,
  },
  {
    what: "a syntax error",
    body: "coroutine function f() {\n  const x = ;\n}\n",
    at: ";\n}",
    message: /Expression expected/,
  },
  {
    what: "a kept local used in a nested function",
    body: "coroutine function f() {\n  const n = 1;\n  wait sleep(1);\n  console.log([1].map(function (x) { return x + n; }));\n}\n",
    at: "n; }",
    message: /nested `function` cannot reach; use an arrow function/,
  },
  {
    what: "a per-iteration variable kept across a wait and captured by a closure",
    body: "coroutine function f() {\n  const fs: (() => number)[] = [];\n  for (const i of [1, 2]) {\n    wait sleep(1);\n    fs.push(() => i);\n  }\n}\n",
    at: "i);",
    message: /declared in a loop with a wait and captured by a closure/,
  },
  {
    what: "a local function used across a wait point",
    body: "coroutine function f() {\n  function helper() { return 1; }\n  helper();\n  wait sleep(1);\n  helper();\n}\n",
    at: "helper() {",
    message: /declare it outside the coroutine function/,
  },
];

for (const c of CASES) {
  test(`error: ${c.what}`, () => {
    const source = HEAD + c.body;
    const expected = positionOf(source, c.at);
    assert.throws(
      () => corofy(source, file),
      (e: unknown) => {
        assert.ok(e instanceof CorofyError, `not a CorofyError: ${String(e)}`);
        assert.match(e.reason, c.message);
        assert.deepEqual({ line: e.line, column: e.column }, expected, e.message);
        assert.equal(e.message, `${file}:${expected.line}:${expected.column}: ${e.reason}`);
        assert.equal(e.code, "ECOROFY");
        return true;
      },
    );
  });
}

test("error: a file without any coroutine", () => {
  assert.throws(
    () => corofy(HEAD + "console.log(1);\n", file),
    (e: unknown) => e instanceof CorofyError && e.line === 1 && /no `coroutine function`/.test(e.reason),
  );
});

test("no error: `wait` outside coroutines stays an ordinary name (the runtime's `wait()`)", () => {
  const source =
    'import { coroutine, sleep, wait } from "reactor-executor";\n' +
    "export const g = coroutine(function* () { yield* wait(sleep(1)); });\n" +
    "coroutine function f() {\n  wait sleep(1);\n}\nexport const h = f();\n";
  const out = corofy(source, file);
  assert.ok(out.includes("yield* wait(sleep(1))"));
  assert.ok(out.includes('this.state = { kind: "Wait1", future: sleep(1) };'));
});
