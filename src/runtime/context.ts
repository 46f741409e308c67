/**
 * Which executor is polling on this thread right now (the book's thread-local `CURRENT_EXEC`).
 * Set only while an executor runs tasks synchronously, so code in a Node callback (outside any poll)
 * sees none. Each thread has its own module instance, hence its own `current`.
 *
 * @module
 */
import "./one-copy.js";
import { RuntimeError } from "../errors.js";
import type { Executor, IoDriver } from "./executor.js";

let current: Executor | null = null;

/** The executor polling on this thread, or null. */
export function currentExecutor(): Executor | null {
  return current;
}

/** The executor polling on this thread; throws a clear error naming `what` when there is none. */
export function requireExecutor(what: string): Executor {
  if (current === null) {
    throw new RuntimeError(`${what} needs a running executor: call it from inside a task driven by executor.blockOn() or executor.run()`);
  }
  return current;
}

/** @internal Swaps the current executor; returns the previous one. */
export function setCurrentExecutor(e: Executor | null): Executor | null {
  const prev = current;
  current = e;
  return prev;
}

let defaultDriver: IoDriver | null = null;

/** @internal The I/O driver every executor on this thread waits on (the inline reactor), or null. */
export function getDefaultDriver(): IoDriver | null {
  return defaultDriver;
}

/** @internal Set by `init({ reactor: "inline" })`. */
export function setDefaultDriver(d: IoDriver | null): void {
  defaultDriver = d;
}
