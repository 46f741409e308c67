// Bundles the compiled runtime (dist/src) into dist/bundle, which is what `import "reactor-executor"`
// loads. Why: every thread `spawnThread` starts is a fresh isolate that imports the runtime again,
// and resolving and compiling ~55 small ES modules costs a worker ~23 ms of CPU on this machine
// against ~4 ms for a few bundled files (W6 starts 11 such threads on one core).
//
// The entries are the package's main module and the worker entries it starts by URL
// (`new URL("./thread-entry.js", import.meta.url)`), all written flat into one directory with
// code splitting, so a thread's entry and the user's module it imports share one copy of the
// runtime's state. esbuild-wasm, not esbuild: koffi stays the only native dependency.
import { build } from "esbuild-wasm";
import { rmSync } from "node:fs";

const src = new URL("../dist/src/", import.meta.url).pathname;
const out = new URL("../dist/bundle/", import.meta.url).pathname;

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [
    "index.js",
    "runtime/thread-entry.js",
    "runtime/reactor-thread.js",
    "runtime/resolver-thread.js",
    "runtime/trace-writer-thread.js",
  ].map((f) => src + f),
  outdir: out,
  entryNames: "[name]",
  chunkNames: "[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});
