// The `corofy <src> [dest]` command.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { corofy, defaultDestination } from "../src/corofy/transform.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
// The CLI as the reactor-executor-corofy package ships it (bundled by scripts/bundle.mjs).
const cli = path.join(root, "packages/corofy/dist/cli.js");
const fixtures = path.join(root, "test/fixtures/corofy");
const dir = mkdtempSync(path.join(root, "dist/test/corofy-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function corofyCli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 30_000 });
}

test("cli: the entry point is an executable script (shebang kept in the build)", () => {
  assert.ok(readFileSync(path.join(root, "src/corofy/cli.ts"), "utf8").startsWith("#!/usr/bin/env node\n"));
  assert.ok(readFileSync(cli, "utf8").startsWith("#!/usr/bin/env node\n"));
});

test("cli: corofy <src> <dest> writes what corofy() returns", () => {
  const src = path.join(fixtures, "loops.coro");
  const dest = path.join(dir, "out.ts");
  const r = corofyCli(src, dest);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `corofy: wrote ${dest}\n`);
  assert.equal(readFileSync(dest, "utf8"), corofy(readFileSync(src, "utf8"), src));
});

test("cli: the default destination is <name>_corofied.ts next to the source", () => {
  const src = path.join(dir, "branches.coro");
  copyFileSync(path.join(fixtures, "branches.coro"), src);
  const r = corofyCli(src);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(path.join(dir, "branches_corofied.ts")));
  assert.equal(defaultDestination("a/b/main.coro"), path.join("a/b", "main_corofied.ts"));
  assert.equal(defaultDestination("main.ts.txt"), "main_corofied.ts");
});

test("cli: unsupported input exits 1 with file:line:col on stderr, and writes nothing", () => {
  const src = path.join(fixtures, "errors/callback.coro");
  const dest = path.join(dir, "never.ts");
  const r = corofyCli(src, dest);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  assert.match(
    r.stderr,
    new RegExp(`^corofy: ${src.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:5:24: \`wait\` cannot be used inside a nested function or callback`),
  );
  assert.ok(!existsSync(dest));
});

test("cli: a missing source exits 1; wrong usage exits 2 with the usage line", () => {
  const missing = corofyCli(path.join(dir, "nope.coro"));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /ENOENT/);
  const usage = corofyCli();
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /^usage: corofy <src> \[dest\]/);
  assert.equal(corofyCli("a", "b", "c").status, 2);
  const help = corofyCli("--help");
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: corofy/);
});
