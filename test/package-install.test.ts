// The packages as a user gets them: `npm pack` of reactor-executor and reactor-executor-corofy
// (from the build this run made), installed into a fresh app outside the repository. The runtime
// installs alone under 8 MB, carries one copy of the runtime and the .d.ts files its types reach
// (no internals), its bin and a thread run from the installed bundle, a consumer type-checks with
// skipLibCheck off, and corofy works once its own package is installed.
//
// npm installs from its cache (`--prefer-offline`): `npm ci` has just put koffi and typescript there.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runNode } from "./util/run-child.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), "reactor-executor-install-"));
const app = path.join(work, "app");
after(() => rmSync(work, { recursive: true, force: true }));

interface Packed {
  filename: string;
  files: { path: string; size: number }[];
}

function npm(args: string[], cwd: string): string {
  return execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    encoding: "utf8",
    timeout: 240_000,
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
}

/** `npm pack` of the package in `dir` (already built: scripts are skipped) into the work folder. */
function pack(dir: string): Packed {
  const out = JSON.parse(npm(["pack", "--ignore-scripts", "--json", "--pack-destination", work], dir)) as Packed[];
  return out[0]!;
}

/** Bytes on disk under `dir` (file sizes, as `du --apparent-size` counts them). */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir, { recursive: true }).map(String)) {
    const s = statSync(path.join(dir, name), { throwIfNoEntry: false });
    if (s?.isFile()) total += s.size;
  }
  return total;
}

let runtime: Packed;
let corofyPackage: Packed;
let installedBytes = 0;

before(() => {
  runtime = pack(root);
  corofyPackage = pack(path.join(root, "packages/corofy"));
  execFileSync("mkdir", ["-p", app]);
  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", type: "module", private: true }));
  npm(["install", "--prefer-offline", path.join(work, runtime.filename)], app);
  installedBytes = bytesUnder(path.join(app, "node_modules"));
});

test("package: the runtime installs alone, under 8 MB with its dependencies, without typescript", () => {
  const installed = readdirSync(path.join(app, "node_modules"));
  assert.ok(!installed.includes("typescript"), installed.join(", "));
  assert.ok(installedBytes < 8_000_000, `${installedBytes} bytes installed`);
});

test("package: one copy of the runtime (the bundle), .d.ts files without internals, LICENSE, no maps", () => {
  const files = runtime.files.map((f) => f.path);
  assert.ok(files.includes("LICENSE") && files.includes("dist/bundle/index.js") && files.includes("dist/bundle/delayserver.js"));
  assert.deepEqual(
    files.filter((f) => f.startsWith("dist/src/") && !f.endsWith(".d.ts")),
    [],
  );
  assert.deepEqual(
    files.filter((f) => f.endsWith(".map")),
    [],
  );
  for (const internal of ["dist/src/bin/", "dist/src/server/", "dist/src/corofy/", "dist/src/runtime/thread-entry.d.ts"]) {
    assert.ok(!files.some((f) => f.startsWith(internal)), `${internal} is in the tarball`);
  }
  // Members marked @internal (Reactor.readiness, Executor.timers) are not in the shipped types.
  const reactor = readFileSync(path.join(app, "node_modules/reactor-executor/dist/src/runtime/reactor.d.ts"), "utf8");
  assert.ok(reactor.includes("setWaker(") && !reactor.includes("readiness("), reactor);
  const manifest = JSON.parse(readFileSync(path.join(app, "node_modules/reactor-executor/package.json"), "utf8")) as {
    os: string[];
    dependencies: Record<string, string>;
  };
  assert.deepEqual(manifest.os, ["linux"]);
  assert.deepEqual(Object.keys(manifest.dependencies), ["koffi"]);
});

test("package: a program, its thread and the delayserver bin run from the installed bundle", async () => {
  const server = spawn(process.execPath, [path.join(app, "node_modules/.bin/delayserver"), "127.0.0.1", "--port", "0", "--quiet"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      server.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const m = /Listening on http:\/\/[^\s:]+:(\d+)/.exec(out);
        if (m !== null) resolve(Number(m[1]));
      });
      server.on("exit", (code) => reject(new Error(`delayserver exited (${code}): ${out}`)));
    });
    writeFileSync(
      path.join(app, "main.js"),
      `import { init, coroutine, wait, joinAll, select, sleep, spawnThread, Http } from "reactor-executor";
export function inThread(port) {
  return Http.get("/10/from-thread", { port });
}
if (process.argv[2] === "main") {
  const executor = init();
  const out = executor.blockOn(coroutine(function* () {
    const [a, b] = yield* wait(joinAll([Http.get("/100/first", { port: ${port} }), spawnThread("t", import.meta.url, "inThread", ${port}).join()]));
    const raced = yield* wait(select([Http.get("/5000/slow", { port: ${port} }), sleep(20)]));
    return [a.endsWith("first"), b === undefined || String(b).endsWith("from-thread"), raced.index];
  }));
  console.log(JSON.stringify(out));
}
`,
    );
    const r = await runNode([path.join(app, "main.js"), "main"], { cwd: app, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "[true,true,1]\n");
  } finally {
    server.kill("SIGTERM");
  }
});

test("package: a consumer type-checks against the shipped .d.ts with skipLibCheck off", () => {
  writeFileSync(
    path.join(app, "consumer.ts"),
    `import { init, coroutine, wait, joinAll, select, sleep, ready, Http, Executor, TcpStream, type Future } from "reactor-executor";
const f: Future<[number, string]> = joinAll([ready(1), ready("a")]);
const s = select([Http.get("/1/a"), sleep(1)]);
export const main = coroutine(function* () {
  const r = yield* wait(s);
  const pair = yield* wait(f);
  const stream = yield* wait(TcpStream.connect("127.0.0.1:1"));
  stream.close();
  return r.index === 0 ? r.value.length + pair[0] : pair[1].length;
});
export const out: number = new Executor().blockOn(main);
void init;
`,
  );
  const tsc = path.join(root, "node_modules/typescript/bin/tsc");
  const args = ["--noEmit", "--strict", "--skipLibCheck", "false", "--module", "nodenext", "--target", "es2022", "--types", "node"];
  let out: string;
  try {
    out = execFileSync(process.execPath, [tsc, ...args, "--typeRoots", path.join(root, "node_modules/@types"), "consumer.ts"], {
      cwd: app,
      encoding: "utf8",
    });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout);
  }
  assert.equal(out, "");
});

test("package: corofy runs once reactor-executor-corofy is installed next to the runtime", async () => {
  assert.ok(corofyPackage.files.some((f) => f.path === "dist/cli.js"));
  npm(["install", "--prefer-offline", "--save-dev", path.join(work, corofyPackage.filename)], app);
  writeFileSync(
    path.join(app, "main.coro"),
    'import { sleep } from "reactor-executor";\n\nexport coroutine function nap(ms: number): number {\n  wait sleep(ms);\n  return ms;\n}\n',
  );
  const r = await runNode([path.join(app, "node_modules/.bin/corofy"), "main.coro"], { cwd: app, timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "corofy: wrote main_corofied.ts\n");
  assert.match(readFileSync(path.join(app, "main_corofied.ts"), "utf8"), /class Coroutine0 implements Future<number>/);
});
