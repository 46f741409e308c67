/**
 * Exports that the thread tests run with `spawnThread` (a thread imports a module and calls one
 * of its exports).
 */
import {
  coroutine,
  wait,
  spawn,
  joinAll,
  sleep,
  yieldNow,
  Http,
  spawnThread,
  exportWaker,
  releaseWaker,
  wakeRef,
  IoError,
  PENDING,
  type Future,
  type Poll,
  type Waker,
} from "reactor-executor";

/** Sleeps, then writes `value` into `out[index]`. */
export function writeAfter(out: SharedArrayBuffer, index: number, value: number, ms: number): Future<void> {
  return coroutine(function* () {
    yield* wait(sleep(ms));
    Atomics.store(new Int32Array(out), index, value);
  });
}

/** Fails the way an I/O error would. */
export function failing(message: string): Future<void> {
  return coroutine(function* () {
    yield* wait(sleep(5));
    throw new IoError("ECONNRESET", 104, "read", message);
  });
}

/** Starts a thread from inside this thread and joins it. */
export function nested(out: SharedArrayBuffer): Future<void> {
  return coroutine(function* () {
    const h = spawnThread("inner", import.meta.url, "writeAfter", out, 1, 42, 5);
    yield* wait(h.join());
    Atomics.store(new Int32Array(out), 0, 7);
  });
}

/** `concurrent` GETs `/0/t{thread}-{i}` on `port`, every body checked; resolves when all are done. */
export function fetchMany(port: number, thread: number, concurrent: number): Future<void> {
  return coroutine(function* () {
    const bodies = yield* wait(
      joinAll(Array.from({ length: concurrent }, (_, i) => Http.request({ url: `http://127.0.0.1:${port}/0/t${thread}-${i}` }))),
    );
    bodies.forEach((res, i) => {
      if (res.status !== 200 || res.text() !== `t${thread}-${i}`)
        throw new Error(`thread ${thread} request ${i}: ${res.status} ${res.text()}`);
    });
  });
}

/**
 * One node of the cross-thread wake ring. Thread `me` runs `tasks` tasks that each wait for
 * `rounds` wakes; a driver task wakes the tasks of thread `(me + 1) % threads`, `rounds` times
 * each. Layout of `shared` (Int32): [published count, then per thread per task: ref, sent].
 */
export function wakeRing(shared: SharedArrayBuffer, me: number, threads: number, tasks: number, rounds: number): Future<void> {
  const words = new Int32Array(shared);
  const at = (thread: number, task: number) => 1 + 2 * (thread * tasks + task);
  class Wakee implements Future<number> {
    private ref = -1;
    polls = 0;
    constructor(private readonly j: number) {}
    poll(waker: Waker): Poll<number> {
      this.polls++;
      if (this.ref < 0) {
        this.ref = exportWaker(waker);
        Atomics.store(words, at(me, this.j), this.ref);
        Atomics.add(words, 0, 1);
      }
      if (Atomics.load(words, at(me, this.j) + 1) === rounds) {
        releaseWaker(this.ref);
        if (this.polls > rounds + 1) throw new Error(`task ${me}/${this.j} polled ${this.polls} times for ${rounds} wakes`);
        return this.polls;
      }
      return PENDING;
    }
  }
  return coroutine(function* () {
    const wakees = Array.from({ length: tasks }, (_, j) => spawn(new Wakee(j)));
    const target = (me + 1) % threads;
    // Wait until every thread has published its refs.
    while (Atomics.load(words, 0) < threads * tasks) yield* wait(sleep(1));
    for (let r = 0; r < rounds; r++) {
      for (let j = 0; j < tasks; j++) {
        Atomics.add(words, at(target, j) + 1, 1);
        wakeRef(Atomics.load(words, at(target, j)));
      }
      if (r % 64 === 0) yield* wait(yieldNow());
    }
    yield* wait(joinAll(wakees));
  });
}

/** Returns a value of many structured-clone kinds after a sleep. */
export function richResult(
  label: string,
): Future<{ label: string; map: Map<string, number>; date: Date; bytes: Uint8Array; nested: { n: bigint }[] }> {
  return coroutine(function* () {
    yield* wait(sleep(5));
    return { label, map: new Map([["a", 1]]), date: new Date(86_400_000), bytes: Uint8Array.of(1, 2, 3), nested: [{ n: 2n ** 70n }] };
  });
}

/** Returns `n` bytes, each `i & 255`. */
export function bigResult(n: number): Future<Uint8Array> {
  return coroutine(function* () {
    yield* wait(sleep(1));
    return Uint8Array.from({ length: n }, (_, i) => i & 255);
  });
}

/** Returns a function, which no thread can receive. */
export function unclonableResult(): Future<() => void> {
  return coroutine(function* () {
    yield* wait(sleep(1));
    return () => {};
  });
}

/** Sums the bytes of a buffer moved into the thread; returns [sum, its byteLength here]. */
export function sumBytes(buffer: ArrayBuffer): Future<[number, number]> {
  return coroutine(function* () {
    yield* wait(sleep(1));
    return [new Uint8Array(buffer).reduce((a, b) => a + b, 0), buffer.byteLength];
  });
}

/** Returns "returned" at once; a timer `ms` later writes 1 into `out[0]`, so the thread ends after it. */
export function returnsBeforeTimer(out: SharedArrayBuffer, ms: number): Future<string> {
  setTimeout(() => Atomics.store(new Int32Array(out), 0, 1), ms);
  return coroutine(function* () {
    yield* wait(sleep(1));
    return "returned";
  });
}

/** What the thread sees of the process's Node flags: its execArgv and whether `gc` is exposed. */
export function flagsSeen(): Future<{ execArgv: string[]; gc: string }> {
  return coroutine(function* () {
    yield* wait(sleep(1));
    return { execArgv: process.execArgv, gc: typeof (globalThis as { gc?: unknown }).gc };
  });
}
