// Runs the compiled test files under dist/test with Node's own runner, under the Node binary that
// runs this script (CI runs it under each supported line's binary). Node 20's `node --test` takes
// paths, not globs, so the list is built here.
//
//   node scripts/test.mjs                  every test file except the soak tests (what `npm test` runs)
//   node scripts/test.mjs executor reactor only files whose name contains one of the words
//   node scripts/test.mjs --soak           only the soak tests, `*-soak.test.js` (`npm run test:soak`):
//                                          checks that run for minutes, too long for CI's per-line budget
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const SOAK = /-soak\.test\.js$/;
const root = new URL("../dist/test/", import.meta.url).pathname;
const args = process.argv.slice(2);
const soak = args.includes("--soak");
const filters = args.filter((a) => a !== "--soak");
const files = readdirSync(root, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith(".test.js"))
  .filter((f) => (filters.length > 0 ? filters.some((x) => f.includes(x)) : SOAK.test(f) === soak))
  .sort()
  .map((f) => join(root, f));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=1", ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
