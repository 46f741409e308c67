// Packages the compiled build (dist/src) for its users; run by `npm run build` after tsc.
//
// 1. The runtime: dist/bundle, which is what `import "reactor-executor"` and the `delayserver` bin
//    load. Why a bundle: every thread `spawnThread` starts is a fresh isolate that imports the
//    runtime again, and resolving and compiling ~55 small ES modules costs a worker ~23 ms of CPU
//    on this machine against ~4 ms for a few bundled files (W6 starts 11 such threads on one core).
//    The entries are the package's main module, the worker entries it starts by URL
//    (`new URL("./thread-entry.js", import.meta.url)`) and the bin, all written flat into one
//    directory with code splitting, so a thread's entry, the bin and the user's module share one
//    copy of the runtime's state. esbuild-wasm, not esbuild: koffi stays the only native dependency.
// 2. corofy: packages/corofy/dist, the `reactor-executor-corofy` package (its CLI and API bundled,
//    `typescript` left an import: it is that package's dependency).
// 3. The types each package publishes: the `.d.ts` files reachable from its entry's `.d.ts`, and no
//    others (tsc writes one per module, internal ones too, with `@internal` members stripped). The
//    runtime's stay where tsc wrote them (the repo's own tests resolve the package's name to them),
//    and dist/src/.npmignore keeps everything else out of the tarball (as dist/bundle/.npmignore does the source maps); corofy's are copied into its
//    package.
import { build } from "esbuild-wasm";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const root = new URL("../", import.meta.url).pathname;
const src = join(root, "dist/src/");
const bundle = join(root, "dist/bundle/");
const corofyDist = join(root, "packages/corofy/dist/");

const common = {
  entryNames: "[name]",
  chunkNames: "[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  logLevel: "warning",
  // Inlines the constants of a module that imports nothing (esbuild's rule) at each use: a bundle
  // makes every top-level const a var, which V8 loads from the module's scope at each use. The
  // task's state bits (src/runtime/task-bits.ts) are tested on every poll.
  minifySyntax: true,
};

rmSync(bundle, { recursive: true, force: true });
rmSync(corofyDist, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: [
    "index.js",
    "runtime/thread-entry.js",
    "runtime/reactor-thread.js",
    "runtime/resolver-thread.js",
    "runtime/trace-writer-thread.js",
    "bin/delayserver.js",
  ].map((f) => src + f),
  outdir: bundle,
  sourcemap: true,
});
await build({ ...common, entryPoints: ["corofy/cli.js", "corofy/transform.js"].map((f) => src + f), outdir: corofyDist });

/** The `.d.ts` files `entry` reaches through relative imports and `import("...")` types, itself included. */
function declarationClosure(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    if (!existsSync(file)) throw new Error(`bundle: ${relative(root, file)} is referenced but was not built`);
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g)) {
      visit(join(dirname(file), m[1].replace(/\.js$/, ".d.ts")));
    }
  };
  visit(entry);
  return seen;
}

const runtimeTypes = declarationClosure(src + "index.d.ts");
const ignore = ["# Written by scripts/bundle.mjs: the tarball takes only the .d.ts files index.d.ts reaches.", "*.js", "*.map"];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name.endsWith(".d.ts")) {
      if (!runtimeTypes.has(p)) ignore.push("/" + relative(src, p));
    } else if (!name.includes(".")) walk(p);
  }
};
walk(src);
writeFileSync(src + ".npmignore", ignore.join("\n") + "\n");
// The bundle's source maps point into dist/src, which the tarball does not carry.
writeFileSync(bundle + ".npmignore", "# Written by scripts/bundle.mjs.\n*.map\n");

for (const file of declarationClosure(src + "corofy/transform.d.ts")) {
  const to = join(corofyDist, relative(src + "corofy/", file));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(file, to);
}
