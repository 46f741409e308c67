// `npm run trace-demo`: traces the book's demo and draws the picture in the README. It starts our
// delay server on a free port, runs examples/c-reactor-executor (five requests of 0..4 s spawned
// on one executor, woken by the reactor thread) with REACTOR_EXECUTOR_TRACE set, and renders the
// trace to docs/trace-demo.svg with scripts/trace-svg.mjs: the whole run, and its start close up
// (up to the first response). The trace itself is left in the system's temporary folder, to open
// in Perfetto (ui.perfetto.dev) or chrome://tracing. Needs the build (`npm run build`).
//
//   node scripts/trace-demo.mjs [out.svg]      (default docs/trace-demo.svg)
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout, clearTimeout } from "node:timers";
import { parseTrace, renderTrace } from "./trace-svg.mjs";

const root = new URL("../", import.meta.url).pathname;
const server = join(root, "dist/src/bin/delayserver.js");
const example = join(root, "dist/examples/c-reactor-executor.js");
const out = process.argv[2] ?? join(root, "docs/trace-demo.svg");
if (!existsSync(server) || !existsSync(example)) {
  console.error("trace-demo needs the build: run `npm run build` first");
  process.exit(1);
}

const child = spawn(process.execPath, [server, "127.0.0.1", "--port", "0", "--quiet"], { stdio: ["ignore", "pipe", "inherit"] });
const address = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("the delay server did not start within 10 s")), 10_000);
  child.once("exit", (code) => reject(new Error(`the delay server exited early (code ${code})`)));
  const lines = createInterface({ input: child.stdout });
  lines.on("line", (line) => {
    const m = /^Listening on http:\/\/(\S+)$/.exec(line);
    if (m === null) return;
    clearTimeout(timer);
    lines.close();
    child.stdout.resume();
    resolve(m[1]);
  });
});

const file = join(mkdtempSync(join(tmpdir(), "trace-demo-")), "trace-demo.json");
try {
  execFileSync(process.execPath, [example], {
    env: { ...process.env, DELAY_SERVER: address, REACTOR_EXECUTOR_TRACE: file },
    stdio: "ignore",
  });
} finally {
  child.kill("SIGINT");
}

const events = parseTrace(readFileSync(file, "utf8"));
// The close-up: from the run's start to the first response (the 0 ms request) and a little more.
const run = events.find((e) => e.ph === "X" && e.cat === "executor");
const first = events.filter((e) => e.ph === "X" && e.cat === "poll" && e.args.result === "ready" && e.name.startsWith("request"));
const firstDone = Math.min(...first.map((e) => e.ts + e.dur));
const zoomMs = Math.ceil(((firstDone - run.ts) / 1000) * 1.15);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  renderTrace(events, { title: "The book's demo, traced: five requests at once on one executor, woken by the reactor thread", zoomMs }),
);
console.log(`trace: ${file} (open it in ui.perfetto.dev or chrome://tracing)`);
console.log(`picture: ${out}`);
