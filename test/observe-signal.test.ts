/**
 * The signal dump: under `run`, `init({ dumpSignal: "SIGUSR2" })` prints the task dump of every
 * executor in the process to stderr, the executor of a `spawnThread` thread included (it is asked
 * through its inbox and prints from its own thread, parked in `blockOn` as it is), each dump whole;
 * and the process still stops on SIGTERM. Plus the refusals of `dumpOnSignal`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { Worker } from "node:worker_threads";
import { once } from "node:events";
import { dumpOnSignal } from "reactor-executor";

const root = new URL("../../", import.meta.url).pathname;
const programs = new URL("./util/dump-programs.js", import.meta.url).href;

const PROGRAM = `
  import { init, spawnThread, coroutine, wait, spawn, sleep } from "reactor-executor";
  const ex = init({ dumpSignal: "SIGUSR2" });
  await ex.run(coroutine(function* () {
    const thread = spawnThread("worker-exec", ${JSON.stringify(programs)}, "sleepyThread");
    spawn(sleep(600_000), { name: "main-sleeper" });
    console.log("main ready");
    yield* wait(thread.join());
  }));
`;

/** Resolves once `text()` matches `pattern`, checking on each chunk; rejects after `ms`. */
function until(stream: NodeJS.ReadableStream, text: () => string, pattern: RegExp, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (pattern.test(text())) {
        clearTimeout(timer);
        stream.off("data", check);
        resolve();
      }
    };
    const timer = setTimeout(() => {
      stream.off("data", check);
      reject(new Error(`timed out waiting for ${pattern}; got:\n${text()}`));
    }, ms);
    stream.on("data", check);
    check();
  });
}

/** The blocks of one signal dump: the header line, then one block per executor. */
function blocks(stderr: string): string[] {
  return stderr.split(/\n(?=executor ")/);
}

test("SIGUSR2 under run prints every executor's tasks, a spawnThread thread's included; SIGTERM still stops", async () => {
  const child = spawn(process.execPath, ["--input-type=module", "-e", PROGRAM], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  try {
    await until(child.stdout, () => stdout, /main ready[\s\S]*worker ready|worker ready[\s\S]*main ready/, 30_000);
    const worker =
      /executor "worker-exec" \(thread \d+\), cycle \d+: 2 tasks\n {2}#1 main: pending, \d+ polls?, last \d+ cycles? ago: JoinHandle #2 \(worker-sleeper\)\n {2}#2 worker-sleeper: pending, \d+ polls?, last \d+ cycles? ago: sleep until \+\d+ ms\n {2}metrics: [^\n]+\n/;
    for (let round = 1; round <= 2; round++) {
      const from = stderr.length;
      child.kill("SIGUSR2");
      await until(child.stderr, () => stderr.slice(from), worker, 30_000);
      const dump = stderr.slice(from);
      assert.match(
        dump,
        /^reactor-executor: SIGUSR2: task dump of pid \d+: 1 executor\(s\) on thread 0, 1 on other threads [^\n]*; reactor: \d+ epoll_wait calls, \d+ events, 0 stale events dropped\n/,
      );
      assert.match(
        dump,
        /executor "main" \(thread 0\), cycle \d+: 2 tasks\n {2}#1 main: pending, \d+ polls?, last \d+ cycles? ago: thread worker-exec join\n {2}#2 main-sleeper: pending, \d+ polls?, last \d+ cycles? ago: sleep until \+\d+ ms\n {2}metrics: \d+ polls, \d+ cycles, \d+ parks, [^\n]+ 2 alive, [^\n]+\n/,
      );
      // The main thread's own executors first, then each other thread's, each dump whole.
      const parts = blocks(dump);
      assert.equal(parts.length, 3, dump);
      assert.match(parts[1]!, /^executor "main"/);
      assert.match(parts[2]!, /^executor "worker-exec"/);
    }
    child.kill("SIGTERM");
    const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, "SIGTERM", `a dump signal leaves SIGTERM alone (code ${code})`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

test("a dump that cannot be written (stderr closed: EPIPE) takes down neither the process nor a thread's executor", async () => {
  const program = `
    import { init, spawnThread, coroutine, wait } from "reactor-executor";
    const ex = init({ dumpSignal: "SIGUSR2" });
    process.on("SIGUSR2", () => console.log("signal seen"));
    const out = await ex.run(coroutine(function* () {
      const thread = spawnThread("worker-exec", ${JSON.stringify(programs)}, "sleepThen", 3_000);
      console.log("main ready");
      return yield* wait(thread.join());
    }));
    console.log(out);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", program], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  try {
    await until(child.stdout, () => stdout, /main ready[\s\S]*worker ready|worker ready[\s\S]*main ready/, 30_000);
    child.stderr.destroy();
    // Let the pipe's read end close before the dump tries to write to it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill("SIGUSR2");
    const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    assert.deepEqual([code, signal], [0, null], stdout);
    assert.equal(
      stdout
        .split("\n")
        .filter((l) => l !== "main ready" && l !== "worker ready")
        .join("\n"),
      "signal seen\nslept\n",
    );
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

test("dumpOnSignal refuses SIGINT/SIGTERM, unknown names and worker threads; installing twice is one listener", async () => {
  assert.throws(() => dumpOnSignal("SIGINT"), /SIGINT is refused/);
  assert.throws(() => dumpOnSignal("SIGTERM"), /SIGTERM is refused/);
  assert.throws(() => dumpOnSignal("SIGNOPE" as NodeJS.Signals), /"SIGNOPE" is not a signal name/);
  const before = process.listenerCount("SIGUSR2");
  const stop = dumpOnSignal("SIGUSR2");
  assert.equal(dumpOnSignal("SIGUSR2"), stop);
  assert.equal(process.listenerCount("SIGUSR2"), before + 1);
  stop();
  stop();
  assert.equal(process.listenerCount("SIGUSR2"), before);

  const worker = new Worker(
    `import("reactor-executor").then(({ dumpOnSignal }) => {
       try { dumpOnSignal("SIGUSR2"); require("node:worker_threads").parentPort.postMessage("installed"); }
       catch (e) { require("node:worker_threads").parentPort.postMessage(e.message); }
     });`,
    { eval: true },
  );
  const [message] = (await once(worker, "message")) as [string];
  await worker.terminate();
  assert.match(message, /signals reach the main thread only/);
});
