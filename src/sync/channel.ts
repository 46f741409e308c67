/**
 * `channel(capacity)`: a bounded multi-producer, multi-consumer queue with back-pressure, in the
 * shape of the `async-channel` crate: senders and receivers can both be cloned. With one receiver
 * it is tokio's `mpsc`; with several, a work queue (each value goes to one receiver). Values pass
 * by reference (within a thread; see the note on threads below).
 *
 * Contract:
 * - `send` waits while the channel holds `capacity` values. Waiting senders get room in FIFO order
 *   (the room is handed over: the capacity is a {@link Semaphore}), and so do waiting receivers
 *   get values (see `item-queue.ts`). Values come out in the order they went in.
 * - Cancellation-safe: a `send` dropped before it completed has not sent its value (and room it
 *   was handed passes on to the next sender); a `recv` dropped before it completed has taken
 *   nothing (and a value it was promised passes on to the next receiver).
 * - Closing: each handle is closed once, by `close()` or `using`. When every sender is closed,
 *   `recv` drains what is buffered, then gives `undefined` (so `undefined` cannot be sent). When
 *   every receiver is closed, `send` and `trySend` throw `ClosedError`, waiting senders too, and the
 *   buffered values are dropped. A handle that is simply forgotten stays open: if a task waits on
 *   a channel nothing else can feed, the executor reports a `DeadlockError` rather than hang.
 *   Inside a coroutine, `using tx = ...` closes the handle when the body ends, also when its task
 *   is aborted.
 * - Fairness is per channel; the cooperative budget applies: a loop that always finds room (or
 *   values) yields to the other tasks after its share of the turn.
 *
 * Threads: these ends live on one thread. `Sender` and `Receiver` are interfaces: `threadChannel`
 * (`thread-channel.ts`) gives the same API across threads (values structured-cloned through
 * shared memory, waking parked threads).
 *
 * @module
 */
import { RuntimeError } from "../errors.js";
import type { Future } from "../future/future.js";
import { ready } from "../future/ready.js";
import { ClosedError } from "./closed-error.js";
import { ItemQueue, Take } from "./item-queue.js";
import { pollToPromise } from "./poll-promise.js";
import { Acquire, Semaphore } from "./semaphore.js";
import { Until, WaitList, wakeChain } from "./wait-list.js";

/** The most values a channel can buffer. */
export const MAX_CAPACITY = 2 ** 30;

/**
 * The sending end of a {@link channel}.
 *
 * @example
 * ```ts
 * const [tx, rx] = channel<string>(16);
 * const tx2 = tx.clone();
 * yield* wait(tx.send("a")); // waits while 16 values are buffered
 * tx.close(); tx2.close();   // rx.recv() gives undefined once the buffer is drained
 * ```
 */
export interface Sender<T> extends Disposable {
  /**
   * Sends `value`, waiting for room. Throws `ClosedError` if every receiver is closed (then or
   * while waiting); `RuntimeError` if this sender is closed.
   */
  send(value: T): Future<void>;
  /**
   * Sends `value` if there is room now and no sender waits ahead: true; false when full. Throws
   * as `send` does.
   */
  trySend(value: T): boolean;
  /** Another sender of the same channel (the channel stays open for receivers until every sender is closed). */
  clone(): Sender<T>;
  /** Closes this sender. Harmless twice. */
  close(): void;
  /** True once this sender is closed or every receiver is. */
  readonly isClosed: boolean;
  /** Completes once every receiver is closed: the producer may stop. */
  closed(): Future<void>;
  /** The channel's capacity. */
  readonly capacity: number;
}

/**
 * The receiving end of a {@link channel}. Also an `AsyncIterable` for Promise code
 * (`for await (const v of rx)`), which ends when the channel does.
 *
 * @example
 * <!-- ts-check
 * declare const rx: Receiver<string>;
 * declare function handle(job: string): void;
 * -->
 * ```ts
 * let job;
 * while ((job = yield* wait(rx.recv())) !== undefined) handle(job);
 * // every sender closed and the buffer drained
 * ```
 */
export interface Receiver<T> extends Disposable, AsyncIterable<T> {
  /** The next value; `undefined` once every sender is closed and the buffer is empty. */
  recv(): Future<T | undefined>;
  /** A value if one is buffered (and no receiver waits for it); else undefined. */
  tryRecv(): T | undefined;
  /** Another receiver of the same channel: each value goes to one receiver. */
  clone(): Receiver<T>;
  /** Closes this receiver; when the last one closes, senders get `ClosedError`. Harmless twice. */
  close(): void;
  /** True once this receiver is closed, or every sender is (values may still be buffered). */
  readonly isClosed: boolean;
  /** Values buffered now. */
  readonly length: number;
}

class Core<T> {
  readonly queue: ItemQueue<T>;
  readonly room: Semaphore;
  senders = 1;
  receivers = 1;
  /** `closed()` futures of senders. */
  readonly receiversGone = new WaitList<Until>();

  constructor(readonly capacity: number) {
    this.queue = new ItemQueue<T>(Math.min(capacity, 64));
    this.room = new Semaphore(capacity);
  }

  /** A value went in (its room taken): hand it to a waiting receiver. */
  put(value: T): void {
    this.queue.push(value);
  }

  /** A value came out: its room goes to the next sender. */
  took(): void {
    this.room.giveBack(1);
  }

  senderClosed(): void {
    if (--this.senders === 0) this.queue.end();
  }

  receiverClosed(): void {
    if (--this.receivers > 0) return;
    this.queue.discard();
    this.queue.end();
    this.room.close();
    wakeChain(this.receiversGone.takeAll(), () => {});
  }
}

function checkValue(value: unknown): void {
  if (value === undefined) throw new TypeError("a channel cannot carry undefined: recv() uses it to say the channel ended");
}

class Send<T> extends Acquire<void> {
  declare private readonly core: Core<T>;
  declare private readonly value: T;

  constructor(core: Core<T>, value: T) {
    super(core.room, 1);
    this.core = core;
    this.value = value;
  }
  protected acquired(): void {
    this.core.put(this.value);
  }
  protected override closedError(): Error {
    return new ClosedError("send on a channel whose receivers are all closed");
  }
}

class Recv<T> extends Take<T, T | undefined> {
  declare private readonly core: Core<T>;

  constructor(core: Core<T>) {
    super(core.queue);
    this.core = core;
  }
  protected what(): string {
    return "Receiver.recv()";
  }
  protected taken(item: T): T | undefined {
    this.core.took();
    return item;
  }
  protected ended(): undefined {
    return undefined;
  }
}

class ChannelSender<T> implements Sender<T> {
  private open = true;

  constructor(private readonly core: Core<T>) {}

  get capacity(): number {
    return this.core.capacity;
  }

  get isClosed(): boolean {
    return !this.open || this.core.receivers === 0;
  }

  send(value: T): Future<void> {
    checkValue(value);
    if (!this.open) throw new RuntimeError("send on a closed Sender");
    return new Send(this.core, value);
  }

  trySend(value: T): boolean {
    checkValue(value);
    if (!this.open) throw new RuntimeError("trySend on a closed Sender");
    const core = this.core;
    if (core.receivers === 0) throw new ClosedError("send on a channel whose receivers are all closed");
    const room = core.room;
    if (room.permits === 0 || room.waiters.length > 0) return false;
    room.permits--;
    core.put(value);
    return true;
  }

  clone(): Sender<T> {
    if (!this.open) throw new RuntimeError("clone of a closed Sender");
    this.core.senders++;
    return new ChannelSender(this.core);
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.core.senderClosed();
  }

  closed(): Future<void> {
    const core = this.core;
    return new Until(core.receiversGone, () => core.receivers === 0);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

class ChannelReceiver<T> implements Receiver<T> {
  private open = true;

  constructor(private readonly core: Core<T>) {}

  get isClosed(): boolean {
    return !this.open || this.core.senders === 0;
  }

  get length(): number {
    return this.core.queue.items.length;
  }

  recv(): Future<T | undefined> {
    if (!this.open) return ready(undefined);
    return new Recv(this.core);
  }

  tryRecv(): T | undefined {
    if (!this.open) return undefined;
    const v = this.core.queue.tryTake();
    if (v !== undefined) this.core.took();
    return v;
  }

  clone(): Receiver<T> {
    if (!this.open) throw new RuntimeError("clone of a closed Receiver");
    this.core.receivers++;
    return new ChannelReceiver(this.core);
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.core.receiverClosed();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: async (): Promise<IteratorResult<T>> => {
        const v = await pollToPromise(this.recv());
        return v === undefined ? { done: true, value: undefined } : { done: false, value: v };
      },
    };
  }
}

/**
 * A bounded channel of `capacity` values (1 or more): `[sender, receiver]`. Both ends can be cloned.
 * See the module doc for the contract.
 *
 * @example
 * ```ts
 * const [tx, rx] = channel<number>(8);
 * spawn(coroutine(function* () {
 *   using out = tx;                       // closed when this task ends
 *   for (let i = 0; i < 100; i++) yield* wait(out.send(i)); // waits while 8 are buffered
 * }));
 * let n, sum = 0;
 * while ((n = yield* wait(rx.recv())) !== undefined) sum += n;
 * ```
 */
export function channel<T extends NonNullable<unknown> | null>(capacity: number): [Sender<T>, Receiver<T>] {
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
    throw new RangeError(`channel(capacity): expected a whole number from 1 to ${MAX_CAPACITY}, got ${String(capacity)}`);
  }
  const core = new Core<T>(capacity);
  return [new ChannelSender(core), new ChannelReceiver(core)];
}
