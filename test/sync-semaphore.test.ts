import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ClosedError,
  DeadlockError,
  Executor,
  PENDING,
  RuntimeError,
  Semaphore,
  SemaphorePermit,
  coroutine,
  sleep,
  spawn,
  wait,
} from "reactor-executor";
import { CountingWaker, SpentBudgetWaker } from "./util/wakers.js";

function permitOf(p: unknown): SemaphorePermit {
  assert.ok(p instanceof SemaphorePermit, `expected a permit, got ${String(p)}`);
  return p;
}

test("acquire takes a free permit at once; release gives it back", () => {
  const sem = new Semaphore(2);
  const p = permitOf(sem.acquire().poll(new CountingWaker()));
  assert.equal(sem.available, 1);
  assert.equal(p.count, 1);
  p.release();
  assert.equal(sem.available, 2);
  p.release(); // twice is harmless
  assert.equal(sem.available, 2);
  assert.equal(p.isHeld, false);
});

test("FIFO: waiters get permits in the order they started waiting, each woken once", () => {
  const sem = new Semaphore(0);
  const wakers = [new CountingWaker(), new CountingWaker(), new CountingWaker()];
  const futures = wakers.map(() => sem.acquire());
  futures.forEach((f, i) => assert.equal(f.poll(wakers[i]!), PENDING));
  assert.equal(sem.waiting, 3);
  sem.addPermits(1);
  assert.deepEqual(
    wakers.map((w) => w.wakes),
    [1, 0, 0],
  );
  assert.equal(sem.available, 0, "the permit was handed over, not left for anyone to take");
  // Nobody can barge in while the first has not polled yet.
  assert.equal(sem.tryAcquire(), null);
  const p0 = permitOf(futures[0]!.poll(wakers[0]!));
  p0.release();
  assert.deepEqual(
    wakers.map((w) => w.wakes),
    [1, 1, 0],
  );
  permitOf(futures[1]!.poll(wakers[1]!)).release();
  permitOf(futures[2]!.poll(wakers[2]!)).release();
  assert.equal(sem.available, 1);
});

test("FIFO across tasks on an executor: the order of acquiring is the order of asking", () => {
  const order: number[] = [];
  const sem = new Semaphore(1);
  new Executor().blockOn(
    coroutine(function* () {
      for (let i = 0; i < 10; i++) {
        spawn(
          coroutine(function* () {
            using _p = yield* wait(sem.acquire());
            order.push(i);
            yield* wait(sleep(1));
          }),
        );
      }
    }),
  );
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(sem.available, 1);
});

test("acquireMany waits for all its permits and holds back smaller requests behind it", () => {
  const sem = new Semaphore(1);
  const big = sem.acquireMany(2);
  const small = sem.acquire();
  const wb = new CountingWaker();
  const ws = new CountingWaker();
  assert.equal(big.poll(wb), PENDING);
  assert.equal(small.poll(ws), PENDING, "one permit is free, but the big request came first");
  assert.equal(sem.tryAcquire(), null, "tryAcquire does not jump the queue");
  sem.addPermits(1);
  assert.equal(wb.wakes, 1);
  assert.equal(ws.wakes, 0);
  const p = permitOf(big.poll(wb));
  assert.equal(p.count, 2);
  p.release();
  assert.equal(ws.wakes, 1);
  permitOf(small.poll(ws)).release();
  assert.equal(sem.available, 2);
});

test("cancellation: a dropped waiting acquire leaves the queue; the others are still served", () => {
  const sem = new Semaphore(0);
  const [a, b, c] = [sem.acquire(), sem.acquire(), sem.acquire()];
  const [wa, wb, wc] = [new CountingWaker(), new CountingWaker(), new CountingWaker()];
  a.poll(wa);
  b.poll(wb);
  c.poll(wc);
  b.drop!();
  assert.equal(sem.waiting, 2);
  sem.addPermits(2);
  assert.deepEqual([wa.wakes, wb.wakes, wc.wakes], [1, 0, 1]);
  permitOf(a.poll(wa));
  permitOf(c.poll(wc));
  assert.equal(sem.available, 0);
});

test("cancellation: dropping the big request at the head lets the smaller ones behind it through", () => {
  const sem = new Semaphore(3);
  const big = sem.acquireMany(5);
  const small = sem.acquire();
  const ws = new CountingWaker();
  big.poll(new CountingWaker());
  small.poll(ws);
  assert.equal(ws.wakes, 0);
  big.drop!();
  assert.equal(ws.wakes, 1, "the small request is served as soon as the big one is gone");
  permitOf(small.poll(ws));
  assert.equal(sem.available, 2);
});

test("cancellation: a waiter dropped after it was handed its permit passes the permit on", () => {
  const sem = new Semaphore(0);
  const first = sem.acquire();
  const second = sem.acquire();
  const w1 = new CountingWaker();
  const w2 = new CountingWaker();
  first.poll(w1);
  second.poll(w2);
  sem.addPermits(1);
  assert.equal(w1.wakes, 1);
  // `first` lost a select (say) before its task polled it again.
  first.drop!();
  assert.equal(w2.wakes, 1, "the permit went on to the next waiter, whose wake was not lost");
  const p = permitOf(second.poll(w2));
  p.release();
  assert.equal(sem.available, 1, "no permit leaked or was counted twice");
});

test("cancellation on an executor: aborting tasks that wait, or were just handed the permit, loses nothing", () => {
  const sem = new Semaphore(1);
  const got: string[] = [];
  new Executor().blockOn(
    coroutine(function* () {
      const holder = yield* wait(sem.acquire());
      const waiters = ["a", "b", "c", "d"].map((name) =>
        spawn(
          coroutine(function* () {
            using _p = yield* wait(sem.acquire());
            got.push(name);
          }),
          { name },
        ),
      );
      yield* wait(sleep(1)); // every waiter is queued now
      waiters[1]!.abort(); // b: waiting
      holder.release(); // a is handed the permit...
      waiters[0]!.abort(); // ...and aborted before it ran: the permit must pass on to c
      for (const h of waiters.slice(2)) yield* wait(h);
    }),
  );
  assert.deepEqual(got, ["c", "d"]);
  assert.equal(sem.available, 1);
  assert.equal(sem.waiting, 0);
});

test("close: waiting and later acquires throw ClosedError; held permits stay valid", () => {
  const sem = new Semaphore(1);
  const held = permitOf(sem.acquire().poll(new CountingWaker()));
  const waiting = sem.acquire();
  const w = new CountingWaker();
  assert.equal(waiting.poll(w), PENDING);
  sem.close();
  assert.equal(w.wakes, 1);
  assert.throws(
    () => waiting.poll(w),
    (e: unknown) => e instanceof ClosedError && e.code === "ECLOSED",
  );
  assert.throws(() => sem.acquire().poll(w), ClosedError);
  assert.throws(() => sem.tryAcquire(), ClosedError);
  held.release();
  assert.equal(sem.isClosed, true);
});

test("forget: the permits are gone for good", () => {
  const sem = new Semaphore(3);
  const p = sem.tryAcquire(2)!;
  p.forget();
  p.release();
  assert.equal(sem.available, 1);
});

test("using releases the permit however the block ends: return, throw, task aborted", () => {
  const sem = new Semaphore(1);
  new Executor().blockOn(
    coroutine(function* () {
      yield* wait(
        coroutine(function* () {
          using _p = yield* wait(sem.acquire());
          assert.equal(sem.available, 0);
        }),
      );
      assert.equal(sem.available, 1, "after return");
      try {
        yield* wait(
          coroutine(function* () {
            using _p = yield* wait(sem.acquire());
            throw new Error("boom");
          }),
        );
      } catch {
        // expected
      }
      assert.equal(sem.available, 1, "after throw");
      const h = spawn(
        coroutine(function* () {
          using _p = yield* wait(sem.acquire());
          yield* wait(sleep(10_000));
        }),
      );
      yield* wait(sleep(1));
      assert.equal(sem.available, 0);
      h.abort();
      assert.equal(sem.available, 1, "after the task was aborted");
    }),
  );
});

test("await using releases a permit in plain async code (Symbol.asyncDispose falls back to Symbol.dispose)", async () => {
  const sem = new Semaphore(1);
  {
    // `await using` takes a sync disposable too (it falls back to Symbol.dispose): what Promise
    // code may write. Checked here because the runtime helper needs both symbols, on Node 20 too.
    // eslint-disable-next-line @typescript-eslint/await-thenable
    await using _p = sem.tryAcquire()!;
    assert.equal(sem.available, 0);
  }
  assert.equal(sem.available, 1);
  assert.equal(typeof Symbol.dispose, "symbol");
  assert.equal(typeof Symbol.asyncDispose, "symbol");
});

test("the cooperative budget: an acquire that would succeed yields instead once the task's turn is used up", () => {
  const sem = new Semaphore(1);
  const f = sem.acquire();
  const spent = new SpentBudgetWaker();
  assert.equal(f.poll(spent), PENDING);
  assert.equal(spent.wakes, 1, "it woke itself to run again next turn");
  assert.equal(sem.available, 1, "and took nothing meanwhile");
  permitOf(f.poll(new CountingWaker()));
});

test("a task waiting on a semaphore nobody will release is a deadlock, not a hang", () => {
  const sem = new Semaphore(0);
  assert.throws(
    () => new Executor().blockOn(sem.acquire()),
    (e: unknown) => e instanceof DeadlockError && e.code === "EDEADLK",
  );
  assert.equal(sem.waiting, 0, "the dropped main task left the queue");
});

test("bad counts are RangeErrors; more than MAX_SAFE_INTEGER permits is a RuntimeError", () => {
  for (const n of [-1, 1.5, NaN, Infinity]) assert.throws(() => new Semaphore(n), RangeError);
  const sem = new Semaphore(1);
  assert.throws(() => sem.acquireMany(-1), RangeError);
  assert.throws(() => sem.tryAcquire(0.5), RangeError);
  assert.throws(() => sem.addPermits(-2), RangeError);
  assert.throws(() => sem.addPermits(Number.MAX_SAFE_INTEGER), RuntimeError);
  assert.equal(sem.available, 1);
});

test("a finished acquire polled again is a RuntimeError", () => {
  const f = new Semaphore(1).acquire();
  permitOf(f.poll(new CountingWaker()));
  assert.throws(() => f.poll(new CountingWaker()), RuntimeError);
});
