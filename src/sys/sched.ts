/**
 * The calling thread's scheduling policy (sched(7)).
 *
 * @module
 */
import * as c from "./libc.js";
import { throwIoError } from "./errno.js";

/** `SCHED_BATCH` from `<sched.h>`. */
const SCHED_BATCH = 3;

/**
 * Puts the calling thread under `SCHED_BATCH`: a normal time-sharing thread (its nice value still
 * applies) that the kernel never lets preempt the running thread when it wakes up. Any thread may
 * do this to itself without privileges.
 *
 * @throws IoError (`EPERM` where a security policy forbids it, `EINVAL` on a kernel without it).
 */
export function setBatchScheduling(): void {
  // pid 0 is the calling thread; struct sched_param { int sched_priority; } must be 0 here.
  if (c.sched_setscheduler(0, SCHED_BATCH, new Int32Array(1)) !== 0) throwIoError("sched_setscheduler", c.errno());
}
