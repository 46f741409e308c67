import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { init, IoError, RuntimeError } from "reactor-executor";
import { startDelayServer, type DelayServerProcess } from "./util/delay-server.js";
import { runModule } from "./util/run-child.js";
import { checkTrace, parseTrace, readTrace, track } from "./util/trace-file.js";

let server: DelayServerProcess;
let dir: string;

before(async () => {
  server = await startDelayServer();
  dir = mkdtempSync(join(tmpdir(), "trace-file-"));
});

after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const REPO = new URL("../../", import.meta.url).pathname;
const srcIndex = new URL("../src/index.js", import.meta.url).href;
const srcPool = new URL("../src/runtime/resolver-pool.js", import.meta.url).href;

test("a process killed with SIGKILL mid-run leaves a trace that parses, by the optional ] rule", async () => {
  const file = join(dir, "killed.json");
  const source = `
    import { init, coroutine, wait, Http } from "reactor-executor";
    init({ trace: ${JSON.stringify(file)} }).blockOn(coroutine(function* main() {
      for (let i = 0; ; i++) yield* wait(Http.get("/20/r" + i, { port: ${server.port} }));
    }));
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", source], { cwd: REPO, stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // Wait until the writer has put a few rounds of requests in the file, then kill.
  const deadline = Date.now() + 20_000;
  for (;;) {
    assert.ok(Date.now() < deadline, "the trace grew within 20 s");
    await new Promise((r) => setTimeout(r, 50));
    if (!existsSync(file)) continue;
    const polls = readFileSync(file, "utf8").match(/"name":"main #1","pid":\d+,"tid":\d+,"ts":[\d.]+,"dur":[\d.]+,"args":\{"task":1,/g);
    if ((polls?.length ?? 0) >= 10) break;
  }
  child.kill("SIGKILL");
  await exited;
  const text = readFileSync(file, "utf8");
  assert.ok(!text.trimEnd().endsWith("]"), "no closing ] after SIGKILL");
  assert.throws(() => JSON.parse(text), SyntaxError, "as written, the file is not strict JSON");
  const { events, closed } = parseTrace(text);
  assert.equal(closed, false);
  const ix = checkTrace(events, false);
  track(ix, "main");
  track(ix, "reactor");
  // Each of main's polls after the first was caused by a wake from the reactor.
  assert.ok(ix.polls.filter((p) => p.name === "main #1").length >= 10);
  assert.ok(ix.flows.size >= 5, `flows: ${ix.flows.size}`);
});

test("REACTOR_EXECUTOR_TRACE traces a program without code changes; %p keeps child processes' files apart", async () => {
  const out = mkdtempSync(join(dir, "env-"));
  const r = await runModule(
    `
    import { execFileSync } from "node:child_process";
    import { Executor, coroutine, wait, sleep, spawn } from "reactor-executor";
    new Executor().blockOn(coroutine(function* main() {
      yield* wait(spawn(sleep(30), { name: "nap" }));
    }));
    // A child process with the same environment traces into its own file.
    execFileSync(process.execPath, ["--input-type=module", "-e", 'import { Executor, ready } from "reactor-executor"; new Executor().blockOn(ready(1));']);
    console.log(process.pid);
  `,
    { env: { REACTOR_EXECUTOR_TRACE: join(out, "run-%p.json") } },
  );
  assert.equal(r.code, 0, r.stderr);
  const pid = Number(r.stdout.trim());
  const files = readdirSync(out).sort();
  assert.equal(files.length, 2, files.join(", "));
  assert.ok(files.includes(`run-${pid}.json`), files.join(", "));
  for (const f of files) {
    const { events, closed } = readTrace(join(out, f));
    assert.ok(closed);
    const ix = checkTrace(events, true);
    assert.equal(`run-${ix.pid}.json`, f, "the file is named after its own process");
  }
  const ix = checkTrace(readTrace(join(out, `run-${pid}.json`)).events, true);
  const main = track(ix, "main");
  assert.ok(ix.polls.some((p) => p.name === "nap #2" && p.args!.result === "ready"));
  assert.ok(main.slices.some((s) => s.cat === "park" && s.args!.endedBy === "timer" && s.args!.timeoutMs !== undefined));
  const events = readTrace(join(out, `run-${pid}.json`)).events;
  assert.ok(events.some((e) => e.ph === "i" && e.name === "timers fired" && e.args!.count === 1));
});

test("under run, a park that a Promise callback ends says so (endedBy ready), and the run has its slice", async () => {
  const file = join(dir, "run.json");
  const r = await runModule(
    `
    import { Executor, coroutine, wait, fromPromise } from "reactor-executor";
    const v = await new Executor({ name: "async" }).run(coroutine(function* main() {
      return yield* wait(fromPromise(() => new Promise((resolve) => setTimeout(() => resolve(7), 30))));
    }));
    console.log(v);
  `,
    { env: { REACTOR_EXECUTOR_TRACE: file } },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "7");
  const ix = checkTrace(readTrace(file).events, true);
  const main = track(ix, "main");
  assert.ok(main.slices.some((s) => s.name === "run async"));
  assert.ok(
    main.slices.some((s) => s.cat === "park" && s.args!.endedBy === "ready"),
    "the promise's callback woke the task",
  );
  assert.deepEqual(
    ix.polls.map((p) => [p.name, p.args!.result, p.args!.executor]),
    [
      ["main #1", "pending", "async"],
      ["main #1", "ready", "async"],
    ],
  );
});

test("flushTrace() puts what was recorded so far in the file before it returns", async () => {
  const file = join(dir, "flush.json");
  const r = await runModule(`
    import { readFileSync } from "node:fs";
    import { init, coroutine, wait, sleep, spawn, flushTrace } from "reactor-executor";
    const polls = () => (readFileSync(${JSON.stringify(file)}, "utf8").match(/"cat":"poll"/g) ?? []).length;
    const seen = [];
    init({ trace: ${JSON.stringify(file)} }).blockOn(coroutine(function* main() {
      for (let i = 0; i < 3; i++) yield* wait(spawn(sleep(1), { name: "step" }));
      seen.push(polls());
      flushTrace();
      seen.push(polls());
    }));
    console.log(JSON.stringify(seen));
  `);
  assert.equal(r.code, 0, r.stderr);
  const [before, after] = JSON.parse(r.stdout) as [number, number];
  // main polled 4 times so far (the last one is still running), each step twice.
  assert.ok(after >= 3 + 6, `polls in the file after flushTrace(): ${after} (before: ${before})`);
});

test("records that come faster than the writer drains are dropped and counted, never blocking the executor", async () => {
  const file = join(dir, "overflow.json");
  const tasks = 200;
  const wakes = 5000;
  const r = await runModule(
    `
    import { init, coroutine, PENDING } from "reactor-executor";
    class SelfWake { constructor() { this.left = ${wakes}; } poll(waker) { if (this.left-- === 0) return 1; waker.wake(); return PENDING; } }
    const ex = init({ trace: ${JSON.stringify(file)} });
    ex.blockOn(coroutine(function* main() { for (let i = 0; i < ${tasks}; i++) ex.spawn(new SelfWake()); }));
  `,
    { timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  const { events, closed } = readTrace(file);
  assert.ok(closed);
  const ix = checkTrace(events, false);
  const total = 1 + tasks * (wakes + 1);
  const recorded = ix.polls.length;
  const dropped = events.filter((e) => e.ph === "C" && e.name === "trace: main dropped").map((e) => e.args!.records as number);
  assert.ok(dropped.length > 0, "a drop counter");
  const lost = Math.max(...dropped);
  assert.ok(lost > 0 && recorded < total, `recorded ${recorded} of ${total}, dropped ${lost}`);
  assert.ok(recorded + lost >= total, `every poll is recorded or counted: ${recorded} + ${lost} >= ${total}`);
  assert.ok(statSync(file).size > 0);
});

test("a lookup on a resolver thread has its own track, with an arrow to the poll it woke", async () => {
  const file = join(dir, "dns.json");
  const r = await runModule(`
    import { init } from "${srcIndex}";
    import { resolveInPool } from "${srcPool}";
    const ex = init({ trace: ${JSON.stringify(file)} });
    console.log(ex.blockOn(resolveInPool("localhost", 4))[0].bytes.join("."));
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "127.0.0.1");
  const ix = checkTrace(readTrace(file).events, true);
  const resolver = track(ix, "resolver-0");
  const lookup = resolver.slices.find((s) => s.name === "getaddrinfo");
  assert.ok(lookup !== undefined);
  assert.equal(lookup.args!.name, "localhost");
  assert.equal(lookup.args!.status, 0);
  const main = track(ix, "main");
  assert.ok([...ix.flows.values()].some((f) => f.start.tid === resolver.tid && f.end.tid === main.tid));
});

test("init({ trace }): a path that is not a string, a file that cannot be created, a trace asked for too late", () => {
  assert.throws(() => init({ trace: 42 as unknown as string }), {
    name: "TypeError",
    message: /trace must be the path of the file to write, got 42/,
  });
  const missing = join(dir, "no-such-dir", "t.json");
  assert.throws(
    () => init({ trace: missing }),
    (e: unknown) => e instanceof IoError && e.code === "ENOENT" && e.syscall === "open" && e.message.includes(missing),
  );
  init();
  assert.throws(
    () => init({ trace: join(dir, "late.json") }),
    (e: unknown) => e instanceof RuntimeError && /first init\(\)/.test(e.message),
  );
  assert.ok(!existsSync(join(dir, "late.json")));
});

test("a terminated thread's trace region is given back for the next thread", async () => {
  const file = join(dir, "terminated.json");
  const program = new URL("./util/trace-thread-program.js", import.meta.url).href;
  const traceBuffer = new URL("../src/runtime/trace-buffer.js", import.meta.url).href;
  const r = await runModule(`
    import { getEnvironmentData } from "node:worker_threads";
    import { init, coroutine, wait, sleep, spawnThread } from "reactor-executor";
    import { TraceBuffer, MAX_REGIONS, CLAIM, NAME, NAME_LEN } from ${JSON.stringify(traceBuffer)};
    const ex = init({ trace: ${JSON.stringify(file)} });
    const b = new TraceBuffer(getEnvironmentData("reactor-executor:trace"));
    // Regions held by a thread named "doomed".
    const claimed = () => {
      let n = 0;
      for (let r = 0; r < MAX_REGIONS; r++) {
        const base = b.region(r);
        if (Atomics.load(b.i32, base + CLAIM) === 0) continue;
        const name = new Uint8Array(b.shared, (base + NAME) * 4, Atomics.load(b.i32, base + NAME_LEN));
        if (Buffer.from(name).toString() === "doomed") n++;
      }
      return n;
    };
    const counts = ex.blockOn(coroutine(function* main() {
      const before = claimed();
      const t = spawnThread({ name: "doomed", module: ${JSON.stringify(program)}, export: "nap", args: [60000] });
      while (claimed() === before) yield* wait(sleep(5));
      const during = claimed();
      t.terminate();
      let error = "";
      try { yield* wait(t.join()); } catch (e) { error = e.code; }
      // The writer frees a closed region once it has drained it (every 50 ms).
      for (let i = 0; i < 100 && claimed() !== before; i++) yield* wait(sleep(10));
      return { before, during, after: claimed(), error };
    }));
    console.log(JSON.stringify(counts));
  `);
  assert.equal(r.code, 0, r.stderr);
  const { before, during, after, error } = JSON.parse(r.stdout) as { before: number; during: number; after: number; error: string };
  assert.equal(error, "ERR_THREAD_TERMINATED");
  assert.deepEqual([before, during, after], [0, 1, 0], "the thread took a region, given back after terminate()");
  // Its main task never finished: the trace is checked as an interrupted one.
  track(checkTrace(readTrace(file).events, false), "doomed");
});

test("init({ trace }) in a spawnThread thread: refused when the process is not tracing, a no-op when it is", async () => {
  const program = new URL("./util/trace-init-thread.js", import.meta.url).href;
  const source = (trace: string) => `
    import { init, coroutine, wait, spawnThread } from "reactor-executor";
    const ex = init(${trace});
    const t = spawnThread({ name: "t", module: ${JSON.stringify(program)}, export: "initTraced", args: [${JSON.stringify(join(dir, "thread.json"))}] });
    try { console.log(ex.blockOn(t.join())); } catch (e) { console.log(e.code + ": " + e.message); }
  `;
  const untraced = await runModule(source(""));
  assert.equal(untraced.code, 0, untraced.stderr);
  assert.match(untraced.stdout, /^ERR_RUNTIME: init\(\{ trace \}\) in a thread: a trace is started by the main thread's first init\(\)/);
  const file = join(dir, "main.json");
  const traced = await runModule(source(`{ trace: ${JSON.stringify(file)} }`));
  assert.equal(traced.code, 0, traced.stderr);
  assert.equal(traced.stdout.trim(), "ok");
  assert.ok(!existsSync(join(dir, "thread.json")), "the thread started no trace of its own");
  track(checkTrace(readTrace(file).events, true), "t");
});

test("REACTOR_EXECUTOR_TRACE naming a file that cannot be created: said on stderr, and the program runs untraced", async () => {
  const r = await runModule(
    `
    import { Executor, ready } from "reactor-executor";
    console.log(new Executor().blockOn(ready("ran")));
  `,
    { env: { REACTOR_EXECUTOR_TRACE: join(dir, "no-such-dir", "t-%p.json") } },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "ran");
  assert.match(r.stderr, /REACTOR_EXECUTOR_TRACE=.*no-such-dir.*cannot open the trace file .*ENOENT.*; not tracing/);
});
