// The documentation's code compiles: every ```ts block of the README and every @example of a public
// export (of reactor-executor and of reactor-executor-corofy), extracted by test/util/snippets.ts
// (which documents the hidden-prelude convention) and type-checked against the built .d.ts files.
// Errors point at the README or source line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkSnippets, exampleSnippets, formatSnippetErrors, markdownSnippets, readme } from "./util/snippets.js";

test("docs: every ```ts block of README.md type-checks", () => {
  const snippets = markdownSnippets("README.md", readme(), "reactor-executor");
  assert.ok(snippets.length >= 3, `only ${snippets.length} snippets found`);
  const errors = checkSnippets(snippets);
  assert.deepEqual(errors, [], formatSnippetErrors(errors));
});

test("docs: every @example of a public export type-checks", () => {
  const snippets = [
    ...exampleSnippets("src/index.ts", "reactor-executor"),
    ...exampleSnippets("src/corofy/transform.ts", "reactor-executor-corofy"),
  ];
  assert.ok(snippets.length >= 20, `only ${snippets.length} examples found`);
  assert.ok(snippets.some((s) => s.file === "src/future/select.ts"));
  assert.ok(snippets.some((s) => s.file === "src/corofy/transform.ts"));
  const errors = checkSnippets(snippets);
  assert.deepEqual(errors, [], formatSnippetErrors(errors));
});

const PLANTED = [
  "# Title", // 1
  "", // 2
  "```ts", // 3
  'const n: number = "one";', // 4
  "```", // 5
  "", // 6
  "<!-- ts-check", // 7
  "declare const url: string;", // 8
  "-->", // 9
  "```ts", // 10
  "const res = yield* wait(Http.request({ url }));", // 11
  "const code: string = res.status;", // 12
  "```", // 13
  "", // 14
  "<!-- ts-check", // 15
  "export function f(x: number): string {", // 16
  "...", // 17
  "}", // 18
  "-->", // 19
  "  ```ts", // 20
  "  return x;", // 21
  "  ```", // 22
  "",
].join("\n");

test("docs: a planted error points at its Markdown line and column; preludes and wrapping apply", () => {
  const errors = checkSnippets(markdownSnippets("PLANTED.md", PLANTED, "reactor-executor"));
  assert.deepEqual(
    errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message.slice(0, 60)}`),
    [
      "PLANTED.md:4:7: TS2322: Type 'string' is not assignable to type 'number'.",
      "PLANTED.md:12:7: TS2322: Type 'number' is not assignable to type 'string'.",
      "PLANTED.md:21:3: TS2322: Type 'number' is not assignable to type 'string'.",
    ],
  );
});

test("docs: a snippet without its prelude fails (the prelude is what makes it compile)", () => {
  const errors = checkSnippets(
    markdownSnippets("BARE.md", "```ts\nconst res = yield* wait(Http.request({ url }));\n```\n", "reactor-executor"),
  );
  assert.deepEqual(
    errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`),
    ["BARE.md:2:40: TS2552: Cannot find name 'url'. Did you mean 'URL'?"],
  );
});
