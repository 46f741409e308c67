/**
 * The futures of a thread channel: `send`, `recv` and `closed()`. Each first looks without
 * waiting; if it must wait, it joins its thread's FIFO list of its kind (`thread-local.ts`), and
 * the first of the list waits on the shared memory (`thread-ring.ts`).
 *
 * Contract (the in-thread channel's, across threads):
 * - Cancellation-safe: a `send` dropped before it completed has sent nothing; a `recv` dropped
 *   before it completed has taken nothing, and a wake that was meant for it goes to another
 *   receiver (of this thread: the next in line looks by itself; of another thread: woken here).
 * - A `send` copies its value (the structured clone of `thread-codec.ts`) at its first poll.
 *
 * @module
 */
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import { ClosedError } from "./closed-error.js";
import { encode, scratch } from "./thread-codec.js";
import { ChannelWaiter, END, NONE, type LocalChannel } from "./thread-local.js";

const INIT = 0;
const WAITING = 1;
const DONE = 2;

function closedError(): ClosedError {
  return new ClosedError("send on a channel whose receivers are all closed");
}

/** `Receiver.recv()` of a thread channel. */
export class ThreadRecv<T> extends ChannelWaiter implements Future<T | undefined> {
  declare private state: number;
  declare private readonly local: LocalChannel;

  constructor(local: LocalChannel) {
    super();
    this.state = INIT;
    this.local = local;
  }

  poll(waker: Waker): Poll<T | undefined> {
    const local = this.local;
    if (this.state === INIT) {
      if (!waker.consumeBudget()) {
        waker.wake();
        return PENDING;
      }
      if (local.recvWaiters.length === 0) {
        const v = local.tryTake();
        if (v !== NONE) {
          this.state = DONE;
          return v === END ? undefined : (v as T);
        }
      }
      local.ensureEntry();
      local.recvWaiters.push(this, waker);
      this.state = WAITING;
    } else if (this.state === WAITING) {
      this.waker = waker;
    } else {
      pollAfterReady("Receiver.recv()");
    }
    if (local.recvWaiters.first !== this) return PENDING;
    let v: unknown;
    try {
      local.lookout();
      v = local.tryTake();
      if (v === NONE) {
        local.shared.setRecvRef(local.entry, local.exportFor(this, waker));
        v = local.tryTake();
        if (v === NONE) return PENDING;
      }
    } catch (e) {
      this.finish();
      throw e;
    }
    this.finish();
    return v === END ? undefined : (v as T);
  }

  private finish(): void {
    this.state = DONE;
    const local = this.local;
    if (local.recvWaiters.first === this) local.shared.clearRecvRef(local.entry);
    local.leave(local.recvWaiters, this);
  }

  drop(): void {
    if (this.state !== WAITING) {
      this.state = DONE;
      return;
    }
    this.state = DONE;
    const local = this.local;
    const shared = local.shared;
    // Registered (it had a ref) and the ref is gone: a sender took it to wake this receiver.
    const woken = local.recvWaiters.first === this && this.ref >= 0 && !shared.clearRecvRef(local.entry);
    local.leave(local.recvWaiters, this);
    if (woken && local.recvWaiters.length === 0 && shared.length() > 0) shared.wakeOneReceiver();
  }
}

/** `Sender.send(value)` of a thread channel. */
export class ThreadSend extends ChannelWaiter implements Future<void> {
  declare private state: number;
  declare private readonly local: LocalChannel;
  declare private value: unknown;
  /** The value's copy, kept while the send waits. */
  declare private bytes: Uint8Array | null;
  declare private n: number;

  constructor(local: LocalChannel, value: unknown) {
    super();
    this.state = INIT;
    this.local = local;
    this.value = value;
    this.bytes = null;
    this.n = 0;
  }

  poll(waker: Waker): Poll<void> {
    const local = this.local;
    const shared = local.shared;
    if (this.state === INIT) {
      if (!waker.consumeBudget()) {
        waker.wake();
        return PENDING;
      }
      this.state = DONE;
      const out = scratch();
      const n = encode(this.value, out);
      this.value = undefined;
      checkSize(n, shared.ringBytes);
      if (shared.rxGone) throw closedError();
      const e = local.ensureEntry();
      if (local.sendWaiters.length === 0 && shared.put(e, out.buf, n)) {
        shared.wakeOneReceiver();
        return undefined;
      }
      this.bytes = new Uint8Array(out.buf.subarray(0, n));
      this.n = n;
      local.sendWaiters.push(this, waker);
      this.state = WAITING;
    } else if (this.state === WAITING) {
      this.waker = waker;
    } else {
      pollAfterReady("Sender.send()");
    }
    if (local.sendWaiters.first !== this) return PENDING;
    try {
      local.lookout();
      if (shared.rxGone) throw closedError();
      if (!shared.put(local.entry, this.bytes!, this.n)) {
        shared.setRef(local.entry, "send", local.exportFor(this, waker));
        if (shared.rxGone) throw closedError();
        if (!shared.put(local.entry, this.bytes!, this.n)) return PENDING;
      }
    } catch (e) {
      this.finish();
      throw e;
    }
    this.finish();
    shared.wakeOneReceiver();
    return undefined;
  }

  private finish(): void {
    this.state = DONE;
    this.bytes = null;
    const local = this.local;
    if (local.sendWaiters.first === this) local.shared.clearRef(local.entry, "send");
    local.leave(local.sendWaiters, this);
  }

  drop(): void {
    // Room in this thread's ring is only ever this thread's: a wake meant for this send needs no
    // passing on beyond the next send of this thread, which `leave` wakes.
    if (this.state === WAITING) this.finish();
    this.state = DONE;
  }
}

/** `Sender.closed()` of a thread channel: completes once every receiver is gone. */
export class ThreadClosed extends ChannelWaiter implements Future<void> {
  declare private state: number;
  declare private readonly local: LocalChannel;

  constructor(local: LocalChannel) {
    super();
    this.state = INIT;
    this.local = local;
  }

  poll(waker: Waker): Poll<void> {
    const local = this.local;
    const shared = local.shared;
    if (this.state === INIT) {
      if (shared.rxGone) {
        this.state = DONE;
        return undefined;
      }
      local.ensureEntry();
      local.closedWaiters.push(this, waker);
      this.state = WAITING;
    } else if (this.state === WAITING) {
      this.waker = waker;
    } else {
      pollAfterReady("Sender.closed()");
    }
    if (local.closedWaiters.first !== this) return PENDING;
    try {
      local.lookout();
      if (!shared.rxGone) {
        shared.setRef(local.entry, "closed", local.exportFor(this, waker));
        if (!shared.rxGone) return PENDING;
      }
    } catch (e) {
      this.finish();
      throw e;
    }
    this.finish();
    return undefined;
  }

  private finish(): void {
    this.state = DONE;
    const local = this.local;
    if (local.closedWaiters.first === this) local.shared.clearRef(local.entry, "closed");
    local.leave(local.closedWaiters, this);
  }

  drop(): void {
    if (this.state === WAITING) this.finish();
    this.state = DONE;
  }
}

/** Throws when a value's copy cannot fit a ring, however empty. */
export function checkSize(n: number, ringBytes: number): void {
  if (n > ringBytes) {
    throw new RangeError(
      `threadChannel: the value's copy takes ${n} bytes, more than the ${ringBytes} bytes a sending thread can buffer ` +
        `(threadChannel(capacity, { bytes }))`,
    );
  }
}
