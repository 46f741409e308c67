/**
 * Parking an executor's thread until a waker unparks it: the book's `thread::park`, on the
 * three-state park word of the wake hub (EMPTY / PARKED / NOTIFIED, as tokio's `park.rs`).
 *
 * - `park` blocks the thread in `Atomics.wait` (used by `blockOn`: nothing else runs meanwhile).
 * - `parkAsync` waits with `Atomics.waitAsync`, so Node's event loop keeps running (used by `run`).
 *
 * A notification that arrives before the owner parks is kept in the word (NOTIFIED) and makes the
 * next park return at once: a wake racing with parking is never lost. Spurious returns are allowed;
 * the executor re-checks its queues after every return.
 *
 * @module
 */
import { EMPTY, NOTIFIED, PARKED, parkWord } from "./wake-hub.js";

/** Blocks until unparked or `timeoutMs` elapses (`Infinity` = no timeout). */
export function park(index: number, timeoutMs: number): void {
  const { words, at } = parkWord(index);
  if (Atomics.compareExchange(words, at, EMPTY, PARKED) === NOTIFIED) {
    Atomics.store(words, at, EMPTY);
    return;
  }
  Atomics.wait(words, at, PARKED, timeoutMs);
  // Whatever woke us (notify, timeout, spurious), the notification is consumed here: the executor
  // looks at its inbox and timers next, which is what the notification asked for.
  Atomics.store(words, at, EMPTY);
}

/** As {@link park}, without blocking the thread: resolves when unparked or after `timeoutMs`. */
export function parkAsync(index: number, timeoutMs: number): Promise<void> | undefined {
  const { words, at } = parkWord(index);
  if (Atomics.compareExchange(words, at, EMPTY, PARKED) === NOTIFIED) {
    Atomics.store(words, at, EMPTY);
    return undefined;
  }
  const r = Atomics.waitAsync(words, at, PARKED, timeoutMs);
  if (!r.async) {
    Atomics.store(words, at, EMPTY);
    return undefined;
  }
  return r.value.then(() => {
    Atomics.store(words, at, EMPTY);
  });
}
