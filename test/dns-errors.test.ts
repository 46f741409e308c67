// getaddrinfo's results as errors (src/sys/dns-error.ts): Node's codes, the errno each carries.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DnsError, IoError } from "../src/errors.js";
import { dnsError, EAI } from "../src/sys/index.js";

test("EAI_NONAME and EAI_NODATA are ENOTFOUND, as Node's dns.lookup reports them", () => {
  for (const [status, errno] of [
    [EAI.NONAME, 2],
    [EAI.NODATA, 5],
  ] as const) {
    const e = dnsError(status, 0, "nowhere.invalid");
    assert.ok(e instanceof DnsError && e instanceof IoError && e instanceof Error);
    assert.equal(e.name, "DnsError");
    assert.equal(e.code, "ENOTFOUND");
    assert.equal(e.errno, errno);
    assert.equal(e.syscall, "getaddrinfo");
    assert.equal(e.hostname, "nowhere.invalid");
    assert.equal(e.message, "getaddrinfo ENOTFOUND nowhere.invalid");
  }
});

test("the other results keep their EAI_ names, errno the constant's magnitude", () => {
  assert.deepEqual(pick(dnsError(EAI.AGAIN, 0, "h")), ["EAI_AGAIN", 3]);
  assert.deepEqual(pick(dnsError(EAI.FAIL, 0, "h")), ["EAI_FAIL", 4]);
  assert.deepEqual(pick(dnsError(EAI.MEMORY, 0, "h")), ["EAI_MEMORY", 10]);
  assert.deepEqual(pick(dnsError(-77, 0, "h")), ["EAI_77", 77], "an unknown result still has a stable code");
});

test("EAI_SYSTEM carries the system errno when it is known, else its own name", () => {
  assert.deepEqual(pick(dnsError(EAI.SYSTEM, 24, "h")), ["EMFILE", 24]);
  assert.deepEqual(pick(dnsError(EAI.SYSTEM, 0, "h")), ["EAI_SYSTEM", 11]);
});

function pick(e: DnsError): [string, number] {
  return [e.code, e.errno];
}
