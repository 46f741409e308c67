/**
 * Thread pidfds: a file descriptor that becomes readable when one thread of this process ends,
 * however it ends (pidfd_open(2) with `PIDFD_THREAD`, Linux 6.9 and later). In the reactor's epoll
 * set it reports a thread's end to a thread parked in `Atomics.wait`, which no Node event can reach.
 *
 * A thread opens its own pidfd (`pidfdOpen(gettid())`): no other thread can name it by tid without
 * racing the tid's reuse after the thread ends. The fd is close-on-exec (pidfds always are); it is
 * not a stream, so nothing here reads it: readiness is the whole message.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import * as c from "./libc.js";
import { EINTR, ERRNO, throwIoError } from "./errno.js";

/** `PIDFD_THREAD` (= `O_EXCL`): the pidfd names one thread, not its whole thread group. */
const PIDFD_THREAD = 0o200;
/** `pidfd_open` has the same number on every Linux architecture (the unified table, 5.3+). */
const SYS_PIDFD_OPEN = 434;
/** `gettid` predates the unified table: its number depends on the architecture. */
const SYS_GETTID: Partial<Record<string, number>> = { x64: 186, arm64: 178 };
const POLLIN = 1;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;

// struct pollfd { int fd; short events; short revents; }, one per thread (calls are synchronous).
const pollfd = new Int32Array(2);
const pollEvents = new Int16Array(pollfd.buffer);

/**
 * The calling thread's kernel thread id.
 *
 * @throws IoError `ENOSYS` on an architecture whose `gettid` number this module does not know.
 */
export function gettid(): number {
  const nr = SYS_GETTID[process.arch];
  if (nr === undefined) throwIoError("gettid", ERRNO.ENOSYS);
  return c.syscall(nr);
}

/**
 * A pidfd for thread `tid` of this process: readable once that thread has ended.
 *
 * @throws IoError `EINVAL` on kernels before 6.9 (no `PIDFD_THREAD`), `ENOSYS` before 5.3, `ESRCH`
 * when no such thread exists, `EMFILE`/`ENFILE`.
 */
export function pidfdOpen(tid: number): number {
  const fd = c.syscall(SYS_PIDFD_OPEN, "int", tid, "unsigned int", PIDFD_THREAD);
  if (fd < 0) throwIoError("pidfd_open", c.errno());
  return fd;
}

/** Whether the thread behind `pidfd` has ended (a zero-timeout poll(2); never blocks). */
export function pidfdExited(pidfd: number): boolean {
  pollfd[0] = pidfd;
  pollEvents[2] = POLLIN;
  pollEvents[3] = 0;
  for (;;) {
    const n = c.poll(pollfd, 1, 0);
    if (n === 0) return false;
    if (n > 0) {
      const revents = pollEvents[3];
      if ((revents & POLLNVAL) !== 0) throwIoError("poll", ERRNO.EBADF);
      return (revents & (POLLIN | POLLHUP)) !== 0;
    }
    const e = c.errno();
    if (e !== EINTR) throwIoError("poll", e);
  }
}

/**
 * When thread `tid` of this process started, in clock ticks since boot (`starttime` of
 * `/proc/self/task/<tid>/stat`), or null when this process has no such thread. A thread's
 * `(tid, start time)` names it for good, where a tid alone is reused once the thread has ended:
 * checked after a `pidfdOpen(tid)`, it says whether that pidfd names the thread meant.
 */
export function threadStartTime(tid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/self/task/${tid}/stat`, "latin1");
  } catch {
    return null;
  }
  // "tid (comm) state ppid ...": comm may hold spaces and parentheses, so count from the last ")".
  // starttime is field 22; the state, field 3, is the first after the ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const start = Number(fields[22 - 3]);
  return Number.isFinite(start) ? start : null;
}
