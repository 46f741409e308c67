/**
 * Moving runtime objects into a thread: how `spawnThread`'s `transfer` carries objects that no
 * `postMessage` can (a thread channel's ends), and how what such an object holds is given back
 * when the thread that held it ends. The objects themselves live in layers above this one; they
 * plug in through {@link TRANSFER} and {@link registerTransferKind}.
 *
 * The protocol, in the parent (`spawnThread`):
 * 1. Each object of `transfer` that has a `[TRANSFER]()` method is asked for a {@link Transfer}
 *    (the object is moved out of this thread at that point), and replaced in `args` by a marker.
 * 2. The worker starts with the transfers' `{ kind, module, data }`; `moved(threadId)` is called
 *    once it exists, `failed()` if it could not be started (the object is usable here again).
 * 3. When the thread is known to have ended (joined, swept, its exit event), `reclaim(threads)` is
 *    called with its id and its descendants': what they still held is given back.
 *
 * In the thread (`thread-entry`): each transfer's `module` is imported (it registers its kind),
 * the kind's `revive(data)` rebuilds the object, and the markers in `args` are replaced before the
 * export is called. A thread's exit handler runs the {@link onThreadExit} hooks, so objects a thread
 * holds when it ends normally (returns, throws, `process.exit`, an uncaught error) are given back
 * by the thread itself; `terminate()` and out of memory run no handler, which is what step 3 and
 * the objects' own watches are for.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";

/** The method a transferable object implements: `obj[TRANSFER]()` moves it out of this thread. */
export const TRANSFER = Symbol.for("reactor-executor.transfer");

/** An object `spawnThread` can move into a thread through `transfer` (a thread channel's end). */
export interface ThreadTransferable {
  [TRANSFER](): Transfer;
}

/** One object on its way into a thread (see the module doc). */
export interface Transfer {
  /** The name its module registered with {@link registerTransferKind}. */
  readonly kind: string;
  /** The URL of the module that registers the kind (imported by the thread first). */
  readonly module: string;
  /** What the thread needs to rebuild it; structured-cloned (SharedArrayBuffers are shared). */
  readonly data: unknown;
  /** The thread (a Node `threadId`) was started: it holds the object now. */
  moved(thread: number): void;
  /** The thread could not be started: the object stays here. */
  failed(): void;
  /** `threads` (Node `threadId`s) have ended: give back what they still held of the object. */
  reclaim(threads: readonly number[]): void;
}

/** What crosses into the thread for one transfer. */
export interface TransferRecord {
  kind: string;
  module: string;
  data: unknown;
}

const MARK = "reactor-executor.transferred";
const kinds = new Map<string, (data: unknown) => object>();
const exitHooks: (() => void)[] = [];

/** Registers how a thread rebuilds objects of `kind` (called by the module that defines them). */
export function registerTransferKind(kind: string, revive: (data: unknown) => object): void {
  kinds.set(kind, revive);
}

/** Runs `hook` in this thread's exit handler (a thread started by `spawnThread`). */
export function onThreadExit(hook: () => void): void {
  exitHooks.push(hook);
}

/** @internal Runs the exit hooks; one that throws does not stop the others. */
export function runThreadExitHooks(): void {
  for (const hook of exitHooks) {
    try {
      hook();
    } catch {
      // The thread is ending: nobody is left to report to, and the other hooks must still run.
    }
  }
}

/** True when `x` is an object with a `[TRANSFER]()` method. */
export function isTransferable(x: unknown): x is ThreadTransferable {
  return typeof x === "object" && x !== null && typeof (x as Partial<ThreadTransferable>)[TRANSFER] === "function";
}

/**
 * Prepares `args` and `transfer` for a new thread: the transferable objects are moved out (their
 * {@link Transfer}s returned), replaced by markers in a copy of `args` (arrays and plain objects
 * are walked; the others are left for the structured clone), and left out of the native transfer
 * list. A transferable object in `args` but not in `transfer` is refused: it cannot be copied.
 */
export function prepareTransfers(
  args: readonly unknown[],
  transfer: readonly unknown[],
): { args: unknown[]; transfers: Transfer[]; records: TransferRecord[]; native: unknown[] } {
  const index = new Map<object, number>();
  const native: unknown[] = [];
  for (const x of transfer) {
    if (isTransferable(x)) {
      if (!index.has(x)) index.set(x, index.size);
    } else native.push(x);
  }
  const out = replace(args, index, new Map()) as unknown[];
  const transfers: Transfer[] = [];
  try {
    for (const x of index.keys()) transfers.push((x as ThreadTransferable)[TRANSFER]());
  } catch (e) {
    for (const t of transfers) t.failed();
    throw e;
  }
  const records = transfers.map((t) => ({ kind: t.kind, module: t.module, data: t.data }));
  return { args: out, transfers, records, native };
}

function replace(v: unknown, index: Map<object, number>, copies: Map<object, unknown>): unknown {
  if (typeof v !== "object" || v === null) return v;
  const i = index.get(v);
  if (i !== undefined) return { [MARK]: i };
  if (isTransferable(v)) {
    throw new TypeError(
      "spawnThread: an argument can only be moved into the thread, not copied: list it in `transfer` too " +
        "(spawnThread({ ..., args: [tx], transfer: [tx] }))",
    );
  }
  const done = copies.get(v);
  if (done !== undefined) return done;
  if (Array.isArray(v)) {
    const a: unknown[] = [];
    copies.set(v, a);
    for (let k = 0; k < v.length; k++) a[k] = replace(v[k], index, copies);
    return a;
  }
  const proto = Object.getPrototypeOf(v) as object | null;
  if (proto !== Object.prototype && proto !== null) return v;
  const o: Record<string, unknown> = {};
  copies.set(v, o);
  for (const k of Object.keys(v)) o[k] = replace((v as Record<string, unknown>)[k], index, copies);
  return o;
}

/**
 * In the new thread: imports each transfer's module, rebuilds its object, and puts the objects
 * where `args` holds their markers.
 */
export async function reviveTransfers(args: unknown[], records: readonly TransferRecord[]): Promise<unknown[]> {
  if (records.length === 0) return args;
  const objects: object[] = [];
  for (const r of records) {
    if (!kinds.has(r.kind)) await import(r.module);
    const revive = kinds.get(r.kind);
    if (revive === undefined) throw new RuntimeError(`spawnThread: ${r.module} did not register how to rebuild a ${r.kind}`);
    objects.push(revive(r.data));
  }
  return restore(args, objects, new Set()) as unknown[];
}

function restore(v: unknown, objects: readonly object[], seen: Set<object>): unknown {
  if (typeof v !== "object" || v === null || seen.has(v)) return v;
  const mark = (v as Record<string, unknown>)[MARK];
  if (typeof mark === "number" && Object.keys(v).length === 1) return objects[mark];
  seen.add(v);
  if (Array.isArray(v)) {
    for (let k = 0; k < v.length; k++) v[k] = restore(v[k], objects, seen);
  } else {
    const proto = Object.getPrototypeOf(v) as object | null;
    if (proto === Object.prototype || proto === null) {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) o[k] = restore(o[k], objects, seen);
    }
  }
  return v;
}
