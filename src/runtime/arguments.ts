/**
 * Checks on what callers pass to the runtime's entry points: a value of the wrong kind gets a
 * `RuntimeError` (code `ERR_RUNTIME`) that names the entry point and shows the value, at the call,
 * instead of a `TypeError` from deep inside a later poll.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";

/** Throws a clear error when `value` is not a future (an object with a `poll` method). */
export function checkFuture(what: string, value: unknown): void {
  if (typeof (value as { poll?: unknown } | null | undefined)?.poll !== "function") {
    throw new RuntimeError(`${what}: expected a Future (an object with a poll(waker) method), got ${describeValue(value)}`);
  }
}

/** A bad argument as an error message shows it: `42`, `"5"`, `null`, `an object`, `a function f`. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
    case "boolean":
    case "bigint":
    case "undefined":
      return String(value);
    case "symbol":
      return value.toString();
    case "function":
      return value.name.length > 0 ? `a function ${value.name}` : "a function";
    default:
      return value === null ? "null" : "an object";
  }
}
