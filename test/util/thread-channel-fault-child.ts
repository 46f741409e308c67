/**
 * A program in which a thread holding a thread channel's end ends badly: `node
 * thread-channel-fault-child.js <scenario> <blockOn|run>`. Run it through `runNode` with a time
 * limit: a receiver or sender left waiting forever fails the test instead of hanging it. It prints
 * one JSON line ({@link ChannelFaultReport}) and ends by itself.
 *
 * Nobody joins the faulting thread while the channel is in use (the main thread waits on the
 * channel itself, or joins another thread): its end must be seen closing anyway.
 */
import {
  init,
  coroutine,
  wait,
  sleep,
  spawn,
  spawnThread,
  threadChannel,
  timeout,
  type Future,
  type ThreadHandle,
} from "../../src/index.js";
import { readdirSync, readlinkSync } from "node:fs";
import { openFdCount } from "./fds.js";
import { threadCount } from "./proc-stat.js";

/** What the child prints. */
export interface ChannelFaultReport {
  /** Values the main thread received before the end of the channel. */
  values?: unknown;
  /** What a sender got: how many values it sent, and the code of the error that stopped it. */
  sender?: { sent: number; code: string };
  /** The code of the error `join()` of the faulting thread gave, once the channel work was done. */
  joinCode?: string;
  /** Right after join, before anything waited on the channel: whether the receiver saw the end. */
  closedAfterJoin?: boolean;
  fdsBefore: number;
  fdsAfter: number;
}

export type Scenario =
  | "oom-sender"
  | "terminate-sender"
  | "exit-sender"
  | "throw-sender"
  | "uncaught-sender"
  | "return-sender"
  | "oom-sender-sibling"
  | "terminate-receiver"
  | "terminate-receiver-early"
  | "oom-receiver"
  | "oom-receiver-sibling"
  | "join-reclaims";

const [scenario, runner] = process.argv.slice(2) as [Scenario, "blockOn" | "run"];
const programs = new URL("./thread-channel-programs.js", import.meta.url);
const executor = init();
const LIMITS = { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 };

function codeOf(e: unknown): string {
  return (e as { code?: string }).code ?? String(e);
}

function joinCode(h: ThreadHandle): Future<string> {
  return coroutine(function* () {
    try {
      yield* wait(h.join());
      return "returned";
    } catch (e) {
      return codeOf(e);
    }
  });
}

/** Receives until the end of the channel; `each` sees every value. */
function receiveAll(rx: { recv(): Future<number | undefined> }, each: (v: number) => void = () => {}): Future<number[]> {
  return coroutine(function* () {
    const out: number[] = [];
    let v;
    while ((v = yield* wait(rx.recv())) !== undefined) {
      out.push(v);
      each(v);
    }
    return out;
  });
}

function senderScenario(exportName: string, limits: boolean): Future<Omit<ChannelFaultReport, "fdsBefore" | "fdsAfter">> {
  const [tx, rx] = threadChannel<number>(4);
  const h = spawnThread({
    name: scenario,
    module: programs,
    export: exportName,
    args: exportName === "sendThenExit" ? [tx, 10, 3] : [tx, 10],
    transfer: [tx],
    ...(limits ? { resourceLimits: LIMITS } : {}),
  });
  return coroutine(function* () {
    using input = rx;
    const values = yield* wait(receiveAll(input, (v) => v === 9 && scenario === "terminate-sender" && h.terminate()));
    return { values, joinCode: yield* wait(joinCode(h)) };
  });
}

function main(): Future<Omit<ChannelFaultReport, "fdsBefore" | "fdsAfter">> {
  switch (scenario) {
    case "oom-sender":
      return senderScenario("sendThenExhaustMemory", true);
    case "terminate-sender":
      return senderScenario("sendThenSpin", false);
    case "exit-sender":
      return senderScenario("sendThenExit", false);
    case "throw-sender":
      return senderScenario("sendThenThrow", false);
    case "uncaught-sender":
      return senderScenario("sendThenUncaught", false);
    case "return-sender":
      return senderScenario("sendThenReturn", false);
    case "oom-sender-sibling": {
      // The receiver is another thread; this one joins only the receiver.
      const [tx, rx] = threadChannel<number>(4);
      const producer = spawnThread({
        name: "producer",
        module: programs,
        export: "sendThenExhaustMemory",
        args: [tx, 10],
        transfer: [tx],
        resourceLimits: LIMITS,
      });
      const consumer = spawnThread<number[]>({ name: "consumer", module: programs, export: "collect", args: [rx], transfer: [rx] });
      return coroutine(function* () {
        const values = yield* wait(consumer.join());
        return { values, joinCode: yield* wait(joinCode(producer)) };
      });
    }
    case "terminate-receiver":
    case "terminate-receiver-early":
    case "oom-receiver": {
      // This thread sends into a full channel while the only receiver dies: once it has taken a
      // value (so it holds the end for sure), or, early, before it could even start.
      const [tx, rx] = threadChannel<number>(4);
      const oom = scenario === "oom-receiver";
      const early = scenario === "terminate-receiver-early";
      const h = spawnThread({
        name: "receiver",
        module: programs,
        export: oom ? "recvOneThenExhaustMemory" : "recvOneThenSpin",
        args: [rx],
        transfer: [rx],
        ...(oom ? { resourceLimits: LIMITS } : {}),
      });
      return coroutine(function* () {
        using out = tx;
        let sent = 0;
        if (!oom) {
          spawn(
            coroutine(function* () {
              // Early: the channel is full and a send waits, the thread still starting (~30 ms).
              // Else once the receiver took a value (capacity 4).
              while (early ? sent < 4 : sent <= 4) yield* wait(sleep(1));
              h.terminate();
            }),
          );
        }
        let code: string;
        try {
          for (;;) {
            yield* wait(out.send(sent));
            sent++;
          }
        } catch (e) {
          code = codeOf(e);
        }
        return { sender: { sent, code }, joinCode: yield* wait(joinCode(h)) };
      });
    }
    case "oom-receiver-sibling": {
      const [tx, rx] = threadChannel<number>(4);
      const receiver = spawnThread({
        name: "receiver",
        module: programs,
        export: "recvOneThenExhaustMemory",
        args: [rx],
        transfer: [rx],
        resourceLimits: LIMITS,
      });
      const sender = spawnThread<{ sent: number; code: string }>({
        name: "sender",
        module: programs,
        export: "sendUntilClosed",
        args: [tx],
        transfer: [tx],
      });
      return coroutine(function* () {
        const result = yield* wait(sender.join());
        return { sender: result, joinCode: yield* wait(joinCode(receiver)) };
      });
    }
    case "join-reclaims": {
      // Nobody waits on the channel while the sender is stopped: joining it closes its end.
      const [tx, rx] = threadChannel<number>(4);
      const h = spawnThread({ name: "sender", module: programs, export: "sendThenSpin", args: [tx, 3], transfer: [tx] });
      return coroutine(function* () {
        using input = rx;
        while (input.length < 3) yield* wait(sleep(5));
        h.terminate();
        const code = yield* wait(joinCode(h));
        const closedAfterJoin = input.isClosed;
        const values = yield* wait(receiveAll(input));
        return { values, joinCode: code, closedAfterJoin };
      });
    }
  }
}

/**
 * Open fds, but for the files of JavaScript modules: Node 20 leaves open the file handles of the
 * ES modules a worker was reading when it was terminated (Node 22 and later close them).
 */
function fdCount(): number {
  if (scenario !== "terminate-receiver-early") return openFdCount();
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return !/\.m?js$/.test(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false; // the directory's own fd, closed by now
    }
  }).length;
}

/**
 * Waits up to 15 s for the threads and then the open fds to come back to `before`; returns the
 * fd count it last read. The threads first (a thread closes its fds before it goes): a thread terminated before it started has its OS
 * thread still starting, under load for seconds, and it opens its event loop's fds (epoll,
 * eventfd, pipe) and closes them again before it goes; fds counted before it has gone could be
 * back at the baseline only for the moment.
 */
async function settle(before: { fds: number; threads: number }): Promise<number> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const threadsGone = threadCount() <= before.threads;
    const n = fdCount();
    if ((threadsGone && n === before.fds) || Date.now() >= deadline) return n;
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Warm up: the first thread opens fds Node keeps for later threads; the baseline comes after it.
const [warmTx, warmRx] = threadChannel<number>(1);
await spawnThread({ name: "warm-up", module: programs, export: "sendThenReturn", args: [warmTx, 0], transfer: [warmTx] }).joinAsync();
warmRx.close();
await new Promise((r) => setTimeout(r, 100));
const threadsBefore = threadCount();
const fdsBefore = await settle({ fds: fdCount(), threads: threadsBefore });
const work = timeout(main(), 60_000);
const report = runner === "blockOn" ? executor.blockOn(work) : await executor.run(work);
const fdsAfter = await settle({ fds: fdsBefore, threads: threadsBefore });
console.log(JSON.stringify({ ...report, fdsBefore, fdsAfter } satisfies ChannelFaultReport));
