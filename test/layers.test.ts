// The layer check runs over the real sources (it must hold on main) and over small planted trees
// (each rule must catch what it is for: an upward import, a type-only one, a circle, koffi outside
// sys, corofy mixed in).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { checkLayers, formatViolations } from "./util/layers.js";

const src = new URL("../../src/", import.meta.url).pathname;

test("the sources' imports point down the layers, without circles", () => {
  const violations = checkLayers(src);
  assert.deepEqual(violations, [], formatViolations(src, violations));
});

/** Writes `files` (path -> text) under a fresh directory and checks it. */
function planted(files: Record<string, string>): string[] {
  const root = mkdtempSync(join(tmpdir(), "layers-"));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return checkLayers(root).map((v) => `${v.file}: ${v.message}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const base = {
  "errors.ts": "export class E extends Error {}\n",
  "future/future.ts": 'import { E } from "../errors.js";\nexport type F = E;\n',
  "runtime/executor.ts": 'import type { F } from "../future/future.js";\nexport type X = F;\n',
};

test("a planted tree that keeps the rules passes", () => {
  assert.deepEqual(planted(base), []);
});

test("an import up a layer is caught", () => {
  const v = planted({ ...base, "future/bad.ts": 'import { X } from "../runtime/executor.js";\nexport const y: X | null = null;\n' });
  assert.deepEqual(v, ["future/bad.ts: imports runtime/executor.ts: future may not import runtime (a layer above it)"]);
});

test("a type-only import up a layer is caught too", () => {
  const v = planted({ ...base, "future/bad.ts": 'import type { X } from "../runtime/executor.js";\nexport type Y = X;\n' });
  assert.equal(v.length, 1);
  assert.match(v[0]!, /future may not import runtime/);
});

test("a circle between files of one layer is caught", () => {
  const v = planted({
    ...base,
    "runtime/a.ts": 'import type { B } from "./b.js";\nexport type A = B | 1;\n',
    "runtime/b.ts": 'import type { A } from "./a.js";\nexport type B = A | 2;\n',
  });
  assert.deepEqual(v, ["runtime/a.ts: is in an import circle with runtime/b.ts"]);
});

test("koffi outside sys, a file in no layer, and corofy importing the runtime are caught", () => {
  const v = planted({
    ...base,
    "runtime/ffi.ts": 'import koffi from "koffi";\nexport const k = koffi;\n',
    "misc/x.ts": "export const x = 1;\n",
    "corofy/t.ts": 'import type { F } from "../future/future.js";\nexport type T = F;\n',
  });
  assert.equal(v.length, 3, v.join("\n"));
  assert.ok(v.some((m) => m.startsWith("runtime/ffi.ts: imports koffi")));
  assert.ok(v.some((m) => m.startsWith("misc/x.ts: is in no layer")));
  assert.ok(v.some((m) => m.startsWith("corofy/t.ts: imports future/future.ts: corofy stands apart")));
});
