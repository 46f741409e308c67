/**
 * The I/O driver seam between an executor and the inline reactor: an executor with nothing ready
 * waits on its driver (epoll) instead of parking its thread. With the reactor on its own thread
 * there is no driver and executors park.
 *
 * @module
 */

/**
 * An I/O driver an executor can wait on instead of parking (the inline reactor): it waits up to
 * `timeoutMs` for events and wakes what is ready. `Infinity` = no timeout; 0 = just look.
 */
export interface IoDriver {
  turn(timeoutMs: number): void;
}

let defaultDriver: IoDriver | null = null;

/** The I/O driver every executor on this thread waits on (the inline reactor), or null. */
export function getDefaultDriver(): IoDriver | null {
  return defaultDriver;
}

/** Set by `init({ reactor: "inline" })`. */
export function setDefaultDriver(d: IoDriver | null): void {
  defaultDriver = d;
}
