/**
 * Drives one of `sync/`'s futures from Promise code, without an executor: the futures behind
 * `for await` over a receiver need none (they wait on their own lists, hold no timer and no I/O
 * source), so plain async code can iterate a channel that tasks feed.
 *
 * The waker polls again from a microtask, not inside `wake()`: a wake comes from the middle of
 * another operation (a `send`), which should not have a foreign poll run inside it.
 *
 * @module
 */
import { PENDING, type Future } from "../future/future.js";
import { Waker } from "../future/waker.js";

class PromiseWaker<T> extends Waker {
  private queued = false;
  private readonly repoll = (): void => {
    this.queued = false;
    this.step();
  };

  constructor(
    private readonly future: Future<T>,
    private readonly resolve: (v: T) => void,
    private readonly reject: (e: unknown) => void,
  ) {
    super();
  }

  override wake(): void {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(this.repoll);
  }

  step(): void {
    let r;
    try {
      r = this.future.poll(this);
    } catch (e) {
      this.reject(e);
      return;
    }
    if (r !== PENDING) this.resolve(r);
  }
}

/** A Promise of `future`'s output; `future` must not need an executor. */
export function pollToPromise<T>(future: Future<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => new PromiseWaker(future, resolve, reject).step());
}
