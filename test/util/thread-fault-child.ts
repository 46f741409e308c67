/**
 * A program that starts one faulting thread and joins it: `node thread-fault-child.js <fault>
 * <blockOn|run>`. Run it through `runNode` with a time limit, so a `join()` that never completes
 * fails the test instead of hanging it. It prints one JSON line ({@link FaultReport}) and then
 * ends by itself, which is part of what is checked (a thread left running keeps a process alive).
 *
 * The joiner checks, right after `join()` completes and before Node's event loop has had a turn
 * (under `blockOn` it has none at all): that the executor indices in use are back to what they
 * were, and that the eventfd the thread left registered is closed. Once the event loop has run,
 * the open-fd count must be back to its baseline (Node closes a worker's own fds on its thread).
 */
import { readFileSync } from "node:fs";
import { init, coroutine, wait, sleep, timeout, spawnThread, type Future, type ThreadHandle } from "../../src/index.js";
import { executorIndicesInUse } from "../../src/runtime/wake-hub.js";
import { openFdCount } from "./fds.js";
import { TAG } from "./thread-faults.js";

/** What the child prints. */
export interface FaultReport {
  error: { name: string; code?: string; message: string; exitCode?: number; cause?: string } | null;
  value?: unknown;
  executorsBefore: number;
  executorsAfter: number;
  /** Whether the eventfd the thread registered was still open right after join. */
  ownedStillOpen: boolean;
  fdsBefore: number;
  fdsAfter: number;
}

type Fault = "exit" | "oom" | "uncaught" | "terminate" | "runaway" | "nested-terminate" | "nested-exit";

const EXPORTS: Record<Fault, [string, ...unknown[]]> = {
  exit: ["exits"],
  oom: ["exhaustsMemory"],
  uncaught: ["throwsLater"],
  terminate: ["parks"],
  runaway: ["runsAway"],
  // The thread joined starts a thread of its own (which registers the eventfd), then is stopped.
  "nested-terminate": ["startsInner", "park"],
  "nested-exit": ["startsInner", "exit"],
};

const [fault, runner] = process.argv.slice(2) as [Fault, "blockOn" | "run"];
const programs = new URL("./thread-faults.js", import.meta.url);
const executor = init();

/** Whether `fd` is open and still the eventfd the thread tagged. */
function tagged(fd: number): boolean {
  try {
    return new RegExp(`^eventfd-count:\\s*${TAG.toString(16)}$`, "m").test(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"));
  } catch {
    return false;
  }
}

function describe(e: unknown): FaultReport["error"] {
  const x = e as Error & { code?: string; exitCode?: number };
  const out: NonNullable<FaultReport["error"]> = { name: x.name, message: x.message };
  if (x.code !== undefined) out.code = x.code;
  if (x.exitCode !== undefined) out.exitCode = x.exitCode;
  if (x.cause instanceof Error) out.cause = x.cause.message;
  return out;
}

async function settle(before: number): Promise<number> {
  const deadline = Date.now() + 15_000;
  while (openFdCount() !== before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return openFdCount();
}

// Warm up: the first thread opens fds Node keeps for later threads; the baseline comes after it.
await spawnThread({ name: "warm-up", module: programs, export: "echo", args: [1] }).joinAsync();
await new Promise((r) => setTimeout(r, 100));
const fdsBefore = await settle(openFdCount());

const shared = new SharedArrayBuffer(8);
const words = new Int32Array(shared);

function main(): Future<Omit<FaultReport, "fdsBefore" | "fdsAfter">> {
  return timeout(
    coroutine(function* () {
      const executorsBefore = executorIndicesInUse();
      const h: ThreadHandle = spawnThread({
        name: `faulty-${fault}`,
        module: programs,
        export: EXPORTS[fault][0],
        args: [shared, ...EXPORTS[fault].slice(1)],
        ...(fault === "oom" ? { resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 } } : {}),
      });
      if (fault === "terminate" || fault === "runaway" || fault === "nested-terminate") {
        while (Atomics.load(words, 0) === 0) yield* wait(sleep(5));
        h.terminate();
      }
      let error: FaultReport["error"] = null;
      let value: unknown;
      try {
        value = yield* wait(h.join());
      } catch (e) {
        error = describe(e);
      }
      const fd = Atomics.load(words, 1);
      return { error, value, executorsBefore, executorsAfter: executorIndicesInUse(), ownedStillOpen: fd > 0 && tagged(fd) };
    }),
    60_000,
  );
}

const report = runner === "blockOn" ? executor.blockOn(main()) : await executor.run(main());
const fdsAfter = await settle(fdsBefore);
console.log(JSON.stringify({ ...report, fdsBefore, fdsAfter } satisfies FaultReport));
