// The combinators' types infer from what they are given: `select` and `joinAll` over futures of
// different types need no type arguments, `select`'s result narrows `value` by `index`, and
// `yield wait(f)` (the star forgotten) is a compile error that says what to write. Checked by
// compiling small programs against the package's own .d.ts files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { STRICT_OPTIONS, formatTypeErrors, typeCheck } from "./util/type-check.js";

// The header imports more than each program uses.
const OPTIONS = { ...STRICT_OPTIONS, noUnusedLocals: false };

const HEAD =
  'import { coroutine, wait, ready, select, race, joinAll, join, sleep, Http, type CoroutineBody, type Future } from "reactor-executor";\n';

function errorsOf(body: string): string[] {
  return typeCheck({ "types.ts": HEAD + body }, OPTIONS).map((e) => `${e.line - 1}: ${e.message}`);
}

test("types: select and joinAll over different types infer tuples, no type arguments", () => {
  const errors = typeCheck(
    {
      "types.ts":
        HEAD +
        [
          "export const main = coroutine(function* () {",
          '  const first = yield* wait(select([Http.get("/5000/slow"), sleep(100)]));',
          "  const index: 0 | 1 = first.index;",
          '  const [n, s] = yield* wait(joinAll([ready(1), ready("a")]));',
          "  const sum: number = n + 1;",
          "  const text: string = s;",
          "  const many: number[] = yield* wait(joinAll([1, 2].map((i) => ready(i))));",
          "  const any1 = yield* wait(race([1, 2].map((i) => ready(i))));",
          "  const which: number = any1.index;",
          "  const value: number = any1.value;",
          '  const [j, k] = yield* wait(join(ready(1), ready("x")));',
          "  const fromSet: number[] = yield* wait(joinAll(new Set<Future<number>>([ready(1)])));",
          "  return [index, sum, text, many, which, value, j + 1, k.length, fromSet] as const;",
          "});",
          "",
        ].join("\n"),
    },
    OPTIONS,
  );
  assert.deepEqual(errors, [], formatTypeErrors(errors));
});

test("types: select's result is a union on index that narrows value (not any)", () => {
  const errors = errorsOf(
    [
      "export const main = coroutine(function* () {",
      '  const first = yield* wait(select([Http.get("/5000/slow"), sleep(100)]));',
      "  if (first.index === 0) {",
      "    const text: string = first.value;",
      "    const wrong: number = first.value;",
      "    return [text, wrong];",
      "  }",
      "  const nothing: void = first.value;",
      "  const alsoWrong: string = first.value;",
      "  return [nothing, alsoWrong];",
      "});",
      "",
    ].join("\n"),
  );
  assert.deepEqual(errors, [
    "5: TS2322: Type 'string' is not assignable to type 'number'.",
    "9: TS2322: Type 'void' is not assignable to type 'string'.",
  ]);
});

test("types: `yield wait(f)` without the star does not compile, and the message says what to write", () => {
  const errors = errorsOf(
    ["export function* body(): CoroutineBody<number> {", "  yield wait(ready(1));", "  return 1;", "}", ""].join("\n"),
  );
  assert.equal(errors.length, 1, errors.join("\n"));
  assert.match(errors[0]!, /^2: TS2322: .*write `yield\* wait\(f\)`: `yield wait\(f\)` yields the wait itself, not its future/);
});
