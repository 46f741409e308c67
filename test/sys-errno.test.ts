import { test } from "node:test";
import assert from "node:assert/strict";
import { constants } from "node:os";
import { IoError } from "../src/errors.js";
import { ERRNO, errnoName, throwIoError } from "../src/sys/index.js";

const REQUIRED = [
  "EPERM",
  "ENOENT",
  "EINTR",
  "EIO",
  "EBADF",
  "EAGAIN",
  "ENOMEM",
  "EACCES",
  "EFAULT",
  "EBUSY",
  "EEXIST",
  "EINVAL",
  "ENFILE",
  "EMFILE",
  "ENOSPC",
  "EPIPE",
  "EDEADLK",
  "ENOSYS",
  "ENOTSOCK",
  "EDESTADDRREQ",
  "EMSGSIZE",
  "EPROTOTYPE",
  "ENOPROTOOPT",
  "EPROTONOSUPPORT",
  "EOPNOTSUPP",
  "EAFNOSUPPORT",
  "EADDRINUSE",
  "EADDRNOTAVAIL",
  "ENETDOWN",
  "ENETUNREACH",
  "ENETRESET",
  "ECONNABORTED",
  "ECONNRESET",
  "ENOBUFS",
  "EISCONN",
  "ENOTCONN",
  "ETIMEDOUT",
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "EALREADY",
  "EINPROGRESS",
] as const;

test("the table has every required name", () => {
  for (const name of REQUIRED) assert.equal(typeof (ERRNO as Record<string, number>)[name], "number", name);
});

test("the table agrees with this platform's own errno numbers (os.constants.errno)", () => {
  const platform = constants.errno as Record<string, number>;
  let compared = 0;
  for (const [name, value] of Object.entries(ERRNO)) {
    if (platform[name] === undefined) continue;
    assert.equal(value, platform[name], `${name}: ours ${value}, the platform's ${platform[name]}`);
    compared++;
  }
  assert.ok(compared >= REQUIRED.length, `compared only ${compared} names`);
});

test("errnoName gives the primary name, and a stable code for unknown numbers", () => {
  assert.equal(errnoName(111), "ECONNREFUSED");
  assert.equal(errnoName(11), "EAGAIN"); // not EWOULDBLOCK
  assert.equal(errnoName(35), "EDEADLK"); // not EDEADLOCK
  assert.equal(errnoName(95), "EOPNOTSUPP"); // not ENOTSUP
  assert.equal(errnoName(24), "EMFILE");
  assert.equal(errnoName(4242), "ERRNO_4242");
  for (const [name, value] of Object.entries(ERRNO)) {
    assert.equal(ERRNO[errnoName(value) as keyof typeof ERRNO], value, name);
  }
});

test("throwIoError throws an IoError with code, positive errno and syscall", () => {
  assert.throws(
    () => throwIoError("connect", 111),
    (e: unknown) => {
      assert.ok(e instanceof IoError);
      assert.equal(e.code, "ECONNREFUSED");
      assert.equal(e.errno, 111);
      assert.equal(e.syscall, "connect");
      assert.match(e.message, /connect.*ECONNREFUSED/);
      return true;
    },
  );
});
