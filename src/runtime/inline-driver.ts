/**
 * The inline reactor (`init({ reactor: "inline" })`), tokio's current-thread driver: no reactor
 * thread; an executor with nothing ready waits in `epoll_wait` itself, with a timeout equal to its
 * next timer, and dispatches the events the same way the reactor thread does. No thread hop, no
 * cross-thread wake; `spawnThread` is refused in this mode.
 *
 * @module
 */
import { EpollEvents, epollWait } from "../sys/index.js";
import type { IoDriver } from "./driver.js";
import type { TokenTable } from "./token-table.js";
import { traceEpollDispatched, traceEpollReturned, traceEpollWait, tracing } from "./trace-recorder.js";

export class InlineDriver implements IoDriver {
  private readonly events = new EpollEvents(1024);

  constructor(private readonly table: TokenTable) {}

  turn(timeoutMs: number): void {
    // epoll_wait counts whole milliseconds: round up, so a timer is never woken for early.
    const t = timeoutMs === Infinity ? -1 : Math.ceil(timeoutMs);
    if (tracing) traceEpollWait();
    const n = epollWait(this.table.epfd, this.events, t);
    if (tracing) traceEpollReturned(n, t);
    // The shutdown eventfd only concerns the reactor thread, which this mode does not have.
    this.table.dispatchEvents(this.events, n);
    if (tracing) traceEpollDispatched();
  }
}
