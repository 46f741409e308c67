import { test } from "node:test";
import assert from "node:assert/strict";
import diagnostics_channel from "node:diagnostics_channel";
import { Executor, coroutine, wait, spawn, sleep, ready } from "reactor-executor";
import { Failing } from "./util/futures.js";

test("tasks and parks are published on diagnostics channels, with ids and names", () => {
  const seen: string[] = [];
  const onSpawn = (m: unknown) => {
    const { id, name } = m as { id: number; name: string };
    seen.push(`spawn #${id} ${name}`);
  };
  const onFinish = (m: unknown) => {
    const { id, name, outcome } = m as { id: number; name: string; outcome: string };
    seen.push(`finish #${id} ${name} ${outcome}`);
  };
  const onPark = (m: unknown) =>
    seen.push(`park ${(m as { executor: string; pending: number }).executor} ${(m as { pending: number }).pending}`);
  diagnostics_channel.subscribe("reactor-executor:task:spawn", onSpawn);
  diagnostics_channel.subscribe("reactor-executor:task:finish", onFinish);
  diagnostics_channel.subscribe("reactor-executor:executor:park", onPark);
  try {
    new Executor({ name: "traced" }).blockOn(
      coroutine(function* () {
        const bad = spawn(new Failing(new Error("x")), { name: "bad" });
        try {
          yield* wait(bad);
        } catch {
          // expected: `bad` failed
        }
        yield* wait(sleep(20));
        yield* wait(spawn(ready(1), { name: "fine" }));
      }),
    );
  } finally {
    diagnostics_channel.unsubscribe("reactor-executor:task:spawn", onSpawn);
    diagnostics_channel.unsubscribe("reactor-executor:task:finish", onFinish);
    diagnostics_channel.unsubscribe("reactor-executor:executor:park", onPark);
  }
  // A timed park may return a little early and park again: parks are counted, not listed.
  const parks = seen.filter((s) => s === "park traced 1").length;
  assert.ok(parks >= 1, seen.join("\n"));
  assert.deepEqual(
    seen.filter((s) => !s.startsWith("park")),
    ["spawn #1 main", "spawn #2 bad", "finish #2 bad error", "spawn #3 fine", "finish #3 fine ok", "finish #1 main ok"],
  );
  assert.equal(seen.indexOf("park traced 1"), 3);
});
