import { test } from "node:test";
import assert from "node:assert/strict";
import { Executor, coroutine, wait, exportWaker, PENDING, type Future, type Poll, type Waker } from "../src/index.js";
import { TokenTable, READABLE, WRITABLE, ERROR, HANGUP, READ_CLOSED, TABLE, STRIDE, GEN } from "../src/runtime/token-table.js";
import { EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR, EPOLLRDHUP } from "../src/sys/index.js";

/** Stores its waker in the table for `token` on its first poll, then waits for `ready()`. */
class Waiting implements Future<string> {
  polls = 0;
  fired = false;
  constructor(
    private readonly table: TokenTable,
    private readonly token: number,
    private readonly dir: 1 | 2,
    private readonly label: string,
  ) {}
  poll(waker: Waker): Poll<string> {
    this.polls++;
    if (this.polls === 1) {
      // What Reactor.setWaker does, minus epoll: export, then store ref + 1.
      const ref = exportWaker(waker);
      this.table.swapWaker(this.token, this.dir, ref + 1);
      return PENDING;
    }
    return this.label;
  }
}

test("an event wakes the waker of its direction; error and hang-up wake both; a stale generation wakes nobody", () => {
  const table = TokenTable.create(-1, -1);
  const token = table.allocate();
  const gen = table.generation(token);
  const ex = new Executor();
  const log: string[] = [];
  ex.blockOn(
    coroutine(function* () {
      const reader = new Waiting(table, token, 1, "reader");
      const writer = new Waiting(table, token, 2, "writer");
      const r = ex.spawn(reader);
      const w = ex.spawn(writer);
      yield* wait({ poll: (wk: Waker) => (reader.polls > 0 && writer.polls > 0 ? true : (wk.wake(), PENDING)) });

      table.dispatch(EPOLLIN, token, gen + 1); // stale: nobody
      yield* wait({
        n: 0,
        poll(wk: Waker) {
          return this.n++ < 3 ? (wk.wake(), PENDING) : true;
        },
      } as Future<boolean> & { n: number });
      log.push(`after stale: ${reader.polls},${writer.polls}`);

      table.dispatch(EPOLLOUT, token, gen); // the writer only
      log.push(yield* wait(w));
      log.push(`reader polls ${reader.polls}`);

      table.dispatch(EPOLLHUP, token, gen); // both directions
      log.push(yield* wait(r));
      table.swapWaker(token, 1, 0);
      table.swapWaker(token, 2, 0);
    }),
  );
  assert.deepEqual(log, ["after stale: 1,1", "writer", "reader polls 1", "reader"]);
});

test("a released token comes back with a new generation", () => {
  const table = TokenTable.create(-1, -1);
  const t = table.allocate();
  const g = table.generation(t);
  table.release(t);
  const again = table.allocate();
  assert.equal(again, t);
  assert.equal(table.generation(again), g + 1);
});

test("readiness: events set bits and count ticks; a late event of a recycled token marks nothing", () => {
  const table = TokenTable.create(-1, -1);
  const t = table.allocate();
  table.resetReadiness(t);
  const g = table.generation(t);
  assert.equal(table.readiness(t) & 0xff, 0);

  table.dispatch(EPOLLOUT, t, g);
  const w1 = table.readiness(t);
  assert.equal(w1 & 0xff, WRITABLE);
  table.dispatch(EPOLLIN | EPOLLRDHUP, t, g);
  const w2 = table.readiness(t);
  assert.equal(w2 & 0xff, WRITABLE | READABLE | READ_CLOSED);
  assert.notEqual(w2 & 0xff00, w1 & 0xff00, "each event moves the tick");
  table.dispatch(EPOLLERR | EPOLLHUP, t, g);
  assert.equal(table.readiness(t) & (ERROR | HANGUP), ERROR | HANGUP);

  // The token goes to a new source; an event of the old one still on its way changes nothing.
  table.release(t);
  assert.equal(table.allocate(), t);
  table.resetReadiness(t);
  const fresh = table.readiness(t);
  table.dispatch(EPOLLIN | EPOLLOUT, t, g);
  assert.equal(table.readiness(t), fresh);
  table.dispatch(EPOLLIN, t, g + 1);
  assert.equal(table.readiness(t) & 0xff, READABLE);
});

test("readiness: a clear after EAGAIN loses no event that came in between", () => {
  const table = TokenTable.create(-1, -1);
  const t = table.allocate();
  table.resetReadiness(t);
  const g = table.generation(t);
  table.dispatch(EPOLLIN, t, g);
  const observed = table.readiness(t);
  // The read found nothing, but before the clear another EPOLLIN arrived (same bits, new tick).
  table.dispatch(EPOLLIN, t, g);
  assert.equal(table.clearReadiness(t, observed, READABLE), false);
  assert.equal(table.readiness(t) & READABLE, READABLE, "still readable: the caller reads again");
  // Nothing in between: the clear takes.
  const now = table.readiness(t);
  assert.equal(table.clearReadiness(t, now, READABLE), true);
  assert.equal(table.readiness(t) & READABLE, 0);
  // assumeReady sets bits without an event (an accepted connection's first read).
  table.assumeReady(t, READABLE | WRITABLE);
  assert.equal(table.readiness(t) & 0xff, READABLE | WRITABLE);
});

test("an event's generation is matched as a 32-bit pattern: past 2^31 reuses, epoll's unsigned copy still matches", () => {
  const table = TokenTable.create(-1, -1);
  const t = table.allocate();
  table.words[TABLE + STRIDE * t + GEN] = 0x7fffffff;
  table.release(t);
  assert.equal(table.allocate(), t);
  table.resetReadiness(t);
  const signed = table.generation(t);
  assert.equal(signed, -0x80000000);
  // What epoll hands back: the same 32 bits, read unsigned.
  assert.equal(table.record(EPOLLIN, t, signed >>> 0), true);
  assert.equal(table.readiness(t) & 0xff, READABLE);
  // The previous generation is stale, read either way.
  assert.equal(table.record(EPOLLOUT, t, 0x7fffffff), false);
  assert.equal(table.readiness(t) & WRITABLE, 0);
});
