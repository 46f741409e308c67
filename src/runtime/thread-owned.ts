/**
 * What each thread owns, recorded in shared memory so it can be reclaimed when the thread dies
 * without giving it back (`process.exit`, an uncaught error, `terminate()`, out of memory): its
 * I/O sources, which stay in the epoll set with their fds open until someone who knows them
 * deregisters and closes them, and the threads it started, which Node stops with it.
 *
 * Sources: one table for the process, indexed by token (tokens are unique across threads).
 *
 * | word        | written by                            | meaning                                    |
 * | ----------- | ------------------------------------- | ------------------------------------------ |
 * | `HIGH`      | {@link noteOwned} (compare-and-swap)  | one past the highest token ever noted      |
 * | `OWNER[t]`  | the owning thread; the reclaimer      | the owner's `threadId + 1`, 0 = nobody     |
 * | `FD[t]`     | the owning thread                     | the fd registered under `t`                |
 *
 * The protocol, for whoever registers sources (the `Registration`):
 * - after `register(source, interest, token)` succeeds: {@link noteOwned}`(token, fd)`;
 * - before deregistering and closing: {@link noteReleased}`(token)`. In that order, a thread that
 *   dies in between leaks one fd at worst; the other order could have its reclaimer close an fd
 *   number that already belongs to another socket.
 *
 * `OWNER[t]` is stored after `FD[t]`, so a reclaimer that sees the owner sees the fd.
 *
 * Threads: `MAX_THREADS` slots, one per thread started by `spawnThread` and not yet given back.
 *
 * | word        | written by                               | meaning                                 |
 * | ----------- | ---------------------------------------- | --------------------------------------- |
 * | `TAG[s]`    | the parent (claims with -1, then the id) | the thread's `threadId + 1`, 0 free     |
 * | `PARENT[s]` | the parent, while `TAG` is -1            | the parent's `threadId + 1`             |
 * | `PIDFD[s]`  | the thread (publishes), then whoever closes it (exchange) | fd + 1, 0 none |
 *
 * A thread's end implies its descendants' (Node stops and joins a worker's workers before the
 * worker's own thread exits), so whoever sees a thread gone reclaims its whole subtree, found
 * through `PARENT`. The pidfd is closed by whoever exchanges it out of its slot first: the
 * thread's parent, or the reclaimer of a dead ancestor.
 *
 * @module
 */
import { threadId } from "node:worker_threads";
import { RuntimeError } from "../errors.js";
import { MAX_TOKENS } from "./token-table.js";

/** Threads started by `spawnThread` that can be alive (or ended and not yet joined) at once. */
export const MAX_THREADS = 1024;

const HIGH = 0;
const TOKENS = 2;
const THREADS = TOKENS + 2 * MAX_TOKENS;
const TAG = 0;
const PARENT = 1;
const PIDFD = 2;
const SLOT_WORDS = 3;
/** What this thread writes as its own tag (Node's thread ids start at 0, the main thread's). */
const SELF = threadId + 1;

let table: Int32Array | null = null;
/** Tokens this thread has noted and not released: the exit handler skips the scan when 0. */
let owned = 0;

function words(): Int32Array {
  if (table === null) table = new Int32Array(new SharedArrayBuffer((THREADS + SLOT_WORDS * MAX_THREADS) * 4));
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
  const at = TOKENS + 2 * token;
  w[at + 1] = fd;
  Atomics.store(w, at, SELF);
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
  if (Atomics.load(w, TOKENS + 2 * token) !== SELF) return;
  Atomics.store(w, TOKENS + 2 * token, 0);
  owned--;
}

/** How many tokens this thread has noted and not released. */
export function ownedHere(): number {
  return owned;
}

/**
 * Takes every token that one of `threads` (Node `threadId`s) left noted, calling `each(token, fd)`
 * once for each (to deregister it, then close the fd). Only for threads that have ended, or the
 * calling thread itself in its `exit` handler.
 */
export function reclaimOwned(threads: readonly number[], each: (token: number, fd: number) => void): void {
  const w = words();
  const high = Atomics.load(w, HIGH);
  const tags = threads.map((t) => t + 1);
  for (let t = 0; t < high; t++) {
    const at = TOKENS + 2 * t;
    const owner = Atomics.load(w, at);
    if (owner === 0 || !tags.includes(owner)) continue;
    Atomics.store(w, at, 0);
    each(t, w[at + 1]!);
  }
  if (threads.includes(threadId)) owned = 0;
}

/** Claims a slot for a thread this thread is about to start; {@link nameThread} it once started. */
export function claimThreadSlot(): number {
  const w = words();
  for (let s = 0; s < MAX_THREADS; s++) {
    const at = THREADS + SLOT_WORDS * s;
    if (Atomics.compareExchange(w, at + TAG, 0, -1) === 0) {
      Atomics.store(w, at + PARENT, SELF);
      Atomics.store(w, at + PIDFD, 0);
      return s;
    }
  }
  throw new RuntimeError(`too many threads alive or not yet joined at once (the limit is ${MAX_THREADS})`);
}

/** Gives the slot the started thread's id. */
export function nameThread(slot: number, thread: number): void {
  Atomics.store(words(), THREADS + SLOT_WORDS * slot + TAG, thread + 1);
}

/** The thread in `slot` publishes its pidfd. */
export function notePidfd(slot: number, fd: number): void {
  Atomics.store(words(), THREADS + SLOT_WORDS * slot + PIDFD, fd + 1);
}

/** Takes the pidfd out of `slot` to close it: the fd, or -1 when there is none or it was taken. */
export function takePidfd(slot: number): number {
  return Atomics.exchange(words(), THREADS + SLOT_WORDS * slot + PIDFD, 0) - 1;
}

/** Frees `slot` (its pidfd taken first). */
export function freeThreadSlot(slot: number): void {
  Atomics.store(words(), THREADS + SLOT_WORDS * slot + TAG, 0);
}

/** Whether thread `thread` (a Node `threadId`) started threads that are not given back yet. */
export function hasChildren(thread: number): boolean {
  const w = words();
  for (let s = 0; s < MAX_THREADS; s++) {
    const at = THREADS + SLOT_WORDS * s;
    if (Atomics.load(w, at + TAG) !== 0 && Atomics.load(w, at + PARENT) === thread + 1) return true;
  }
  return false;
}

/**
 * Frees the slots of every descendant of thread `thread`, calling `each(id, pidfd)` for each (its
 * Node `threadId` and its pidfd, -1 if none or taken, to close). For a thread that has ended.
 */
export function reclaimDescendants(thread: number, each: (id: number, pidfd: number) => void): void {
  const w = words();
  const parents = [thread + 1];
  for (let i = 0; i < parents.length; i++) {
    for (let s = 0; s < MAX_THREADS; s++) {
      const at = THREADS + SLOT_WORDS * s;
      const tag = Atomics.load(w, at + TAG);
      if (tag === 0 || Atomics.load(w, at + PARENT) !== parents[i]) continue;
      const pidfd = takePidfd(s);
      Atomics.store(w, at + TAG, 0);
      if (tag > 0) {
        parents.push(tag);
        each(tag - 1, pidfd);
      } else if (pidfd >= 0) {
        each(-1, pidfd);
      }
    }
  }
}
