/**
 * What each thread owns in the reactor, recorded in shared memory so it can be reclaimed when the
 * thread dies without dropping its tasks (`process.exit`, an uncaught error, `terminate()`, out of
 * memory): a thread's sources stay in the epoll set and its fds stay open until someone who
 * knows them deregisters and closes them.
 *
 * One table for the process, indexed by token (tokens are unique across threads):
 *
 * | word        | written by                          | meaning                                      |
 * | ----------- | ----------------------------------- | -------------------------------------------- |
 * | `HIGH`      | {@link noteOwned} (compare-and-swap) | one past the highest token ever noted        |
 * | `OWNER[t]`  | the owning thread; the reclaimer    | the owner's `threadId + 1`, 0 = nobody       |
 * | `FD[t]`     | the owning thread                   | the fd registered under `t`                  |
 *
 * The protocol, for whoever registers sources (the `Registration`):
 * - after `register(source, interest, token)` succeeds: {@link noteOwned}`(token, fd)`;
 * - before deregistering and closing: {@link noteReleased}`(token)`. In that order, a thread that
 *   dies in between leaks one fd at worst; the other order could have its reclaimer close an fd
 *   number that already belongs to another socket.
 *
 * `OWNER[t]` is stored after `FD[t]`, so a reclaimer that sees the owner sees the fd.
 *
 * @module
 */
import { threadId } from "node:worker_threads";
import { MAX_TOKENS } from "./token-table.js";

const HIGH = 0;
const TABLE = 2;
/** What this thread writes in `OWNER` words (Node's thread ids start at 0, the main thread's). */
const OWNER = threadId + 1;

let table: Int32Array | null = null;
/** Tokens this thread has noted and not released: the exit handler skips the scan when 0. */
let owned = 0;

function words(): Int32Array {
  if (table === null) table = new Int32Array(new SharedArrayBuffer((TABLE + 2 * MAX_TOKENS) * 4));
  return table;
}

/** The process's ownership table, created on first use; hand it to threads with {@link attachOwnership}. */
export function ownershipBuffer(): SharedArrayBuffer {
  return words().buffer as SharedArrayBuffer;
}

/** Adopts the table of the thread that started this one (called once at a thread's start). */
export function attachOwnership(buffer: SharedArrayBuffer): void {
  table = new Int32Array(buffer);
}

/** Records that this thread registered `fd` under `token`. */
export function noteOwned(token: number, fd: number): void {
  const w = words();
  const at = TABLE + 2 * token;
  w[at + 1] = fd;
  Atomics.store(w, at, OWNER);
  owned++;
  let high = Atomics.load(w, HIGH);
  while (token >= high) {
    const seen = Atomics.compareExchange(w, HIGH, high, token + 1);
    if (seen === high) break;
    high = seen;
  }
}

/** Records that this thread is about to deregister `token` and close its fd. */
export function noteReleased(token: number): void {
  const w = words();
  if (Atomics.load(w, TABLE + 2 * token) !== OWNER) return;
  Atomics.store(w, TABLE + 2 * token, 0);
  owned--;
}

/** How many tokens this thread has noted and not released. */
export function ownedHere(): number {
  return owned;
}

/**
 * Takes every token the thread whose Node `threadId` is `thread` left noted, calling
 * `each(token, fd)` once for each (to deregister it, then close the fd); returns how many. Only for
 * a thread that has ended, or the calling thread itself in its `exit` handler.
 */
export function reclaimOwned(thread: number, each: (token: number, fd: number) => void): number {
  const w = words();
  const high = Atomics.load(w, HIGH);
  let n = 0;
  for (let t = 0; t < high; t++) {
    const at = TABLE + 2 * t;
    if (Atomics.load(w, at) !== thread + 1) continue;
    Atomics.store(w, at, 0);
    n++;
    each(t, w[at + 1]!);
  }
  if (thread === threadId) owned = 0;
  return n;
}
