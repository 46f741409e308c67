import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDelayServer, type DelayServerProcess } from "./util/delay-server.js";
import { runModule } from "./util/run-child.js";
import { checkTrace, readTrace, sliceAt, track, type TraceEvent, type TraceIndex } from "./util/trace-file.js";

let server: DelayServerProcess;
let dir: string;

before(async () => {
  server = await startDelayServer();
  dir = mkdtempSync(join(tmpdir(), "trace-run-"));
});

after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The book's demo (ch08 c-reactor-executor) with delays of i * 100 ms, traced into `file`. */
function demo(file: string, reactor: "thread" | "inline"): string {
  return `
    import { init, coroutine, wait, spawn, Http } from "reactor-executor";
    const port = ${server.port};
    function request(i) {
      return coroutine(function* request() {
        const txt = yield* wait(Http.get("/" + i * 100 + "/HelloWorld" + i, { port }));
        console.log(txt.slice(txt.indexOf("\\r\\n\\r\\n") + 4));
      });
    }
    const executor = init({ reactor: ${JSON.stringify(reactor)}, trace: ${JSON.stringify(file)} });
    executor.blockOn(coroutine(function* main() {
      for (let i = 0; i < 5; i++) spawn(request(i));
    }));
  `;
}

/** The polls of the requests on `t`, by task name ("request #2" ...). */
function requestPolls(ix: TraceIndex, tid: number): Map<string, TraceEvent[]> {
  const by = new Map<string, TraceEvent[]>();
  for (const p of ix.polls) {
    if (p.tid !== tid || !p.name!.startsWith("request #")) continue;
    let list = by.get(p.name!);
    if (list === undefined) by.set(p.name!, (list = []));
    list.push(p);
  }
  for (const list of by.values()) list.sort((a, b) => a.ts! - b.ts!);
  return by;
}

/** The five requests ran at once on one executor: each began before the first one ended. */
function assertOverlap(requests: Map<string, TraceEvent[]>): void {
  assert.equal(requests.size, 5, [...requests.keys()].join(", "));
  const firstEnd = Math.min(...[...requests.values()].map((l) => l[l.length - 1]!.ts!));
  for (const [name, list] of requests) {
    assert.ok(list[0]!.ts! < firstEnd, `${name} was polled before the first request finished`);
    assert.equal(list[list.length - 1]!.args!.result, "ready", `${name} ends ready`);
    assert.ok(list.length >= 2, `${name} was pending, then woken: ${list.length} polls`);
  }
}

test("trace of the book's demo: tracks for main and the reactor, polls, parks, flows from reactor events to polls", async () => {
  const file = join(dir, "demo.json");
  const r = await runModule(demo(file, "thread"), { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n"), ["HelloWorld0", "HelloWorld1", "HelloWorld2", "HelloWorld3", "HelloWorld4"]);
  const { events, closed } = readTrace(file);
  assert.ok(closed, "a process that exits writes the closing ]");
  const ix = checkTrace(events, true);
  const main = track(ix, "main");
  const reactor = track(ix, "reactor");
  assert.ok(main.tid !== reactor.tid);

  const requests = requestPolls(ix, main.tid);
  assertOverlap(requests);
  // Each response woke its request from the reactor thread: an arrow from an event to the poll.
  for (const [name, list] of requests) {
    const woken = list.slice(1).filter((p) => [...ix.flows.values()].some((f) => f.end.tid === main.tid && sliceAt(main, f.end.ts!) === p));
    assert.ok(woken.length >= 1, `${name} has a poll caused by a wake`);
  }
  const fromReactor = [...ix.flows.values()].filter((f) => f.start.tid === reactor.tid);
  assert.ok(fromReactor.length >= 5, `arrows from the reactor: ${fromReactor.length}`);
  for (const f of fromReactor) {
    const source = sliceAt(reactor, f.start.ts!)!;
    assert.equal(source.cat, "reactor");
    assert.match(source.name!, /^\d+ events?$/, "the arrow starts in the reactor's handling of an epoll_wait's events");
    assert.ok((source.args!.events as number) >= 1);
  }
  // The reactor's waits: epoll_wait slices that returned events.
  assert.ok(reactor.slices.some((s) => s.name === "epoll_wait" && (s.args!.events as number) >= 1));
  // The executor parked between responses, and a wake ended most parks.
  const parks = main.slices.filter((s) => s.cat === "park");
  assert.ok(parks.length >= 4, `parks: ${parks.length}`);
  assert.ok(parks.filter((p) => p.args!.endedBy === "wake").length >= 4);
  // One blockOn slice around every poll of main.
  const run = main.slices.find((s) => s.cat === "executor")!;
  assert.equal(run.name, "blockOn main");
  for (const p of ix.polls.filter((p) => p.tid === main.tid)) assert.ok(p.ts! >= run.ts! && p.ts! + p.dur! <= run.ts! + run.dur! + 0.002);
  // Counters: live tasks went up to 5 requests (+ main) and down to 0.
  const live = events.filter((e) => e.ph === "C" && e.name === "main: live tasks").map((e) => e.args!.count as number);
  assert.ok(live.includes(5) && live.at(-1) === 0, `live tasks: ${live.join(" ")}`);
});

test("trace with the inline reactor: epoll_wait on the executor's own track, arrows within it", async () => {
  const file = join(dir, "inline.json");
  const r = await runModule(demo(file, "inline"), { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const ix = checkTrace(readTrace(file).events, true);
  const main = track(ix, "main");
  assert.ok(!ix.tracks.has("reactor"), "no reactor thread in inline mode");
  assertOverlap(requestPolls(ix, main.tid));
  assert.ok(main.slices.some((s) => s.name === "epoll_wait" && (s.args!.events as number) >= 1 && s.args!.timeoutMs !== 0));
  const inner = [...ix.flows.values()].filter((f) => f.start.tid === main.tid && f.end.tid === main.tid);
  assert.ok(inner.length >= 5, `arrows from main's events to its polls: ${inner.length}`);
});

test("trace of a spawnThread run: a named track per thread, each with its polls and arrows from the reactor", async () => {
  const file = join(dir, "threads.json");
  const program = new URL("./util/trace-thread-program.js", import.meta.url).href;
  const r = await runModule(
    `
    import { init, coroutine, wait, spawnThread } from "reactor-executor";
    import { fetchSome } from ${JSON.stringify(program)};
    const port = ${server.port};
    const executor = init({ trace: ${JSON.stringify(file)} });
    const threads = ["exec-1", "exec-2"].map((name) =>
      spawnThread({ name, module: ${JSON.stringify(program)}, export: "fetchSome", args: [name, port, 3, 50] }));
    const out = executor.blockOn(coroutine(function* main() {
      const mine = yield* wait(fetchSome("main", port, 3, 50));
      const theirs = [];
      for (const t of threads) theirs.push(yield* wait(t.join()));
      return [mine, ...theirs];
    }));
    console.log(JSON.stringify(out));
  `,
    { timeoutMs: 30_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [
    ["main-0", "main-1", "main-2"],
    ["exec-1-0", "exec-1-1", "exec-1-2"],
    ["exec-2-0", "exec-2-1", "exec-2-2"],
  ]);
  const { events, closed } = readTrace(file);
  assert.ok(closed);
  const ix = checkTrace(events, true);
  const reactor = track(ix, "reactor");
  const tids = new Set<number>();
  for (const name of ["main", "exec-1", "exec-2"]) {
    const t = track(ix, name);
    tids.add(t.tid);
    const polls = ix.polls.filter((p) => p.tid === t.tid && p.name!.startsWith("request #"));
    assert.equal(new Set(polls.map((p) => p.name)).size, 3, `${name}: three requests polled`);
    const arrows = [...ix.flows.values()].filter((f) => f.start.tid === reactor.tid && f.end.tid === t.tid);
    assert.ok(arrows.length >= 3, `${name}: arrows from the reactor: ${arrows.length}`);
    assert.ok(t.slices.some((s) => s.name === "blockOn " + name));
  }
  assert.equal(tids.size, 3, "one track per thread");
  // The threads' ends, in their own tracks.
  for (const name of ["exec-1", "exec-2"]) {
    const t = track(ix, name);
    assert.ok(
      events.some((e) => e.ph === "i" && e.name === "thread exit" && e.tid === t.tid),
      `${name} exit`,
    );
  }
  // A thread's end woke main's join: an arrow from exec-n's track to main.
  const main = track(ix, "main");
  assert.ok(
    [...ix.flows.values()].some(
      (f) => f.end.tid === main.tid && (f.start.tid === track(ix, "exec-1").tid || f.start.tid === track(ix, "exec-2").tid),
    ),
  );
});
