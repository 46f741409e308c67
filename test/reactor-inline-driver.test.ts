/**
 * The inline reactor's wait: its `epoll_wait` timeout, read from /proc while a child process is
 * blocked in the call.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { epollTimeout, MAX_EPOLL_TIMEOUT_MS } from "../src/runtime/inline-driver.js";

/** The child: an inline executor waiting on an accept and on a timer `ms` away. */
function program(ms: number): string {
  return `
    import { init, coroutine, wait, select, sleep, TcpListener, reactor } from "reactor-executor";
    const ex = init({ reactor: "inline" });
    const listener = TcpListener.bind("127.0.0.1:0");
    ex.blockOn(coroutine(function* () {
      console.log("ready", listener.port, reactor().table.epfd);
      yield* wait(select([listener.accept(), sleep(${ms})]));
      listener.close();
    }));
    console.log("done");
  `;
}

/** The syscall number and arguments the thread `pid` is blocked in (/proc/<pid>/syscall), or null if running. */
function blockedIn(pid: number): bigint[] | null {
  const fields = readFileSync(`/proc/${pid}/syscall`, "utf8").trim().split(" ");
  if (fields[0] === "running" || fields.length < 5) return null;
  return fields.map((f) => BigInt(f));
}

/** Runs the child and returns the timeout (ms, as the int the kernel got) of the epoll_wait it blocks in. */
async function observedTimeout(ms: number): Promise<number> {
  const root = new URL("../../", import.meta.url).pathname;
  const child = spawn(process.execPath, ["--input-type=module", "-e", program(ms)], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  try {
    const deadline = performance.now() + 10_000;
    let ready: RegExpExecArray | null = null;
    while ((ready = /ready (\d+) (\d+)/.exec(stdout)) === null) {
      if (performance.now() > deadline) throw new Error(`the child did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const port = Number(ready[1]);
    const epfd = BigInt(ready[2]!);
    let args: bigint[] | null = null;
    // The main thread's thread id is the process id: wait until it sits in a wait on its epoll fd.
    while ((args = blockedIn(child.pid!)) === null || args[1] !== epfd) {
      if (performance.now() > deadline) throw new Error(`the child never blocked in epoll_wait: ${args?.join(" ")}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    // epoll_wait(epfd, events, maxevents, timeout): the timeout is an int, the low 32 bits of the register.
    const timeout = Number(BigInt.asIntN(32, args[4]!));
    // An accepted connection ends the child.
    await new Promise<void>((resolve, reject) => net.connect(port, "127.0.0.1", resolve).on("error", reject));
    assert.equal(await exited, 0, stderr);
    assert.match(stdout, /done/);
    return timeout;
  } finally {
    child.kill();
  }
}

test("a timer 2^31 ms or more away waits the longest epoll_wait takes, not forever", async () => {
  assert.equal(await observedTimeout(2 ** 31 + 5_000), MAX_EPOLL_TIMEOUT_MS);
});

test("a nearer timer waits its own time, rounded up to whole milliseconds", async () => {
  const t = await observedTimeout(600_000.4);
  // The sleep's deadline is rounded up to a whole millisecond of the clock (at most 600,001.4 ms
  // after it started), and the wait, starting a little later, up again: at most 600,002.
  assert.ok(t > 590_000 && t <= 600_002, `timeout ${t}`);
});

test("epollTimeout: -1 for no timeout, whole milliseconds rounded up, clamped to the int epoll_wait takes", () => {
  assert.equal(epollTimeout(Infinity), -1);
  assert.equal(epollTimeout(0), 0);
  assert.equal(epollTimeout(0.2), 1);
  assert.equal(epollTimeout(2 ** 31 - 1), 2 ** 31 - 1);
  assert.equal(epollTimeout(2 ** 31), MAX_EPOLL_TIMEOUT_MS);
  assert.equal(epollTimeout(2 ** 53), MAX_EPOLL_TIMEOUT_MS);
});
