import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { IoError } from "../src/errors.js";
import {
  accept4,
  bind,
  close,
  connect,
  EPOLLERR,
  EPOLLET,
  EPOLLHUP,
  EPOLLIN,
  EPOLLOUT,
  EPOLLRDHUP,
  epollAdd,
  epollCreate,
  epollDelete,
  EpollEvents,
  epollModify,
  epollWait,
  eventfd,
  connectResult,
  IN_PROGRESS,
  listen,
  localAddress,
  localPort,
  maxBacklog,
  parseAddress,
  read,
  setNoDelay,
  setReuseAddress,
  shutdown,
  socket,
  socketError,
  WOULD_BLOCK,
  write,
} from "../src/sys/index.js";
import { fdFlags, isOpen, O_CLOEXEC, O_NONBLOCK, openFdCount } from "./util/fds.js";

interface Event {
  events: number;
  lo: number;
  hi: number;
}

const events = new EpollEvents(64);

// Events a wait returned for tokens nobody was waiting for yet: with edge triggering they are not
// reported again, so they are kept for the next waitFor.
const unclaimed: Event[] = [];

/**
 * Waits (up to `timeoutMs`) for an event whose token is `lo` and whose mask has a bit of `mask`;
 * earlier events for that token without one are dropped. Fails the test if none comes.
 */
function waitFor(epfd: number, lo: number, mask = 0xffffffff, timeoutMs = 3000): Event {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (let i = 0; i < unclaimed.length;) {
      const e = unclaimed[i]!;
      if (e.lo !== lo) i++;
      else if ((e.events & mask) === 0) unclaimed.splice(i, 1);
      else return unclaimed.splice(i, 1)[0]!;
    }
    const left = deadline - Date.now();
    if (left <= 0) assert.fail(`no epoll event for token ${lo} within ${timeoutMs} ms`);
    const n = epollWait(epfd, events, left);
    for (let i = 0; i < n; i++) unclaimed.push({ events: events.events(i), lo: events.lo(i), hi: events.hi(i) });
  }
}

/** Events ready right now (a zero-timeout wait). */
function readyNow(epfd: number): Event[] {
  const n = epollWait(epfd, events, 0);
  const out: Event[] = [];
  for (let i = 0; i < n; i++) out.push({ events: events.events(i), lo: events.lo(i), hi: events.hi(i) });
  return out;
}

function assertNonBlockingCloexec(fd: number, what: string): void {
  const flags = fdFlags(fd);
  assert.ok(flags & O_CLOEXEC, `${what} (fd ${fd}) is not close-on-exec: flags ${flags.toString(8)}`);
  assert.ok(flags & O_NONBLOCK, `${what} (fd ${fd}) is not non-blocking: flags ${flags.toString(8)}`);
}

function ioError(code: string, errno: number, syscall: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof IoError, `an IoError, got ${String(e)}`);
    assert.deepEqual([e.code, e.errno, e.syscall], [code, errno, syscall]);
    return true;
  };
}

interface Listener {
  fd: number;
  port: number;
  token: number;
}

/** A listener on `host`:0, registered in `ep` for EPOLLIN with `token`. */
function listenOn(ep: number, host: string, token: number): Listener {
  const fd = socket(host.includes(":") ? 6 : 4);
  setReuseAddress(fd);
  bind(fd, parseAddress({ host, port: 0 }));
  listen(fd);
  epollAdd(ep, fd, EPOLLIN | EPOLLET, token, 0);
  return { fd, port: localPort(fd), token };
}

/** A connected (client, server) pair through `listener`, registered in `ep` as `token`, `token + 1`. */
function connectedPair(ep: number, host: string, listener: Listener, token: number): [number, number] {
  const client = socket(host.includes(":") ? 6 : 4);
  const r = connect(client, parseAddress({ host, port: listener.port }));
  assert.ok(r === 0 || r === IN_PROGRESS, `connect returned ${r}`);
  epollAdd(ep, client, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, token, 1);
  assert.ok(waitFor(ep, token).events & EPOLLOUT);
  assert.equal(connectResult(client), true);
  let server = accept4(listener.fd);
  if (server === WOULD_BLOCK) {
    waitFor(ep, listener.token);
    server = accept4(listener.fd);
  }
  assert.ok(server >= 0, `accept4 returned ${server}`);
  epollAdd(ep, server, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, token + 1, 1);
  return [client, server];
}

function roundTrip(host: string): void {
  const before = openFdCount();
  unclaimed.length = 0; // tokens are reused from test to test
  const ep = epollCreate();
  const epFlags = fdFlags(ep);
  assert.ok(epFlags & O_CLOEXEC, `epoll fd not close-on-exec: ${epFlags.toString(8)}`);

  const listener = socket(host.includes(":") ? 6 : 4);
  assertNonBlockingCloexec(listener, "listening socket");
  setReuseAddress(listener);
  bind(listener, parseAddress({ host, port: 0 }));
  listen(listener);
  const port = localPort(listener);
  assert.ok(port > 0 && port < 65536, `port ${port}`);
  assert.deepEqual([localAddress(listener).ip, localAddress(listener).port], [host, port]);
  epollAdd(ep, listener, EPOLLIN | EPOLLET, 1, 100);
  assert.equal(accept4(listener), WOULD_BLOCK, "nothing to accept yet");

  const client = socket(host.includes(":") ? 6 : 4);
  assertNonBlockingCloexec(client, "client socket");
  setNoDelay(client);
  const r = connect(client, parseAddress({ host, port }));
  assert.ok(r === 0 || r === IN_PROGRESS, `connect returned ${r}`);
  // Edge-triggered, both directions, with a high-bit generation to catch sign or BigInt slips.
  epollAdd(ep, client, EPOLLET | EPOLLIN | EPOLLOUT | EPOLLRDHUP, 7, 0xfffffffe);

  const writable = waitFor(ep, 7);
  assert.equal(writable.hi, 0xfffffffe);
  assert.ok(writable.events & EPOLLOUT, `events ${writable.events.toString(16)}`);
  assert.equal(writable.events & (EPOLLERR | EPOLLHUP), 0);
  assert.equal(socketError(client), 0);
  assert.equal(connectResult(client), true);

  const pending = waitFor(ep, 1);
  assert.equal(pending.hi, 100);
  assert.ok(pending.events & EPOLLIN);
  const server = accept4(listener);
  assert.ok(server >= 0, `accept4 returned ${server}`);
  assert.notEqual(server, listener);
  assert.notEqual(server, client);
  assertNonBlockingCloexec(server, "accepted socket");
  assert.equal(accept4(listener), WOULD_BLOCK, "queue drained");
  epollAdd(ep, server, EPOLLET | EPOLLIN | EPOLLOUT | EPOLLRDHUP, 9, 3);

  const buf = new Uint8Array(64).fill(0xee);
  assert.equal(read(server, buf, 0, 64), WOULD_BLOCK, "empty socket reads WOULD_BLOCK");

  // Offsets on both sides: bytes 3..8 of `data` land at 10..15 of `buf`, nothing else touched.
  const data = new TextEncoder().encode("..hello world");
  assert.equal(write(client, data, 2, 5), 5);
  waitFor(ep, 9, EPOLLIN);
  assert.equal(read(server, buf, 10, 54), 5);
  assert.equal(new TextDecoder().decode(buf.subarray(10, 15)), "hello");
  assert.ok(buf.subarray(0, 10).every((b) => b === 0xee) && buf.subarray(15).every((b) => b === 0xee));
  assert.equal(read(server, buf, 0, 64), WOULD_BLOCK);

  // A larger transfer, server to client, driven by edge-triggered readiness until both drain.
  const big = new Uint8Array(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
  const got = new Uint8Array(big.length);
  let sent = 0;
  let received = 0;
  const deadline = Date.now() + 10_000;
  while (received < big.length) {
    assert.ok(Date.now() < deadline, `stalled at sent ${sent}, received ${received}`);
    while (sent < big.length) {
      const n = write(server, big, sent, Math.min(big.length - sent, 100_000));
      if (n === WOULD_BLOCK) break;
      sent += n;
    }
    for (;;) {
      const n = read(client, got, received, Math.min(got.length - received, 65536) || 1);
      if (n === WOULD_BLOCK || n === 0) break;
      received += n;
      if (received === got.length) break;
    }
    if (received < big.length) epollWait(ep, events, 100);
  }
  unclaimed.length = 0; // the loop above read events itself
  assert.deepEqual(got, big);

  // Half-close: the server reads end of stream, and sees EPOLLRDHUP.
  shutdown(client);
  const hup = waitFor(ep, 9, EPOLLRDHUP);
  assert.ok(hup.events & EPOLLRDHUP, `events ${hup.events.toString(16)}`);
  assert.equal(read(server, buf, 0, 64), 0, "EOF after shutdown(SHUT_WR)");
  assert.equal(read(server, buf, 0, 64), 0, "EOF stays EOF");
  // The other direction still works after SHUT_WR.
  assert.equal(write(server, data, 0, data.length), data.length);
  waitFor(ep, 7, EPOLLIN);
  assert.equal(read(client, buf, 0, 64), data.length);

  for (const fd of [server, client, listener]) {
    epollDelete(ep, fd);
    close(fd);
    assert.equal(isOpen(fd), false, `fd ${fd} still open after close`);
  }
  close(ep);
  assert.equal(openFdCount(), before, "every fd created was closed");
}

test("IPv4: listen on port 0, connect, epoll, accept4, write/read, shutdown, close", () => {
  roundTrip("127.0.0.1");
});

test("IPv6: [::1] listen/connect round trip", (t) => {
  let probe = -1;
  try {
    probe = socket(6);
    bind(probe, parseAddress("[::1]:0"));
  } catch (e) {
    if (e instanceof IoError && ["EAFNOSUPPORT", "EADDRNOTAVAIL"].includes(e.code)) {
      t.skip(`this machine has no IPv6 loopback (${e.code})`);
      return;
    } else throw e;
  } finally {
    if (probe >= 0) close(probe);
  }
  roundTrip("::1");
});

test("connect to a closed port: SO_ERROR is ECONNREFUSED, surfacing as IoError from connect", () => {
  const before = openFdCount();
  unclaimed.length = 0; // tokens are reused from test to test
  const ep = epollCreate();
  // A port nobody listens on: bound (so the kernel picked it) and closed without listen.
  const probe = socket(4);
  bind(probe, parseAddress("127.0.0.1:0"));
  const port = localPort(probe);
  close(probe);
  const address = parseAddress({ host: "127.0.0.1", port });

  for (const [token, check] of [
    [1, (fd: number) => assert.equal(socketError(fd), 111)],
    [2, (fd: number) => assert.throws(() => connectResult(fd), ioError("ECONNREFUSED", 111, "connect"))],
  ] as const) {
    const fd = socket(4);
    let r: number;
    try {
      r = connect(fd, address);
    } catch (e) {
      // Loopback may refuse synchronously; then connect itself must throw the same error.
      assert.ok(ioError("ECONNREFUSED", 111, "connect")(e));
      close(fd);
      continue;
    }
    assert.equal(r, IN_PROGRESS);
    epollAdd(ep, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, token, 0);
    const ev = waitFor(ep, token);
    assert.ok(ev.events & EPOLLERR, `events ${ev.events.toString(16)}`);
    check(fd);
    assert.equal(socketError(fd), 0, "reading SO_ERROR clears it");
    epollDelete(ep, fd);
    close(fd);
  }
  close(ep);
  assert.equal(openFdCount(), before);
});

test("connectResult: false while the handshake is in progress, true once connected", () => {
  // A listener with backlog 0 queues one connection; the kernel drops the SYNs of the next ones,
  // so those clients stay in SYN_SENT (in progress) until a retransmit a second later.
  const listener = socket(4);
  bind(listener, parseAddress("127.0.0.1:0"));
  listen(listener, 0);
  const address = parseAddress({ host: "127.0.0.1", port: localPort(listener) });
  const clients: number[] = [];
  try {
    const results: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const fd = socket(4);
      clients.push(fd);
      const r = connect(fd, address);
      assert.ok(r === 0 || r === IN_PROGRESS);
      results.push(connectResult(fd));
    }
    assert.equal(results[0], true, "the first fits in the queue");
    assert.ok(results.includes(false), `no connect stayed in progress: ${JSON.stringify(results)}`);
  } finally {
    for (const fd of clients) close(fd);
    close(listener);
  }
});

test("write returns WOULD_BLOCK when the send buffer is full", () => {
  unclaimed.length = 0; // tokens are reused from test to test
  const ep = epollCreate();
  const listener = listenOn(ep, "127.0.0.1", 1);
  const [client, server] = connectedPair(ep, "127.0.0.1", listener, 10);
  const chunk = new Uint8Array(1 << 16);
  let total = 0;
  let result = 0;
  for (let i = 0; i < 10_000; i++) {
    result = write(client, chunk, 0, chunk.length);
    if (result === WOULD_BLOCK) break;
    total += result;
  }
  assert.equal(result, WOULD_BLOCK, `wrote ${total} bytes without filling the buffers`);
  assert.ok(total > 0);
  for (const fd of [client, server, listener.fd]) {
    epollDelete(ep, fd);
    close(fd);
  }
  close(ep);
});

test("writing to a connection the peer reset throws EPIPE or ECONNRESET (no SIGPIPE)", () => {
  unclaimed.length = 0; // tokens are reused from test to test
  const ep = epollCreate();
  const listener = listenOn(ep, "127.0.0.1", 1);
  const [client, server] = connectedPair(ep, "127.0.0.1", listener, 20);
  const chunk = new Uint8Array(1024);
  assert.equal(write(client, chunk, 0, chunk.length), chunk.length);
  waitFor(ep, 21, EPOLLIN);
  // Closing with unread data makes the kernel send RST instead of FIN.
  epollDelete(ep, server);
  close(server);
  waitFor(ep, 20, EPOLLERR | EPOLLHUP);
  let error: unknown = null;
  for (let i = 0; i < 100 && error === null; i++) {
    try {
      write(client, chunk, 0, chunk.length);
      epollWait(ep, events, 10);
    } catch (e) {
      error = e;
    }
  }
  assert.ok(error instanceof IoError, `no error after writes to a reset connection: ${String(error)}`);
  assert.ok(["EPIPE", "ECONNRESET"].includes(error.code), error.code);
  assert.equal(error.syscall, "send");
  for (const fd of [client, listener.fd]) {
    epollDelete(ep, fd);
    close(fd);
  }
  close(ep);
});

test("epoll_ctl: MOD changes the reported data; ADD twice and DEL of a stranger throw", () => {
  unclaimed.length = 0; // tokens are reused from test to test
  const ep = epollCreate();
  const efd = eventfd();
  epollAdd(ep, efd, EPOLLOUT | EPOLLET, 5, 6);
  assert.deepEqual(readyNow(ep), [{ events: EPOLLOUT, lo: 5, hi: 6 }]);
  assert.deepEqual(readyNow(ep), [], "edge-triggered: reported once");
  // MOD re-arms: the (still writable) fd is reported again, with the new data.
  epollModify(ep, efd, EPOLLOUT | EPOLLET, 0xffffffff, 0x80000000);
  assert.deepEqual(readyNow(ep), [{ events: EPOLLOUT, lo: 0xffffffff, hi: 0x80000000 }]);
  assert.throws(() => epollAdd(ep, efd, EPOLLIN, 0, 0), ioError("EEXIST", 17, "epoll_ctl"));
  epollDelete(ep, efd);
  assert.throws(() => epollDelete(ep, efd), ioError("ENOENT", 2, "epoll_ctl"));
  close(efd);
  close(ep);
});

test("errors that are not EAGAIN/EINTR are thrown, not swallowed", () => {
  const bad = 1_000_000; // far above any fd this process has
  const buf = new Uint8Array(8);
  assert.throws(() => read(bad, buf, 0, 8), ioError("EBADF", 9, "read"));
  assert.throws(() => write(bad, buf, 0, 8), ioError("EBADF", 9, "send"));
  assert.throws(() => close(bad), ioError("EBADF", 9, "close"));
  assert.throws(() => accept4(bad), ioError("EBADF", 9, "accept4"));
  assert.throws(() => shutdown(bad), ioError("EBADF", 9, "shutdown"));
  assert.throws(() => localPort(bad), ioError("EBADF", 9, "getsockname"));
  const fd = socket(4);
  try {
    assert.throws(() => shutdown(fd), ioError("ENOTCONN", 107, "shutdown"));
    assert.throws(() => accept4(fd), ioError("EINVAL", 22, "accept4"), "accept4 on a socket that is not listening");
    assert.throws(() => connect(fd, parseAddress("[::1]:1")), ioError("EAFNOSUPPORT", 97, "connect"), "IPv6 address on an IPv4 socket");
  } finally {
    close(fd);
  }
});

test("read and write refuse ranges outside the buffer (koffi cannot bound-check a void *)", () => {
  const fd = eventfd();
  try {
    const buf = new Uint8Array(16);
    for (const [off, len] of [
      [0, 17],
      [8, 9],
      [-1, 4],
      [16, 1],
      [1.5, 2],
      [0, -1],
      [Number.NaN, 1],
    ] as const) {
      assert.throws(() => read(fd, buf, off, len), RangeError, `read [${off}, +${len})`);
      assert.throws(() => write(fd, buf, off, len), RangeError, `write [${off}, +${len})`);
    }
    assert.throws(() => read(fd, buf, 0, 0), RangeError, "a 0-byte read would look like EOF");
    assert.equal(read(fd, buf, 8, 8), WOULD_BLOCK, "the last 8 bytes are in range");
  } finally {
    close(fd);
  }
});

test("maxBacklog reads /proc/sys/net/core/somaxconn", () => {
  let expected = 4096;
  try {
    expected = Number.parseInt(readFileSync("/proc/sys/net/core/somaxconn", "utf8"), 10);
  } catch {
    // default
  }
  assert.equal(maxBacklog(), expected);
});

test("creating and closing many fds returns the fd count to where it started", () => {
  const before = openFdCount();
  const fds: number[] = [];
  for (let i = 0; i < 50; i++) fds.push(socket(4), socket(6), eventfd(), epollCreate());
  assert.equal(openFdCount(), before + fds.length);
  for (const fd of fds) close(fd);
  assert.equal(openFdCount(), before);
});
