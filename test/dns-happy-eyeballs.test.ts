// RFC 8305 section 5's attempt race (src/net/dns/happy-eyeballs.ts), on a virtual clock: the delay
// is a future the test completes by hand, the attempts are futures it settles by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Executor, PENDING, coroutine, spawn, wait, yieldNow, type Future, type Poll, type Waker } from "../src/index.js";
import { happyEyeballs } from "../src/net/dns/happy-eyeballs.js";
import { IoError } from "../src/errors.js";

/** An attempt or a delay settled by the test: pending until `succeed`/`fail`; counts drops. */
class Manual<T> implements Future<T> {
  drops = 0;
  polls = 0;
  private outcome: { value: T } | { error: unknown } | null = null;
  private waker: Waker | null = null;
  private finished = false;
  constructor(readonly label: string) {}
  succeed(value: T): void {
    this.outcome = { value };
    this.waker?.wake();
  }
  fail(error: unknown): void {
    this.outcome = { error };
    this.waker?.wake();
  }
  poll(waker: Waker): Poll<T> {
    if (this.finished) throw new Error(`${this.label} polled after it finished`);
    this.polls++;
    const o = this.outcome;
    if (o === null) {
      this.waker = waker;
      return PENDING;
    }
    this.finished = true;
    if ("error" in o) throw o.error;
    return o.value;
  }
  drop(): void {
    this.drops++;
  }
}

/** A scripted race: attempts and delays made on demand, and a log of what started. */
function race(candidates: string[], retryable?: (e: unknown) => boolean) {
  const attempts = new Map<string, Manual<string>>();
  const delays: Manual<void>[] = [];
  const log: string[] = [];
  const future = happyEyeballs(
    candidates,
    (c) => {
      log.push(`start ${c}`);
      const a = new Manual<string>(c);
      attempts.set(c, a);
      return a;
    },
    {
      delayMs: 250,
      delay: (ms) => {
        log.push(`delay ${ms}`);
        const d = new Manual<void>(`delay ${delays.length}`);
        delays.push(d);
        return d;
      },
      ...(retryable === undefined ? {} : { retryable }),
    },
  );
  return { future, attempts, delays, log };
}

/** Runs `steps` (each after the executor had a turn) while `future` races; returns its outcome. */
function drive<T>(future: Future<T>, ...steps: (() => void)[]): { value?: T; error?: unknown } {
  return new Executor().blockOn(
    coroutine(function* () {
      const h = spawn(future);
      for (const step of steps) {
        yield* wait(yieldNow());
        step();
      }
      try {
        return { value: yield* wait(h) };
      } catch (error) {
        return { error };
      }
    }),
  );
}

const refused = (): IoError => new IoError("ECONNREFUSED", 111, "connect");

test("the first attempt that succeeds before the delay is the only one", () => {
  const r = race(["6a", "4a", "6b"]);
  const out = drive(r.future, () => r.attempts.get("6a")!.succeed("via 6a"));
  assert.equal(out.value, "via 6a");
  assert.deepEqual(r.log, ["start 6a", "delay 250"]);
  assert.equal(r.delays[0]!.drops, 1, "the pending delay was dropped");
});

test("an attempt still pending when the delay ends gets company; the first to succeed wins, the other is dropped", () => {
  const r = race(["6a", "4a"]);
  const out = drive(
    r.future,
    () => r.delays[0]!.succeed(), // 250 ms pass: 6a black-holes
    () => r.attempts.get("4a")!.succeed("via 4a"),
  );
  assert.equal(out.value, "via 4a");
  assert.deepEqual(r.log, ["start 6a", "delay 250", "start 4a"]);
  assert.equal(r.attempts.get("6a")!.drops, 1, "the losing attempt was dropped (its socket closed)");
  assert.equal(r.attempts.get("4a")!.drops, 0);
});

test("a failure starts the next attempt at once, without waiting for the delay", () => {
  const r = race(["6a", "4a", "6b"]);
  const out = drive(
    r.future,
    () => r.attempts.get("6a")!.fail(refused()),
    () => r.attempts.get("4a")!.succeed("via 4a"),
  );
  assert.equal(out.value, "via 4a");
  assert.deepEqual(r.log, ["start 6a", "delay 250", "start 4a", "delay 250"]);
  assert.equal(r.delays[0]!.drops, 1, "the delay of the failed attempt was dropped, a new one started");
});

test("the delay counts from the latest start: attempts overlap one delay apart", () => {
  const r = race(["6a", "4a", "6b", "4b"]);
  const out = drive(
    r.future,
    () => r.delays[0]!.succeed(),
    () => r.delays[1]!.succeed(),
    () => r.attempts.get("6a")!.succeed("via 6a"), // the first one got through late
  );
  assert.equal(out.value, "via 6a");
  assert.deepEqual(r.log, ["start 6a", "delay 250", "start 4a", "delay 250", "start 6b", "delay 250"]);
  assert.equal(r.attempts.get("4a")!.drops, 1);
  assert.equal(r.attempts.get("6b")!.drops, 1);
  assert.equal(r.delays[2]!.drops, 1);
  assert.equal(r.attempts.has("4b"), false);
});

test("when every attempt fails, the last error is thrown", () => {
  const r = race(["6a", "4a"]);
  const last = new IoError("EHOSTUNREACH", 113, "connect");
  const out = drive(
    r.future,
    () => r.attempts.get("6a")!.fail(refused()),
    () => r.attempts.get("4a")!.fail(last),
  );
  assert.equal(out.error, last);
});

test("an error the caller says is not retryable ends the race and drops the rest", () => {
  const fatal = new IoError("EMFILE", 24, "socket");
  const r = race(["6a", "4a", "6b"], (e) => (e as IoError).code !== "EMFILE");
  const out = drive(
    r.future,
    () => r.delays[0]!.succeed(),
    () => r.attempts.get("4a")!.fail(fatal),
  );
  assert.equal(out.error, fatal);
  assert.equal(r.attempts.get("6a")!.drops, 1);
  assert.equal(r.attempts.has("6b"), false);
});

test("an attempt that throws as it is made fails like any other", () => {
  let n = 0;
  const good = new Manual<string>("second");
  const f = happyEyeballs(
    ["a", "b"],
    () => {
      if (n++ === 0) throw refused();
      return good;
    },
    { delay: () => new Manual<void>("delay") },
  );
  const out = drive(f, () => good.succeed("second"));
  assert.equal(out.value, "second");
});

test("dropping the race drops every attempt still running and the delay", () => {
  const r = race(["6a", "4a", "6b"]);
  new Executor().blockOn(
    coroutine(function* () {
      const h = spawn(r.future);
      yield* wait(yieldNow());
      r.delays[0]!.succeed();
      yield* wait(yieldNow());
      h.abort();
      yield* wait(yieldNow());
    }),
  );
  assert.equal(r.attempts.get("6a")!.drops, 1);
  assert.equal(r.attempts.get("4a")!.drops, 1);
  assert.equal(r.delays[1]!.drops, 1);
});

test("the default delay is a real 250 ms sleep", () => {
  const slow = new Manual<string>("slow");
  const t0 = performance.now();
  const out = new Executor().blockOn(happyEyeballs(["6a", "4a"], (c) => (c === "6a" ? slow : { poll: () => "via 4a" })));
  const ms = performance.now() - t0;
  assert.equal(out, "via 4a");
  assert.ok(ms >= 249 && ms < 2_000, `${ms} ms`);
  assert.equal(slow.drops, 1);
});

test("no candidates, or a negative delay, is refused", () => {
  assert.throws(() => happyEyeballs([], () => new Manual<string>("x")), RangeError);
  assert.throws(() => happyEyeballs(["a"], () => new Manual<string>("x"), { delayMs: -1 }), RangeError);
});
