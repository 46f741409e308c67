/**
 * The OS layer: the only code in the project that talks to libc (through koffi). The book's mio.
 *
 * The contract every function here keeps:
 * - EINTR is retried inside the wrapper (exceptions, each for a stated reason: `close`, `connect`,
 *   and `epollWait` with a finite timeout).
 * - EAGAIN/EWOULDBLOCK means "not ready" and is returned as a sentinel by the hot-path calls:
 *   `read`, `write`, `accept4` → {@link WOULD_BLOCK}, `connect` → {@link IN_PROGRESS},
 *   `eventfdRead` → 0, `eventfdWrite` → false. Nothing else is swallowed, except `ECONNABORTED`
 *   in `accept4` (a client that gave up while queued: the next one is taken instead).
 * - Every other errno throws an `IoError` (`code` = errno name, `errno`, `syscall`), built in one
 *   place: {@link throwIoError}.
 * - Every fd created is close-on-exec, and every socket and eventfd is non-blocking.
 * - Nothing allocates per call on the hot path: module-level scratch buffers (one set per thread),
 *   typed arrays passed to the kernel in place, epoll events read through index accessors.
 *
 * Linux only (epoll, eventfd); elsewhere the module loads but its calls throw
 * `ERR_UNSUPPORTED_PLATFORM`.
 *
 * @module
 */
export { ERRNO, errnoName, throwIoError } from "./errno.js";
export type { ErrnoName } from "./errno.js";
export {
  AF_INET,
  AF_INET6,
  decodeSockaddr,
  formatAddress,
  InvalidAddressError,
  makeAddress,
  parseAddress,
  parseAddresses,
  parseIp,
  splitHostPort,
} from "./addr.js";
export type { AddressInput, IpAddress, IpFamily, SocketAddress } from "./addr.js";
export { dnsError, EAI } from "./dns-error.js";
export { HostsFile, parseHosts } from "./hosts.js";
export {
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EPOLL_EVENT_SIZE,
  EPOLLERR,
  EPOLLET,
  EPOLLHUP,
  EPOLLIN,
  EPOLLONESHOT,
  EPOLLOUT,
  EPOLLPRI,
  EPOLLRDHUP,
  epollAdd,
  epollCreate,
  epollCtl,
  epollDelete,
  EpollEvents,
  epollModify,
  epollWait,
} from "./epoll.js";
export { eventfd, eventfdRead, eventfdWrite } from "./eventfd.js";
export { close, read, WOULD_BLOCK, write } from "./io.js";
export { setBatchScheduling } from "./sched.js";
export type { WouldBlock } from "./io.js";
export {
  accept4,
  bind,
  connect,
  connectResult,
  IN_PROGRESS,
  listen,
  localAddress,
  localPort,
  maxBacklog,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  setNoDelay,
  setDeferAccept,
  setReuseAddress,
  setSendBufferSize,
  shutdown,
  socket,
  socketError,
} from "./socket.js";
export type { InProgress } from "./socket.js";
export { gettid, pidfdExited, pidfdOpen, threadStartTime } from "./pidfd.js";
