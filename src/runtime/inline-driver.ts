/**
 * The inline reactor (`init({ reactor: "inline" })`), tokio's current-thread driver: no reactor
 * thread; an executor with nothing ready waits in `epoll_wait` itself, with a timeout equal to its
 * next timer. Each event is recorded in the token table like the reactor thread records it, and
 * then wakes the waker objects the source's registration holds on this very thread
 * (`wakeRegistration`): no trip through the wake hub's inbox, no cross-thread wake. `spawnThread`
 * is refused in this mode.
 *
 * @module
 */
import { EpollEvents, epollWait } from "../sys/index.js";
import type { IoDriver } from "./driver.js";
import { wakeRegistration } from "./registration.js";
import { SHUTDOWN_TOKEN, type TokenTable } from "./token-table.js";
import {
  traceEpollDispatched,
  traceEpollReturned,
  traceEpollWait,
  traceFlowStart,
  traceWaking,
  traceWoken,
  tracing,
} from "./trace-recorder.js";

/** The longest timeout `epoll_wait` takes: its `int` milliseconds (about 24.8 days). */
export const MAX_EPOLL_TIMEOUT_MS = 0x7fffffff;

/**
 * `epoll_wait`'s timeout for a wait of `ms`: -1 (no timeout) for `Infinity`, else whole
 * milliseconds rounded up (a timer is never woken for early) and clamped to the `int` the call
 * takes: a longer one would wrap negative, which means "wait forever".
 */
export function epollTimeout(ms: number): number {
  if (ms === Infinity) return -1;
  return Math.min(Math.ceil(ms), MAX_EPOLL_TIMEOUT_MS);
}

export class InlineDriver implements IoDriver {
  private readonly events = new EpollEvents(1024);
  private readonly epfd: number;

  constructor(private readonly table: TokenTable) {
    this.epfd = table.epfd;
  }

  turn(timeoutMs: number): void {
    const events = this.events;
    const t = epollTimeout(timeoutMs);
    if (tracing) traceEpollWait();
    const n = epollWait(this.epfd, events, t);
    if (tracing) traceEpollReturned(n, t);
    this.table.counters.turn(n);
    for (let i = 0; i < n; i++) {
      const token = events.lo(i);
      // The shutdown eventfd only concerns the reactor thread, which this mode does not have.
      if (token === SHUTDOWN_TOKEN) continue;
      const mask = events.events(i);
      if (!this.table.record(mask, token, events.hi(i))) continue;
      // The wake goes to the waker objects directly (no inbox): the trace's arrow starts here.
      if (tracing) traceWaking(traceFlowStart(-1));
      wakeRegistration(token, mask);
      if (tracing) traceWoken();
    }
    this.table.counters.publish();
    if (tracing) traceEpollDispatched();
  }
}
