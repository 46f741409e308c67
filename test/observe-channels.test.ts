/**
 * The diagnostics channels with a subscriber: HTTP client requests (start and end, paired by
 * their `request` object: done, failed, dropped), the deadlock's dump, and that channels are per
 * thread (a subscriber sees its own thread's tasks only).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import diagnostics_channel from "node:diagnostics_channel";
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  DeadlockError,
  Executor,
  Http,
  PENDING,
  coroutine,
  init,
  spawn,
  spawnThread,
  wait,
  type ExecutorDump,
  type Future,
  type Poll,
} from "reactor-executor";

interface Seen {
  channel: string;
  message: Record<string, unknown>;
}

/** Subscribes to `names` while `body` runs; returns what was published, in order. */
async function recording(names: string[], body: () => Promise<void> | void): Promise<Seen[]> {
  const seen: Seen[] = [];
  const handlers = names.map((name) => {
    const h = (message: unknown): void => {
      seen.push({ channel: name, message: message as Record<string, unknown> });
    };
    diagnostics_channel.subscribe(name, h);
    return [name, h] as const;
  });
  try {
    await body();
  } finally {
    for (const [name, h] of handlers) diagnostics_channel.unsubscribe(name, h);
  }
  return seen;
}

const START = "reactor-executor:http:request:start";
const END = "reactor-executor:http:request:end";

test("http:request:start and :end: one pair per request, the same request object, with the outcome", async () => {
  const server = http.createServer((req, res) => {
    if (req.url === "/slow") setTimeout(() => res.end("late"), 2_000).unref();
    else res.writeHead(req.url === "/missing" ? 404 : 200).end("hello");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const refused = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const ex = init();
  try {
    const seen = await recording([START, END], () =>
      ex.run(
        coroutine(function* () {
          const res = yield* wait(Http.request({ method: "POST", url: `http://127.0.0.1:${port}/missing`, body: "x" }));
          assert.equal(res.status, 404);
          yield* wait(Http.get("/ok", { port }));
          try {
            yield* wait(Http.get("/", { port: refused }));
          } catch {
            // expected: refused
          }
          try {
            yield* wait(Http.get("/slow", { port, timeoutMs: 100 }));
          } catch {
            // expected: timed out, the request dropped
          }
        }),
      ),
    );
    const lines = seen.map(({ channel, message }) => {
      const req = message["request"] as { method: string; url: string };
      const error = message["error"] as { code?: string } | undefined;
      const status = message["status"] as number | undefined;
      const tail = channel === START ? "start" : `${String(message["outcome"])} ${status ?? error?.code ?? "-"}`;
      return `${req.method} ${req.url} ${tail}`;
    });
    assert.deepEqual(lines, [
      `POST http://127.0.0.1:${port}/missing start`,
      `POST http://127.0.0.1:${port}/missing ok 404`,
      `GET http://127.0.0.1:${port}/ok start`,
      `GET http://127.0.0.1:${port}/ok ok 200`,
      `GET http://127.0.0.1:${refused}/ start`,
      `GET http://127.0.0.1:${refused}/ error ECONNREFUSED`,
      `GET http://127.0.0.1:${port}/slow start`,
      `GET http://127.0.0.1:${port}/slow dropped -`,
    ]);
    // Start and end of a request carry the same object, so a subscriber can pair them.
    for (let i = 0; i < seen.length; i += 2) assert.equal(seen[i]!.message["request"], seen[i + 1]!.message["request"]);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

class Never implements Future<never> {
  poll(): Poll<never> {
    return PENDING;
  }
  describe(): string {
    return "nothing at all";
  }
}

test("executor:deadlock publishes the executor's dump as it gives up", async () => {
  const seen = await recording(["reactor-executor:executor:deadlock"], () => {
    assert.throws(
      () =>
        new Executor({ name: "stuck" }).blockOn(
          coroutine(function* () {
            yield* wait(spawn(new Never(), { name: "waiter" }));
          }),
        ),
      DeadlockError,
    );
  });
  assert.equal(seen.length, 1);
  const { executor, dump } = seen[0]!.message as { executor: string; dump: ExecutorDump };
  assert.equal(executor, "stuck");
  assert.deepEqual(
    dump.tasks.map((t) => `${t.name} ${t.state} ${t.waitingOn}`),
    ["main pending JoinHandle #2 (waiter)", "waiter pending nothing at all"],
  );
});

test("channels are per thread: a subscriber here sees no task of a spawnThread thread", async () => {
  init();
  const programs = new URL("./util/thread-programs.js", import.meta.url).href;
  const seen = await recording(["reactor-executor:task:spawn"], async () => {
    await new Executor({ name: "here" }).run(
      coroutine(function* () {
        yield* wait(spawnThread("there", programs, "writeAfter", new SharedArrayBuffer(4), 0, 1, 1).join());
      }),
    );
  });
  assert.deepEqual(
    seen.map((s) => `${String(s.message["executor"])} ${String(s.message["name"])}`),
    ["here main"],
  );
});
