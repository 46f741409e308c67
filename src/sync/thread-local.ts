/**
 * One thread's side of a thread channel: the ends it holds, its entry in the shared table, the
 * futures of this thread that wait on the channel, and its watch on the other threads that hold
 * ends. One {@link LocalChannel} per channel per thread, found by the channel's id.
 *
 * Contract:
 * - The thread has an entry while it holds ends or has futures waiting; it gives the entry back
 *   when it has neither, and in its exit handler (it returned, threw, called `process.exit`, or
 *   an uncaught error ended it).
 * - Futures of this thread wait in FIFO lists, one per kind (`recv`, `send`, `closed()`). Only
 *   the first of each list waits on the shared memory (its waker exported, its ref in the entry);
 *   when it leaves, it wakes the next one, which takes its place.
 * - While a first waiter is about to park, every other thread that holds ends (the main thread
 *   aside, which cannot end before the process) is watched through a pidfd of its own in the
 *   reactor: a thread that ends without giving its entry back (`terminate()`, out of memory) wakes
 *   the watchers, and the first to see it reclaims its entry, which may end the channel (its last
 *   sender) or close it (its last receiver), and wakes every waiter. Watching needs thread pidfds
 *   (Linux 6.9); without them, a dead thread's entry is reclaimed when its parent learns of its
 *   end (`join()`, the next `spawnThread`, its exit event under `run`).
 *
 * @module
 */
import { threadId } from "node:worker_threads";
import { RuntimeError } from "../errors.js";
import { PENDING } from "../future/future.js";
import { Waker } from "../future/waker.js";
import { close, gettid, pidfdOpen, threadStartTime } from "../sys/index.js";
import { currentExecutor, type Executor } from "../runtime/executor.js";
import { Registration } from "../runtime/registration.js";
import { onThreadExit } from "../runtime/thread-transfer.js";
import { WaitList, Waiter } from "./wait-list.js";
import { decode, scratch } from "./thread-codec.js";
import { SharedChannel, isPending } from "./thread-ring.js";

/** This thread's tag in the entries: its `threadId + 1`. */
export const SELF = threadId + 1;
const MAIN = 1;

/** What `tryTake` gives when there is no record now. */
export const NONE: unique symbol = Symbol("none");
/** What `tryTake` gives once every sender is gone and the rings are empty. */
export const END: unique symbol = Symbol("end");

/** A waiting future of this thread: a list node that can hold an exported waker ref. */
export abstract class ChannelWaiter extends Waiter {
  /** @internal The exported ref of `refWaker`, or -1. */
  declare ref: number;
  declare refWaker: Waker | null;
  declare exporter: Executor | null;

  constructor() {
    super();
    this.ref = -1;
    this.refWaker = null;
    this.exporter = null;
  }
}

interface Watch {
  entry: number;
  tag: number;
  registration: Registration;
}

const DEAD = 0;
const NAMES = { source: "thread channel watch", read: "watch", write: "watch" };
/** False once pidfd_open has said this kernel cannot name threads. */
let watchable = true;
let me: { tid: number; start: number } | null = null;

/** This thread's kernel thread id and start time, for others to watch; tid 0 if unknown. */
function thisThread(): { tid: number; start: number } {
  if (me === null) {
    try {
      const tid = gettid();
      const start = threadStartTime(tid);
      me = start === null ? { tid: 0, start: 0 } : { tid, start: start | 0 };
    } catch {
      me = { tid: 0, start: 0 };
    }
  }
  return me;
}

/** A pidfd registration on thread `tid` if it is still the holder that started at `start`; DEAD if not; null if it cannot be watched. */
function openWatch(tid: number, start: number): Registration | typeof DEAD | null {
  let fd: number;
  try {
    fd = pidfdOpen(tid);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ESRCH") return DEAD;
    if (code === "EINVAL" || code === "ENOSYS") watchable = false;
    return null;
  }
  // The pidfd names whatever thread has this tid now; the start time says whether it is the
  // holder (alive when the pidfd was opened, so the pidfd is its) or a later thread given its tid.
  const now = threadStartTime(tid);
  if (now === null || (now | 0) !== start) {
    close(fd);
    return DEAD;
  }
  try {
    return new Registration(fd, NAMES);
  } catch {
    return null;
  }
}

const here = new Map<string, LocalChannel>();
onThreadExit(() => {
  for (const local of [...here.values()]) local.exit();
});

/** Wakes the first waiter of each list: a watched thread ended. */
class WatchWaker extends Waker {
  constructor(private readonly local: LocalChannel) {
    super();
  }
  override wake(): void {
    this.local.recvWaiters.first?.waker?.wake();
    this.local.sendWaiters.first?.waker?.wake();
    this.local.closedWaiters.first?.waker?.wake();
  }
}

export class LocalChannel {
  /** This thread's entry, or -1 while it needs none. */
  entry = -1;
  /** Ends of each side this thread holds. */
  senders = 0;
  receivers = 0;
  readonly recvWaiters = new WaitList<ChannelWaiter>();
  readonly sendWaiters = new WaitList<ChannelWaiter>();
  readonly closedWaiters = new WaitList<ChannelWaiter>();
  private watches: Watch[] = [];
  private watchVersion = -1;
  private readonly watchWaker = new WatchWaker(this);

  private constructor(readonly shared: SharedChannel) {}

  /** The thread's side of a new channel, holding one end of each side. */
  static create(shared: SharedChannel): LocalChannel {
    const local = new LocalChannel(shared);
    local.senders = local.receivers = 1;
    local.ensureEntry();
    return local;
  }

  /** This thread's side of `buffer`'s channel, taking over entry `e` (made for it by its parent). */
  static adopt(buffer: SharedArrayBuffer, e: number): LocalChannel {
    const shared = new SharedChannel(buffer);
    const local = here.get(shared.id) ?? new LocalChannel(shared);
    local.adoptEntry(e);
    return local;
  }

  private adoptEntry(e: number): void {
    const shared = this.shared;
    const tag = shared.tag(e);
    if (tag !== SELF && !(isPending(tag) && shared.retag(e, tag, SELF))) {
      throw new RuntimeError("threadChannel: the end moved into this thread was given back before the thread could take it");
    }
    const s = shared.senders(e);
    const r = shared.receivers(e);
    this.senders += s;
    this.receivers += r;
    if (this.entry < 0) {
      this.entry = e;
      this.publishThread();
      here.set(shared.id, this);
    } else {
      // A second end of the same channel: its counts join this thread's entry (first, so that
      // they never stop counting), and its entry is given back.
      shared.setCounts(this.entry, this.senders, this.receivers);
      shared.release(e, SELF);
    }
  }

  private publishThread(): void {
    if (SELF === MAIN) return;
    const { tid, start } = thisThread();
    if (tid !== 0) this.shared.setHolderThread(this.entry, tid, start);
  }

  /** Makes sure this thread has an entry (it holds ends, or a future is about to wait). */
  ensureEntry(): number {
    if (this.entry >= 0) return this.entry;
    const e = this.shared.claim(SELF, this.senders, this.receivers);
    if (e < 0) {
      throw new RuntimeError(
        `threadChannel: more than ${this.shared.maxThreads} threads hold ends of this channel (threadChannel(capacity, { threads }))`,
      );
    }
    this.entry = e;
    this.publishThread();
    here.set(this.shared.id, this);
    return e;
  }

  /** One more end of `side` here. */
  addEnd(side: "send" | "recv"): void {
    this.ensureEntry();
    if (side === "send") this.senders++;
    else this.receivers++;
    this.shared.setCounts(this.entry, this.senders, this.receivers);
  }

  /** One end of `side` closed here. */
  dropEnd(side: "send" | "recv"): void {
    if (side === "send") this.senders--;
    else this.receivers--;
    this.shared.setCounts(this.entry, this.senders, this.receivers);
    this.shared.endsDropped(side === "send" && this.senders === 0, side === "recv" && this.receivers === 0);
    this.maybeRelease();
  }

  /**
   * Moves one end of `side` out, to a thread about to be started: a new entry holds it (tagged
   * with this thread's pending tag) until the thread adopts it. Returns that entry. The end stays
   * counted here too until {@link moved} or {@link moveFailed}.
   */
  moveOut(side: "send" | "recv"): number {
    const e = this.shared.claim(-SELF, side === "send" ? 1 : 0, side === "recv" ? 1 : 0);
    if (e < 0) {
      throw new RuntimeError(
        `threadChannel: more than ${this.shared.maxThreads} threads hold ends of this channel (threadChannel(capacity, { threads }))`,
      );
    }
    return e;
  }

  /** The thread (`thread`, a Node `threadId`) of entry `e` started: the end is its now. */
  moved(side: "send" | "recv", e: number, thread: number): void {
    this.shared.retag(e, -SELF, thread + 1);
    this.dropEnd(side);
  }

  /** The thread could not be started: entry `e` is given back; the end stays here. */
  moveFailed(e: number): void {
    this.shared.release(e, -SELF);
  }

  /** Gives the entry back if nothing here needs it. */
  maybeRelease(): void {
    if (this.senders > 0 || this.receivers > 0 || this.entry < 0) return;
    if (this.recvWaiters.length > 0 || this.sendWaiters.length > 0 || this.closedWaiters.length > 0) return;
    this.releaseEntry();
  }

  private releaseEntry(): void {
    this.shared.release(this.entry, SELF);
    this.entry = -1;
    here.delete(this.shared.id);
    for (const w of this.watches) w.registration.close();
    this.watches = [];
    this.watchVersion = -1;
  }

  /** The thread is ending: its ends and waiters go with it. */
  exit(): void {
    if (this.entry >= 0) this.shared.release(this.entry, SELF);
    this.entry = -1;
    here.delete(this.shared.id);
  }

  /** Takes a record from any ring and decodes it; NONE if there is none now, END once there will be none. */
  tryTake(): unknown {
    const out = scratch();
    let n = this.shared.takeAny(out);
    if (n === 0) {
      if (!this.shared.txGone) return NONE;
      // The last sender may have published just before it went.
      n = this.shared.takeAny(out);
      if (n === 0) return END;
    }
    return decode(out, n);
  }

  /** Exports `waker` for waiter `w` (the first of its list), reusing its ref while the waker stays the same. */
  exportFor(w: ChannelWaiter, waker: Waker): number {
    const ex = currentExecutor();
    if (ex === null) throw new RuntimeError("a thread channel's send, recv and closed() wait inside an executor (blockOn, run, toPromise)");
    if (w.ref >= 0 && w.refWaker === waker && w.exporter === ex) return w.ref;
    this.releaseRef(w);
    w.ref = ex.exportWaker(waker);
    w.refWaker = waker;
    w.exporter = ex;
    return w.ref;
  }

  releaseRef(w: ChannelWaiter): void {
    if (w.ref < 0) return;
    w.exporter!.releaseWaker(w.ref);
    w.ref = -1;
    w.refWaker = null;
    w.exporter = null;
  }

  /**
   * Takes `w` off `list`; if it was the first, the next one takes its place (woken to look, and to
   * wait on the shared memory in its turn). Gives the entry back if nothing needs it any more.
   */
  leave(list: WaitList<ChannelWaiter>, w: ChannelWaiter): void {
    const first = list.first === w;
    list.remove(w);
    w.waker = null;
    this.releaseRef(w);
    if (first) list.first?.waker?.wake();
    if (this.recvWaiters.length === 0 && this.sendWaiters.length === 0 && this.closedWaiters.length === 0) {
      for (const x of this.watches) x.registration.releaseWakers();
      this.maybeRelease();
    }
  }

  /**
   * Before a first waiter parks: watches every other thread that holds ends, and reclaims the
   * entries of those that have ended (which may end or close the channel, and wakes everyone).
   */
  lookout(): void {
    if (!watchable) return;
    const v = this.shared.version;
    if (v !== this.watchVersion) this.refresh(v);
    for (let i = 0; i < this.watches.length; i++) {
      const w = this.watches[i]!;
      if (w.registration.pollReadReady(this.watchWaker) === PENDING) continue;
      this.watches.splice(i--, 1);
      w.registration.close();
      this.reclaim(w.entry, w.tag);
    }
  }

  private refresh(version: number): void {
    this.watchVersion = version;
    const shared = this.shared;
    const next: Watch[] = [];
    const high = shared.high;
    for (let e = 0; e < high && watchable; e++) {
      const tag = shared.tag(e);
      // Free, pending, busy and draining entries are not positive; the main thread ends last.
      if (tag <= MAIN || tag === SELF) continue;
      const kept = this.watches.find((w) => w.entry === e && w.tag === tag);
      if (kept !== undefined) {
        next.push(kept);
        continue;
      }
      const { tid, start } = shared.holderThread(e);
      if (tid === 0) continue;
      const r = openWatch(tid, start);
      if (r === DEAD) this.reclaim(e, tag);
      else if (r !== null) {
        if (shared.tag(e) === tag) next.push({ entry: e, tag, registration: r });
        else r.close();
      }
    }
    for (const w of this.watches) if (!next.includes(w)) w.registration.close();
    this.watches = next;
  }

  /** Entry `e`'s holder `tag` has ended: its entry is given back, and everyone looks again. */
  private reclaim(e: number, tag: number): void {
    if (this.shared.release(e, tag)) this.shared.wakeEveryone();
  }
}
