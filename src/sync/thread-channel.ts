/**
 * `threadChannel(capacity)`: a bounded channel whose ends can be moved into threads started by
 * `spawnThread`, and which works while its threads are parked in `blockOn` (`Atomics.wait`),
 * where no `'message'` event can arrive. Same API as {@link channel} (`Sender`, `Receiver`:
 * clone, close, `using`, back-pressure, `recv()` giving `undefined` at the end, `ClosedError`),
 * with values copied between threads through shared memory.
 *
 * Contract, beyond `channel`'s:
 * - Values are structured-cloned (as `postMessage` does; see `thread-codec.ts`) when a `send`
 *   first runs: a function or a `SharedArrayBuffer` in the value throws `DataCloneError`, and a
 *   value whose copy exceeds a ring (`bytes`) throws `RangeError`. Each receiver gets a copy.
 * - Back-pressure is per sending thread: each thread that sends has a ring of `capacity` values
 *   and `bytes` bytes, and its `send` waits while its ring is full. Values from one thread come out
 *   in the order they went in; receivers visit the sending threads in turn.
 * - An end moves into a thread through `spawnThread`'s `transfer` (it is closed here then). An
 *   end held by a thread that ends, however it ends (returns, throws, `process.exit`, an uncaught
 *   error, `terminate()`, out of memory), closes: the last sender gone ends the channel for the
 *   receivers, who first get what was sent before; the last receiver gone makes every `send`
 *   throw `ClosedError`, waiting ones too. A thread that ends normally closes its ends itself;
 *   one stopped without running its exit handler is seen ending by the threads waiting on the
 *   channel, through thread pidfds in the reactor (Linux 6.9+), or else by its parent when it
 *   learns of the end (`join()`, the next `spawnThread`, the thread's exit event under `run`).
 * - Waiting needs an executor (`blockOn`, `run`, or `toPromise`'s default executor); `trySend`,
 *   `tryRecv` and `close` do not.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";
import type { Future } from "../future/future.js";
import { ready } from "../future/ready.js";
import { toPromise } from "../runtime/promise.js";
import { TRANSFER, registerTransferKind, type ThreadTransferable, type Transfer } from "../runtime/thread-transfer.js";
import type { Receiver, Sender } from "./channel.js";
import { ClosedError } from "./closed-error.js";
import { encode, scratch } from "./thread-codec.js";
import { END, LocalChannel, NONE } from "./thread-local.js";
import { checkSize, ThreadClosed, ThreadRecv, ThreadSend } from "./thread-ops.js";
import { MAX_THREADS, SharedChannel } from "./thread-ring.js";

/** The most values one sending thread can buffer in a thread channel. */
export const MAX_THREAD_CAPACITY = 65_536;
const MAX_RING_BYTES = 2 ** 30;
const MIN_DEFAULT_BYTES = 64 * 1024;
const MAX_DEFAULT_BYTES = 16 * 1024 * 1024;
const DEFAULT_THREADS = 32;
const KIND = "reactor-executor.threadChannel";

/** Options of {@link threadChannel}. */
export interface ThreadChannelOptions {
  /**
   * Bytes each sending thread can buffer (rounded up to a power of two); one value's copy must fit.
   * Default: 256 per value of capacity, from 64 KiB to 16 MiB.
   */
  bytes?: number;
  /** Threads that can hold ends of the channel at once, from 1 to 128; default 32. */
  threads?: number;
}

/**
 * The sending end of a {@link threadChannel}: a {@link Sender} that `spawnThread` can move into a
 * thread (`transfer`).
 *
 * @example
 * ```ts
 * const [tx, rx] = threadChannel<string>(64);
 * spawnThread({ name: "producer", module: import.meta.url, export: "produce", args: [tx], transfer: [tx] });
 * ```
 */
export interface ThreadSender<T> extends Sender<T>, ThreadTransferable {
  clone(): ThreadSender<T>;
}

/**
 * The receiving end of a {@link threadChannel}: a {@link Receiver} that `spawnThread` can move
 * into a thread (`transfer`). `for await (const v of rx)` runs on the thread's default executor.
 *
 * @example
 * ```ts
 * export function consume(rx: ThreadReceiver<string>) {
 *   return coroutine(function* () {
 *     let line;
 *     while ((line = yield* wait(rx.recv())) !== undefined) console.log(line);
 *   });
 * }
 * ```
 */
export interface ThreadReceiver<T> extends Receiver<T>, ThreadTransferable {
  clone(): ThreadReceiver<T>;
}

function checkValue(value: unknown): void {
  if (value === undefined) throw new TypeError("a channel cannot carry undefined: recv() uses it to say the channel ended");
}

abstract class End {
  protected open = true;
  /** Set once the end was moved into a thread. */
  protected moved = false;

  constructor(
    protected readonly local: LocalChannel,
    private readonly side: "send" | "recv",
  ) {}

  protected abstract get what(): string;

  /** Throws unless this end can still be used for `op` ("send", "clone", ...). */
  protected checkOpen(op: string): void {
    if (this.open) return;
    throw new RuntimeError(`${op}: this ${this.what} ${this.moved ? "was moved into a thread" : "is closed"}`);
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.local.dropEnd(this.side);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal `spawnThread`'s `transfer`: moves this end into the thread being started. */
  [TRANSFER](): Transfer {
    this.checkOpen("spawnThread(transfer)");
    const local = this.local;
    const side = this.side;
    const e = local.moveOut(side);
    this.open = false;
    this.moved = true;
    const shared = local.shared;
    return {
      kind: KIND,
      module: import.meta.url,
      data: { buffer: shared.buffer, entry: e, side },
      moved: (thread) => local.moved(side, e, thread),
      failed: () => {
        local.moveFailed(e);
        this.open = true;
        this.moved = false;
      },
      reclaim: (threads) => {
        if (shared.releaseThreads(threads) > 0) shared.wakeEveryone();
      },
    };
  }
}

class ThreadChannelSender<T> extends End implements ThreadSender<T> {
  constructor(local: LocalChannel) {
    super(local, "send");
  }

  protected get what(): string {
    return "Sender";
  }

  get capacity(): number {
    return this.local.shared.capacity;
  }

  get isClosed(): boolean {
    return !this.open || this.local.shared.rxGone;
  }

  send(value: T): Future<void> {
    checkValue(value);
    this.checkOpen("Sender.send()");
    return new ThreadSend(this.local, value);
  }

  trySend(value: T): boolean {
    checkValue(value);
    this.checkOpen("Sender.trySend()");
    const local = this.local;
    const shared = local.shared;
    if (shared.rxGone) throw new ClosedError("send on a channel whose receivers are all closed");
    const out = scratch();
    const n = encode(value, out);
    checkSize(n, shared.ringBytes);
    if (local.sendWaiters.length > 0 || !shared.put(local.ensureEntry(), out.buf, n)) return false;
    shared.wakeOneReceiver();
    return true;
  }

  clone(): ThreadSender<T> {
    this.checkOpen("Sender.clone()");
    this.local.addEnd("send");
    return new ThreadChannelSender<T>(this.local);
  }

  closed(): Future<void> {
    return new ThreadClosed(this.local);
  }
}

class ThreadChannelReceiver<T> extends End implements ThreadReceiver<T> {
  constructor(local: LocalChannel) {
    super(local, "recv");
  }

  protected get what(): string {
    return "Receiver";
  }

  get isClosed(): boolean {
    return !this.open || this.local.shared.txGone;
  }

  get length(): number {
    return this.local.shared.length();
  }

  recv(): Future<T | undefined> {
    if (!this.open) return ready(undefined);
    return new ThreadRecv<T>(this.local);
  }

  tryRecv(): T | undefined {
    if (!this.open || this.local.recvWaiters.length > 0) return undefined;
    const v = this.local.tryTake();
    return v === NONE || v === END ? undefined : (v as T);
  }

  clone(): ThreadReceiver<T> {
    this.checkOpen("Receiver.clone()");
    this.local.addEnd("recv");
    return new ThreadChannelReceiver<T>(this.local);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: async (): Promise<IteratorResult<T>> => {
        const v = await toPromise(this.recv());
        return v === undefined ? { done: true, value: undefined } : { done: false, value: v };
      },
    };
  }
}

registerTransferKind(KIND, (data) => {
  const { buffer, entry, side } = data as { buffer: SharedArrayBuffer; entry: number; side: "send" | "recv" };
  const local = LocalChannel.adopt(buffer, entry);
  return side === "send" ? new ThreadChannelSender(local) : new ThreadChannelReceiver(local);
});

function wholeNumber(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`threadChannel: ${name} must be a whole number from ${min} to ${max}, got ${String(v)}`);
  }
}

function powerOfTwoAtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * A bounded channel across threads: `[sender, receiver]`, both cloneable, each movable into a
 * thread started by `spawnThread` (list it in `transfer`). `capacity` (1 to 65,536) bounds what
 * each sending thread buffers. See the module doc for the contract.
 *
 * @example
 * ```ts
 * // main thread
 * const executor = init();
 * const [tx, rx] = threadChannel<number>(64);
 * const producer = spawnThread({ name: "producer", module: import.meta.url, export: "produce", args: [tx, 1000], transfer: [tx] });
 * let n, sum = 0;
 * executor.blockOn(coroutine(function* () {
 *   while ((n = yield* wait(rx.recv())) !== undefined) sum += n; // ends when the producer's sender closes
 *   yield* wait(producer.join());
 * }));
 *
 * // the producer, in its thread
 * export function produce(tx: ThreadSender<number>, count: number) {
 *   return coroutine(function* () {
 *     using out = tx; // closed when the task ends (and by the runtime if the thread dies)
 *     for (let i = 0; i < count; i++) yield* wait(out.send(i));
 *   });
 * }
 * ```
 */
export function threadChannel<T extends NonNullable<unknown> | null>(
  capacity: number,
  options: ThreadChannelOptions = {},
): [ThreadSender<T>, ThreadReceiver<T>] {
  wholeNumber("capacity", capacity, 1, MAX_THREAD_CAPACITY);
  const threads = options.threads ?? DEFAULT_THREADS;
  wholeNumber("threads", threads, 1, MAX_THREADS);
  const bytes = options.bytes ?? Math.min(Math.max(capacity * 256, MIN_DEFAULT_BYTES), MAX_DEFAULT_BYTES);
  wholeNumber("bytes", bytes, 1, MAX_RING_BYTES);
  const local = LocalChannel.create(SharedChannel.create(capacity, powerOfTwoAtLeast(Math.max(bytes, 8)), threads));
  return [new ThreadChannelSender<T>(local), new ThreadChannelReceiver<T>(local)];
}
