/**
 * Exports that fault in the threads `thread-fault-child` starts: each first registers an eventfd
 * with the reactor through the public facade (its `Registration` notes it as owned by the thread),
 * tagging the fd with a counter value the parent can recognise, then raises `go` and ends the way
 * its name says.
 *
 * Imports the runtime from `dist/src`, as the child does: one thread must not load two copies of
 * the runtime.
 *
 * `shared` (Int32): [0] go (1 once set up), [1] the eventfd's number.
 */
import { coroutine, wait, sleep, reactor, spawnThread, Interest, type Future } from "../../src/index.js";
import { eventfd, eventfdWrite } from "../../src/sys/index.js";

/** The counter value that marks the eventfd a faulting thread leaves registered. */
export const TAG = 0x5eed1234;

function setUp(shared: SharedArrayBuffer): void {
  const words = new Int32Array(shared);
  const fd = eventfd();
  eventfdWrite(fd, TAG);
  const r = reactor();
  const token = r.nextId();
  r.register({ fd }, Interest.READABLE, token);
  Atomics.store(words, 1, fd);
  Atomics.store(words, 0, 1);
}

/** `process.exit(3)` from inside a task. */
export function exits(shared: SharedArrayBuffer): Future<void> {
  setUp(shared);
  return coroutine(function* () {
    yield* wait(sleep(10));
    process.exit(3);
  });
}

/** Allocates until the thread's `resourceLimits` stop it. */
export function exhaustsMemory(shared: SharedArrayBuffer): Future<void> {
  setUp(shared);
  return coroutine(function* () {
    const hoard: number[][] = [];
    for (;;) {
      for (let i = 0; i < 100; i++) hoard.push(new Array<number>(10_000).fill(hoard.length));
      yield* wait(sleep(0));
    }
  });
}

/** Returns 42, and 20 ms later a timer callback throws in the thread's event loop. */
export function throwsLater(shared: SharedArrayBuffer): Future<number> {
  setUp(shared);
  setTimeout(() => {
    throw new RangeError("thrown from a timer after the export returned");
  }, 20);
  return coroutine(function* () {
    yield* wait(sleep(1));
    return 42;
  });
}

/** Parks in its own blockOn for a minute (until terminated). */
export function parks(shared: SharedArrayBuffer): Future<void> {
  setUp(shared);
  return sleep(60_000);
}

/** Never returns: a synchronous `for (;;) {}` (until terminated). */
export function runsAway(shared: SharedArrayBuffer): Future<void> {
  setUp(shared);
  for (;;) {
    // spin
  }
}

/** Returns `value` after a short sleep (the warm-up thread). */
export function echo<T>(value: T): Future<T> {
  return coroutine(function* () {
    yield* wait(sleep(1));
    return value;
  });
}

/**
 * Starts an inner thread running `parks(shared)` (which sets `go` and leaves its eventfd
 * registered), waits for it, then ends as `how` says: "park" (until terminated) or "exit"
 * (`process.exit(4)`). Node stops the inner thread with this one.
 */
export function startsInner(shared: SharedArrayBuffer, how: "park" | "exit"): Future<void> {
  const words = new Int32Array(shared);
  return coroutine(function* () {
    spawnThread({ name: "inner", module: import.meta.url, export: "parks", args: [shared] });
    while (Atomics.load(words, 0) === 0) yield* wait(sleep(5));
    if (how === "exit") process.exit(4);
    yield* wait(sleep(60_000));
  });
}
