import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runNode } from "./util/run-child.js";

const DEMO = new URL("../../scripts/trace-demo.mjs", import.meta.url).pathname;

/** Tags open and closed in order (self-closing ones aside): a cheap well-formedness check. */
function assertBalanced(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing === "/") continue;
    if (closing === "/") assert.equal(stack.pop(), name, `</${name}> closes <${stack.at(-1)}>`);
    else stack.push(name!);
  }
  assert.deepEqual(stack, [], "every tag is closed");
}

/** The x extent of the lifeline (a line) drawn on the row labelled `label` in the first panel. */
function lifeline(svg: string, label: string): { from: number; to: number } {
  const row = new RegExp(`<text x="24" y="([\\d.]+)">${label}</text>`).exec(svg);
  assert.ok(row !== null, `a row for ${label}`);
  const y = Number(row[1]) - 3; // the row's middle, where its lifeline runs
  const line = new RegExp(`<line x1="([\\d.]+)" y1="${y}" x2="([\\d.]+)" y2="${y}" stroke="#`).exec(svg);
  assert.ok(line !== null, `a lifeline for ${label}`);
  return { from: Number(line[1]), to: Number(line[2]) };
}

test("npm run trace-demo: the book's demo traced and drawn, five requests overlapping on main, arrows from the reactor", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trace-svg-"));
  try {
    const out = join(dir, "demo.svg");
    const r = await runNode([DEMO, out], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^trace: .*trace-demo\.json/m);
    const svg = readFileSync(out, "utf8");
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    assert.ok(svg.trimEnd().endsWith("</svg>"));
    assertBalanced(svg);
    for (const label of ["main", "reactor", "The whole run"]) assert.ok(svg.includes(`>${label}</text>`), label);
    // The five requests start together and end one after another, 1 s apart: the longer the
    // delay, the longer the lifeline, all of them overlapping the first.
    const lines = ["request #2", "request #3", "request #4", "request #5", "request #6"].map((l) => lifeline(svg, l));
    for (let i = 1; i < lines.length; i++) {
      assert.ok(lines[i]!.to > lines[i - 1]!.to, `request #${i + 2} ends after request #${i + 1}`);
      assert.ok(lines[i]!.from < lines[0]!.to, `request #${i + 2} starts before request #2 ends`);
    }
    const arrows = svg.match(/<path d="M[\d.]+,[\d.]+ C[^"]+" marker-end="url\(#arrow\)"\/>/g) ?? [];
    assert.ok(arrows.length >= 10, `arrows (both panels): ${arrows.length}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
