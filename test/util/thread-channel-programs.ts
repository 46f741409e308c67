/**
 * Exports that the thread channel tests run in threads (`spawnThread`). Each takes the channel
 * ends it was given (moved in through `transfer`) and ends the way its name says.
 *
 * Imports the runtime from `dist/src`, as the tests that start these threads do: one thread must
 * not load two copies of the runtime.
 */
import { coroutine, wait, sleep, spawnThread, type Future, type ThreadReceiver, type ThreadSender } from "../../src/index.js";
import { currentExecutor } from "../../src/runtime/executor.js";

/** Sends `base .. base + n - 1`, then closes the sender (the `using`). */
export function produce(tx: ThreadSender<number>, base: number, n: number): Future<void> {
  return coroutine(function* () {
    using out = tx;
    for (let i = 0; i < n; i++) yield* wait(out.send(base + i));
  });
}

/** What {@link consume} returns. */
export interface Consumed {
  count: number;
  /** Every value from one producer (`value / perProducer`) came after the ones before it. */
  inOrder: boolean;
  /** How many times this thread's executor parked in `Atomics.wait`. */
  parks: number;
}

/**
 * Receives until the channel ends, counting each value in `seen[value]` (Int32, shared), and
 * checking that each producer's values come in the order they were sent.
 */
export function consume(rx: ThreadReceiver<number>, seen: SharedArrayBuffer, perProducer: number, producers: number): Future<Consumed> {
  return coroutine(function* () {
    using input = rx;
    const counts = new Int32Array(seen);
    const last = new Array<number>(producers).fill(-1);
    let inOrder = true;
    let count = 0;
    let v;
    while ((v = yield* wait(input.recv())) !== undefined) {
      Atomics.add(counts, v, 1);
      const p = Math.floor(v / perProducer);
      if (v <= last[p]!) inOrder = false;
      last[p] = v;
      count++;
    }
    return { count, inOrder, parks: currentExecutor()!.parks };
  });
}

/** Receives until the channel ends; returns the values. */
export function collect(rx: ThreadReceiver<unknown>): Future<unknown[]> {
  return coroutine(function* () {
    using input = rx;
    const out: unknown[] = [];
    let v;
    while ((v = yield* wait(input.recv())) !== undefined) out.push(v);
    return out;
  });
}

/** Sends `0 .. n - 1`, then runs forever holding the sender (until terminated). */
export function sendThenSpin(tx: ThreadSender<number>, n: number): Future<void> {
  return coroutine(function* () {
    for (let i = 0; i < n; i++) yield* wait(tx.send(i));
    for (;;) {
      // Holds the sender; only terminate() ends this.
    }
  });
}

/** Sends `0 .. n - 1`, then allocates until the thread's `resourceLimits` stop it. */
export function sendThenExhaustMemory(tx: ThreadSender<number>, n: number): Future<void> {
  return coroutine(function* () {
    for (let i = 0; i < n; i++) yield* wait(tx.send(i));
    const hoard: number[][] = [];
    for (;;) {
      for (let i = 0; i < 100; i++) hoard.push(new Array<number>(10_000).fill(hoard.length));
      yield* wait(sleep(0));
    }
  });
}

/** Sends `0 .. n - 1`, then `process.exit(code)` with the sender still open. */
export function sendThenExit(tx: ThreadSender<number>, n: number, code: number): Future<void> {
  return coroutine(function* () {
    for (let i = 0; i < n; i++) yield* wait(tx.send(i));
    process.exit(code);
  });
}

/** Sends `0 .. n - 1`, then throws with the sender still open. */
export function sendThenThrow(tx: ThreadSender<number>, n: number): Future<void> {
  return coroutine(function* () {
    for (let i = 0; i < n; i++) yield* wait(tx.send(i));
    throw new Error("the producer failed");
  });
}

/** Sends `0 .. n - 1` and returns without closing the sender; a timer then throws in the thread's event loop. */
export function sendThenUncaught(tx: ThreadSender<number>, n: number): Future<void> {
  return coroutine(function* () {
    for (let i = 0; i < n; i++) yield* wait(tx.send(i));
    setTimeout(() => {
      throw new RangeError("thrown from a timer, the sender still held");
    }, 5);
  });
}

/** Sends `0 .. n - 1` and returns, the sender left open: the thread's end closes it. */
export function sendThenReturn(tx: ThreadSender<number>, n: number): Future<void> {
  return coroutine(function* () {
    for (let i = 0; i < n; i++) yield* wait(tx.send(i));
  });
}

/** Receives one value, then runs forever holding the receiver (until terminated). */
export function recvOneThenSpin(rx: ThreadReceiver<number>): Future<void> {
  return coroutine(function* () {
    yield* wait(rx.recv());
    for (;;) {
      // Holds the receiver; only terminate() ends this.
    }
  });
}

/** Receives one value, then allocates until the thread's `resourceLimits` stop it. */
export function recvOneThenExhaustMemory(rx: ThreadReceiver<number>): Future<void> {
  return coroutine(function* () {
    yield* wait(rx.recv());
    const hoard: number[][] = [];
    for (;;) {
      for (let i = 0; i < 100; i++) hoard.push(new Array<number>(10_000).fill(hoard.length));
      yield* wait(sleep(0));
    }
  });
}

/** Sends until a send fails; returns how many went and the error's code. */
export function sendUntilClosed(tx: ThreadSender<number>): Future<{ sent: number; code: string }> {
  return coroutine(function* () {
    let sent = 0;
    try {
      for (;;) {
        yield* wait(tx.send(sent));
        sent++;
      }
    } catch (e) {
      return { sent, code: (e as { code?: string }).code ?? String(e) };
    }
  });
}

/** Receives one value and returns it (the receiver closes with the thread). */
export function recvOne(rx: ThreadReceiver<unknown>): Future<unknown> {
  return coroutine(function* () {
    return yield* wait(rx.recv());
  });
}

/** As {@link recvOne}, with the receiver found inside an argument (`transfer` finds it there). */
export function recvOneNested(holder: { nested: [ThreadReceiver<unknown>] }): Future<unknown> {
  return recvOne(holder.nested[0]);
}

/** Echoes: receives from `rx` and sends each value back on `tx` until `rx` ends. */
export function echo(rx: ThreadReceiver<unknown>, tx: ThreadSender<unknown>): Future<number> {
  return coroutine(function* () {
    using input = rx;
    using output = tx;
    let n = 0;
    let v;
    while ((v = yield* wait(input.recv())) !== undefined) {
      yield* wait(output.send(v));
      n++;
    }
    return n;
  });
}

/** Two senders of one channel moved into this thread: sends `a` on the first, `b` on the second, closes both. */
export function sendOnBoth(first: ThreadSender<string>, second: ThreadSender<string>, a: string, b: string): Future<void> {
  return coroutine(function* () {
    using x = first;
    using y = second;
    yield* wait(x.send(a));
    yield* wait(y.send(b));
  });
}

/** Moves the sender on into a thread of its own (which runs {@link produce}) and joins it. */
export function forward(tx: ThreadSender<number>, base: number, n: number): Future<void> {
  return coroutine(function* () {
    const inner = spawnThread({ name: "grandchild", module: import.meta.url, export: "produce", args: [tx, base, n], transfer: [tx] });
    yield* wait(inner.join());
  });
}
