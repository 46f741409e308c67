/**
 * The thread's default executor: where `toPromise(f)` runs `f` when it is called outside any
 * executor (plain async code). One per thread, driven with `run` while it has tasks: each
 * `toPromise` spawns a task on it and its promise settles when that task ends, not when every task
 * has. Any number of `toPromise` calls at once cost one executor (one wake-hub slot, one park).
 *
 * Its main task does nothing, so a run lasts exactly as long as tasks remain; the next
 * `toPromise` after that starts a new run. A run's own outcome reaches nobody directly: each caller
 * learns its task's outcome through the task's handle, a deadlock included (the executor ends the
 * tasks it gives up on with its `DeadlockError`).
 *
 * @module
 */
import { ready } from "../future/ready.js";
import { Executor } from "./executor.js";

let executor: Executor | null = null;

/** This thread's default executor (made on first use). */
export function defaultExecutor(): Executor {
  return (executor ??= new Executor({ name: "default" }));
}

/** Starts driving the default executor with `run`, unless it is running already. */
export function driveDefaultExecutor(): void {
  const ex = defaultExecutor();
  if (!ex.running) ex.run(ready(undefined)).catch(ignore);
}

function ignore(): void {}
