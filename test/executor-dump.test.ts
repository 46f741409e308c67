/**
 * Task dumps: `executor.dump()` on a program with a task in each state (running: the one calling
 * dump; ready: woken, and spawned; pending on a sleep, a TcpStream read, a JoinHandle, inside
 * joinAll/select), each field checked; spawn sites only with diagnostics on; the same dump in
 * `DeadlockError`; `describe()` through the combinators.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DeadlockError,
  Executor,
  Http,
  PENDING,
  TcpListener,
  TcpStream,
  VirtualClock,
  coroutine,
  describeFuture,
  formatDump,
  fromPromise,
  init,
  joinAll,
  lookup,
  map,
  ready,
  select,
  sleep,
  spawn,
  timeout,
  wait,
  yieldNow,
  type ExecutorDump,
  type Future,
  type JoinHandle,
  type Poll,
  type TaskDump,
  type Waker,
} from "reactor-executor";
import { Trigger } from "./util/futures.js";
import { MAX_POLL_COUNT } from "../src/runtime/task-bits.js";
import { CYCLE_TAG_LIMIT, CYCLE_TAG_SHIFT, rebasedTag } from "../src/runtime/dump.js";

const THIS_FILE = /executor-dump\.test\.js:\d+:\d+/;

/** A future that waits for ever (until dropped) and says so. */
class Forever implements Future<never> {
  constructor(private readonly text: string) {}
  poll(_waker: Waker): Poll<never> {
    return PENDING;
  }
  describe(): string {
    return this.text;
  }
}

/** Pending until `wake()`, and pending again after: counts as a task that is polled now and then. */
class Wakeable implements Future<never> {
  private waker: Waker | null = null;
  poll(waker: Waker): Poll<never> {
    this.waker = waker;
    return PENDING;
  }
  wake(): void {
    this.waker?.wake();
  }
}

function byName(d: ExecutorDump, name: string): TaskDump {
  const t = d.tasks.find((x) => x.name === name);
  assert.ok(t !== undefined, `no task ${name} in\n${formatDump(d)}`);
  return t;
}

/**
 * Runs the program with a task in each state on `ex` (an executor from `init`, so it can do I/O)
 * and returns the dump the main task took, plus the fds it expects in it.
 */
function dumpEveryState(ex: Executor): { dump: ExecutorDump; clientFd: number; serverFd: number } {
  return ex.blockOn(
    coroutine(function* () {
      const listener = TcpListener.bind("127.0.0.1:0");
      const client = yield* wait(TcpStream.connect(`127.0.0.1:${listener.port}`));
      const server = yield* wait(listener.accept());
      const buf = new Uint8Array(16);
      const trigger = new Trigger("fired");
      const sleeper = spawn(sleep(60_000), { name: "sleeper" });
      const handles: JoinHandle<unknown>[] = [
        sleeper,
        spawn(client.read(buf), { name: "reader" }),
        spawn(
          coroutine(function* () {
            yield* wait(sleeper);
          }),
          { name: "joiner" },
        ),
        spawn(joinAll<unknown>([sleep(50_000), map(select<unknown>([sleep(40_000), server.read(new Uint8Array(16))]), (s) => s.index)]), {
          name: "combo",
        }),
        spawn(trigger, { name: "woken" }),
      ];
      // Every task spawned above is polled once, in the cycle this yield ends.
      yield* wait(yieldNow());
      trigger.fire();
      handles.push(spawn(ready(1), { name: "fresh" }));
      const dump = ex.dump();
      for (const h of handles) h.abort();
      client.close();
      server.close();
      listener.close();
      return { dump, clientFd: client.fd, serverFd: server.fd };
    }),
  );
}

const EVERY_STATE = [
  [1, "main"],
  [2, "sleeper"],
  [3, "reader"],
  [4, "joiner"],
  [5, "combo"],
  [6, "woken"],
  [7, "fresh"],
];

/** What each task of {@link dumpEveryState} but main and fresh waits on, and its state. */
function waitingTasks(clientFd: number, serverFd: number): [string, "ready" | "pending", string][] {
  return [
    ["sleeper", "pending", "sleep until +60000 ms"],
    ["reader", "pending", `TcpStream.read fd ${clientFd}`],
    ["joiner", "pending", "JoinHandle #2 (sleeper)"],
    [
      "combo",
      "pending",
      `joinAll: 2 of 2 pending: sleep until +50000 ms; select: 2 of 2 pending: sleep until +40000 ms; TcpStream.read fd ${serverFd}`,
    ],
    ["woken", "ready", "Trigger"],
  ];
}

test("dump(): id, name, state, what each task waits on, polls and cycles; no spawn sites without diagnostics", () => {
  // A virtual clock: with I/O sources registered it stands still, so the sleeps read exactly.
  const ex = init({ clock: new VirtualClock() });
  const { dump, clientFd, serverFd } = dumpEveryState(ex);
  const text = formatDump(dump);
  assert.equal(dump.executor, "main");
  assert.equal(dump.threadId, 0);
  assert.deepEqual(
    dump.tasks.map((t) => [t.id, t.name]),
    EVERY_STATE,
    text,
  );
  const main = byName(dump, "main");
  assert.equal(main.state, "running");
  assert.equal(main.waitingOn, undefined, "a running task waits on nothing");
  for (const [name, state, on] of waitingTasks(clientFd, serverFd)) {
    const t = byName(dump, name);
    assert.equal(t.state, state, `${name}\n${text}`);
    assert.equal(t.waitingOn, on, `${name}\n${text}`);
  }
  const fresh = byName(dump, "fresh");
  assert.equal(fresh.state, "ready");
  assert.equal(fresh.waitingOn, "Ready");
  assert.ok(main.polls >= 2, `the yield took a second poll (connect and accept may not pend on loopback): ${main.polls}`);
  assert.equal(main.cyclesSincePoll, 0);
  for (const [name] of waitingTasks(clientFd, serverFd)) {
    const t = byName(dump, name);
    assert.deepEqual([t.polls, t.cyclesSincePoll], [1, 1], `${name}: polled once, in the cycle before main's\n${text}`);
  }
  assert.deepEqual([fresh.polls, fresh.cyclesSincePoll], [0, 0], "spawned in this cycle");
  for (const t of dump.tasks) assert.equal(t.spawnedAt, undefined, `${t.name}: diagnostics are off`);
  assert.match(text, /^executor "main" \(thread 0\), cycle \d+: 7 tasks$/m);
  assert.match(text, /^ {2}#1 main: running, \d+ polls, last 0 cycles ago$/m);
  assert.match(text, /^ {2}#2 sleeper: pending, 1 poll, last 1 cycle ago: sleep until \+60000 ms$/m);
  assert.match(text, /^ {2}#7 fresh: ready, 0 polls, spawned 0 cycles ago: Ready$/m);
});

test("dump() with diagnostics: polls, cycles since the last poll, spawn sites, for a task in each state", () => {
  const ex = init({ clock: new VirtualClock(), diagnostics: true });
  const { dump, clientFd, serverFd } = dumpEveryState(ex);
  const text = formatDump(dump);
  assert.deepEqual(
    dump.tasks.map((t) => [t.id, t.name]),
    EVERY_STATE,
    text,
  );
  const main = byName(dump, "main");
  assert.equal(main.state, "running");
  assert.equal(main.cyclesSincePoll, 0);
  assert.ok(
    main.polls !== undefined && main.polls >= 2,
    `the yield took a second poll (connect and accept may not pend on loopback): ${main.polls}`,
  );
  for (const [name, state, on] of waitingTasks(clientFd, serverFd)) {
    const t = byName(dump, name);
    assert.equal(t.state, state, `${name}\n${text}`);
    assert.equal(t.waitingOn, on, `${name}\n${text}`);
    assert.equal(t.polls, 1, `${name}: polled once\n${text}`);
    assert.equal(t.cyclesSincePoll, 1, `${name}: polled in the cycle before main's\n${text}`);
    assert.match(t.spawnedAt ?? "", THIS_FILE, `${name}: spawned here`);
  }
  const fresh = byName(dump, "fresh");
  assert.equal(fresh.state, "ready");
  assert.equal(fresh.polls, 0);
  assert.equal(fresh.cyclesSincePoll, 0, "spawned in this cycle");
  assert.match(text, /^ {2}#2 sleeper: pending, 1 poll, last 1 cycle ago: sleep until \+60000 ms$/m);
  assert.match(text, /^ {2}#7 fresh: ready, 0 polls, spawned 0 cycles ago: Ready$/m);
});

test("cycles since the last poll grow while a task waits, and start again from its next poll", () => {
  const ex = new Executor({ clock: new VirtualClock(), diagnostics: true });
  const seen = ex.blockOn(
    coroutine(function* () {
      const waiter = new Wakeable();
      const h = spawn(waiter, { name: "waiter" });
      const out: [number | undefined, number | undefined][] = [];
      for (let i = 0; i < 4; i++) {
        yield* wait(yieldNow());
        const w = byName(ex.dump(), "waiter");
        out.push([w.polls, w.cyclesSincePoll]);
      }
      // Woken during this poll of main: polled again in this same cycle, after main.
      waiter.wake();
      yield* wait(yieldNow());
      const w = byName(ex.dump(), "waiter");
      out.push([w.polls, w.cyclesSincePoll]);
      h.abort();
      return out;
    }),
  );
  // The waiter is polled in cycle 1, after main's first poll; main then runs once a cycle.
  assert.deepEqual(seen, [
    [1, 1],
    [1, 2],
    [1, 3],
    [1, 4],
    [2, 1],
  ]);
});

test("with diagnostics on, each task's spawn site starts at the spawn call", () => {
  const ex = new Executor({ diagnostics: true, clock: new VirtualClock() });
  const dump = ex.blockOn(
    coroutine(function* () {
      const a = spawn(sleep(10), { name: "by-function" });
      const b = ex.spawn(sleep(10), { name: "by-method" });
      yield* wait(yieldNow());
      const d = ex.dump();
      a.abort();
      b.abort();
      return d;
    }),
  );
  for (const name of ["main", "by-function", "by-method"]) {
    const site = byName(dump, name).spawnedAt;
    assert.ok(site !== undefined, `${name} has no spawn site`);
    const first = site.split("\n")[0]!;
    assert.match(first, THIS_FILE, `${name}: the first frame is the spawn call here, not the runtime's\n${site}`);
    assert.doesNotMatch(site, /Task\.run|Executor\.(spawn|runReady|cycle)/, `${name}: no executor frames\n${site}`);
  }
  assert.match(formatDump(dump), /#2 by-function: [^\n]*\n {4}spawned at:\n {6}at .*executor-dump\.test\.js:\d+/);
});

test("the environment variable REACTOR_EXECUTOR_DIAGNOSTICS=1 turns spawn sites on for executors that do not say", async () => {
  const { runModule } = await import("./util/run-child.js");
  const r = await runModule(
    `
    import { Executor, sleep } from "reactor-executor";
    const on = new Executor();
    on.spawn(sleep(1), { name: "a" });
    const off = new Executor({ diagnostics: false });
    off.spawn(sleep(1), { name: "b" });
    console.log(on.diagnostics, on.dump().tasks[0].spawnedAt !== undefined, off.dump().tasks[0].spawnedAt === undefined);
  `,
    { env: { REACTOR_EXECUTOR_DIAGNOSTICS: "1" } },
  );
  assert.equal(r.stdout, "true true true\n", r.stderr);
});

test("DeadlockError carries the dump and shows it in its message", () => {
  const ex = new Executor({ name: "stuck" });
  let error: unknown;
  try {
    ex.blockOn(
      coroutine(function* () {
        const h = spawn(new Forever("the answer from nowhere"), { name: "waiter" });
        yield* wait(h);
      }),
    );
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof DeadlockError, String(error));
  const dump = error.dump;
  assert.ok(dump !== undefined);
  assert.equal(dump.executor, "stuck");
  assert.deepEqual(
    dump.tasks.map((t) => [t.id, t.name, t.state, t.waitingOn]),
    [
      [1, "main", "pending", "JoinHandle #2 (waiter)"],
      [2, "waiter", "pending", "the answer from nowhere"],
    ],
  );
  assert.ok(error.message.includes(formatDump(dump)), error.message);
  assert.match(error.message, /#2 waiter: pending, 1 poll, last \d+ cycles? ago: the answer from nowhere/);
});

test("describe(): combinators delegate to what they await; a class name when a future has no describe()", () => {
  const many = joinAll([new Forever("a"), new Forever("b"), new Forever("c"), new Forever("d"), new Forever("e")]);
  assert.equal(describeFuture(many), "joinAll of 5: not started");
  const clock = new VirtualClock();
  const ex = new Executor({ clock });
  const seen = ex.blockOn(
    coroutine(function* () {
      const inner = timeout(new Forever("the slow thing"), 250);
      const h = spawn(select<unknown>([inner, map(many, (xs) => xs.length)]), { name: "racer" });
      yield* wait(yieldNow());
      const text = byName(ex.dump(), "racer").waitingOn;
      h.abort();
      return text;
    }),
  );
  assert.equal(seen, "select: 2 of 2 pending: the slow thing (timeout: sleep until +250 ms); joinAll: 5 of 5 pending: a; b; c; +2 more");

  class NoDescribe implements Future<void> {
    poll(): Poll<void> {
      return PENDING;
    }
  }
  assert.equal(describeFuture(new NoDescribe()), "NoDescribe");
  assert.equal(describeFuture({ poll: () => PENDING }), "future");
  const throwing = {
    poll: () => PENDING,
    describe: (): string => {
      throw new Error("oops");
    },
  };
  assert.equal(describeFuture(throwing), "future (describe() threw: oops)");
  assert.equal(describeFuture(new Forever("x".repeat(1000))).length, 300);
  assert.equal(describeFuture(sleep(100)), "sleep 100 ms (not started)");
  assert.equal(describeFuture(yieldNow()), "yieldNow");
  assert.equal(describeFuture(coroutine(function* () {})), "not started");
});

test("a task spawned before blockOn is in the dump, ready and never polled", () => {
  const ex = new Executor({ name: "idle", diagnostics: true });
  ex.spawn(sleep(5), { name: "early" });
  const d = ex.dump();
  assert.deepEqual(
    d.tasks.map((t) => [t.name, t.state, t.polls, t.waitingOn]),
    [["early", "ready", 0, "sleep 5 ms (not started)"]],
  );
  ex.blockOn(ready(undefined));
  assert.deepEqual(ex.dump().tasks, []);
});

test("leaf futures name their source: accept, connect, write, lookup, promise, Http", () => {
  init();
  const listener = TcpListener.bind("127.0.0.1:0");
  const port = listener.port;
  try {
    assert.equal(describeFuture(listener.accept()), `TcpListener.accept fd ${listener.fd} port ${port}`);
    assert.equal(describeFuture(TcpStream.connect(`127.0.0.1:${port}`)), `TcpStream.connect 127.0.0.1:${port}`);
    assert.equal(describeFuture(lookup("example.invalid")), "lookup example.invalid");
    assert.equal(describeFuture(fromPromise(Promise.resolve(1))), "promise (not started)");
    assert.equal(describeFuture(Http.get("/0/hi", { port })), `Http 127.0.0.1:${port}/0/hi: TcpStream.connect 127.0.0.1:${port}`);
    const texts = new Executor().blockOn(
      coroutine(function* () {
        const client = yield* wait(TcpStream.connect(`127.0.0.1:${port}`));
        const server = yield* wait(listener.accept());
        const out = [describeFuture(client.write(new Uint8Array(5))), describeFuture(client.writeAll(new Uint8Array(7)))];
        client.close();
        server.close();
        return { out, fd: client.fd };
      }),
    );
    assert.deepEqual(texts.out, [
      `TcpStream.write fd ${texts.fd} (0 of 5 bytes written)`,
      `TcpStream.writeAll fd ${texts.fd} (0 of 7 bytes written)`,
    ]);
  } finally {
    listener.close();
  }
});

test("a task's poll count saturates instead of wrapping, and a rebased cycle tag never goes below -shift", () => {
  const ex = new Executor({ clock: new VirtualClock() });
  const polls = ex.blockOn(
    coroutine(function* () {
      const h = spawn(
        coroutine(function* () {
          for (let i = 0; i < 3; i++) yield* wait(yieldNow());
        }),
        { name: "busy" },
      );
      (h as unknown as { polls: number }).polls = MAX_POLL_COUNT - 1;
      yield* wait(yieldNow());
      const first = byName(ex.dump(), "busy").polls;
      yield* wait(yieldNow());
      const second = byName(ex.dump(), "busy").polls;
      yield* wait(h);
      return [first, second];
    }),
  );
  assert.deepEqual(polls, [MAX_POLL_COUNT, MAX_POLL_COUNT]);
  assert.equal(rebasedTag(CYCLE_TAG_SHIFT + 50), 50);
  assert.equal(rebasedTag(CYCLE_TAG_LIMIT - 1), CYCLE_TAG_LIMIT - 1 - CYCLE_TAG_SHIFT);
  assert.equal(rebasedTag(2), 2 - CYCLE_TAG_SHIFT);
  assert.equal(rebasedTag(-100), -CYCLE_TAG_SHIFT, "long ago stays long ago");
  assert.equal(rebasedTag(-CYCLE_TAG_SHIFT), -CYCLE_TAG_SHIFT);
});
