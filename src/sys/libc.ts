/**
 * The C library, loaded once per thread through koffi, and the raw functions this layer calls.
 *
 * With `getaddrinfo.ts` (the resolver's calls, loaded only by the resolver's threads), the only
 * module in the project that imports `koffi`. Everything here is raw: it returns
 * what libc returns (`-1` on failure, errno left for {@link errno}). The wrappers in `epoll.ts`, `socket.ts`, `io.ts` and
 * `eventfd.ts` give these their contract (EINTR retried, EAGAIN reported as a sentinel, other
 * errnos thrown as `IoError`); call those, not these.
 *
 * Why the declarations look the way they do:
 * - Every buffer parameter is `void *`: for a typed array koffi then passes the array's own memory
 *   (its `byteOffset` included), with no copy and no direction marker needed, so a `read` lands
 *   directly in the caller's `Uint8Array` (checked: a read into `buf.subarray(3)` fills `buf[3..]`).
 *   Plain JS arrays would be copied, so the TypeScript types admit typed arrays only.
 * - Functions are declared once, at module load; a worker thread loading this module gets its own
 *   declarations (koffi works per thread).
 * - On a platform other than Linux the module still loads (so importing the package does not fail
 *   where I/O is never used) and each function throws `ERR_UNSUPPORTED_PLATFORM` when called.
 *
 * @module
 */
import koffi from "koffi";

/** A pointer argument: any typed array or `DataView` (its bytes are passed in place), or NULL. */
export type Ptr = ArrayBufferView | null;

function loadLibc(): ReturnType<typeof koffi.load> | null {
  if (process.platform !== "linux") return null;
  try {
    return koffi.load("libc.so.6");
  } catch {
    // musl (Alpine) has no libc.so.6; the process's own global symbols include its libc.
    return koffi.load(null);
  }
}

const lib = loadLibc();

function unsupported(): never {
  const error = new Error(`reactor-executor's OS layer supports Linux only (epoll); this is ${process.platform}`) as Error & {
    code: string;
  };
  error.code = "ERR_UNSUPPORTED_PLATFORM";
  throw error;
}

function declare<F>(prototype: string): F {
  return (lib === null ? unsupported : lib.func(prototype)) as F;
}

/** `errno` of the calling thread, as left by the most recent koffi call on it. */
// koffi.errno does not use `this`, so the bare function is exported: no extra closure per call.
export const errno = koffi.errno;

/** `int epoll_create1(int flags)`. */
export const epoll_create1 = declare<(flags: number) => number>("int epoll_create1(int flags)");
/** `int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)`. */
export const epoll_ctl = declare<(epfd: number, op: number, fd: number, event: Ptr) => number>(
  "int epoll_ctl(int epfd, int op, int fd, void *event)",
);
/** `int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)`. */
export const epoll_wait = declare<(epfd: number, events: Ptr, max: number, timeout: number) => number>(
  "int epoll_wait(int epfd, void *events, int maxevents, int timeout)",
);
/** `int eventfd(unsigned int initval, int flags)`. */
export const eventfd = declare<(initval: number, flags: number) => number>("int eventfd(unsigned int initval, int flags)");
/** `int socket(int domain, int type, int protocol)`. */
export const socket = declare<(domain: number, type: number, protocol: number) => number>("int socket(int domain, int type, int protocol)");
/** `int connect(int fd, const struct sockaddr *addr, socklen_t len)`. */
export const connect = declare<(fd: number, addr: Ptr, len: number) => number>("int connect(int fd, void *addr, uint32_t len)");
/** `int bind(int fd, const struct sockaddr *addr, socklen_t len)`. */
export const bind = declare<(fd: number, addr: Ptr, len: number) => number>("int bind(int fd, void *addr, uint32_t len)");
/** `int listen(int fd, int backlog)`. */
export const listen = declare<(fd: number, backlog: number) => number>("int listen(int fd, int backlog)");
/** `int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)`. */
export const accept4 = declare<(fd: number, addr: Ptr, len: Ptr, flags: number) => number>(
  "int accept4(int fd, void *addr, void *len, int flags)",
);
/** `int getsockopt(int fd, int level, int name, void *value, socklen_t *len)`. */
export const getsockopt = declare<(fd: number, level: number, name: number, value: Ptr, len: Ptr) => number>(
  "int getsockopt(int fd, int level, int name, void *value, void *len)",
);
/** `int setsockopt(int fd, int level, int name, const void *value, socklen_t len)`. */
export const setsockopt = declare<(fd: number, level: number, name: number, value: Ptr, len: number) => number>(
  "int setsockopt(int fd, int level, int name, void *value, uint32_t len)",
);
/** `int getsockname(int fd, struct sockaddr *addr, socklen_t *len)`. */
export const getsockname = declare<(fd: number, addr: Ptr, len: Ptr) => number>("int getsockname(int fd, void *addr, void *len)");
/** `int getpeername(int fd, struct sockaddr *addr, socklen_t *len)`. */
export const getpeername = declare<(fd: number, addr: Ptr, len: Ptr) => number>("int getpeername(int fd, void *addr, void *len)");
/** `int shutdown(int fd, int how)`. */
export const shutdown = declare<(fd: number, how: number) => number>("int shutdown(int fd, int how)");
/** `ssize_t read(int fd, void *buf, size_t n)`. */
export const read = declare<(fd: number, buf: Ptr, n: number) => number>("long read(int fd, void *buf, size_t n)");
/** `ssize_t write(int fd, const void *buf, size_t n)`. */
export const write = declare<(fd: number, buf: Ptr, n: number) => number>("long write(int fd, void *buf, size_t n)");
/** `ssize_t send(int fd, const void *buf, size_t n, int flags)`. */
export const send = declare<(fd: number, buf: Ptr, n: number, flags: number) => number>(
  "long send(int fd, void *buf, size_t n, int flags)",
);
/** `int close(int fd)`. */
export const close = declare<(fd: number) => number>("int close(int fd)");
/** `int sched_setscheduler(pid_t pid, int policy, const struct sched_param *param)`. */
export const sched_setscheduler = declare<(pid: number, policy: number, param: Ptr) => number>(
  "int sched_setscheduler(int pid, int policy, void *param)",
);
/**
 * `long syscall(long number, ...)`: for calls without a wrapper in every libc this runs on (musl
 * has no `pidfd_open`; glibc has `gettid` only from 2.30, `pidfd_open` from 2.36).
 */
export const syscall = declare<(number: number, ...args: unknown[]) => number>("long syscall(long number, ...)");
/** `int poll(struct pollfd *fds, nfds_t nfds, int timeout)`. */
export const poll = declare<(fds: Ptr, n: number, timeout: number) => number>("int poll(void *fds, unsigned long n, int timeout)");
