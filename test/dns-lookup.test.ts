// lookup(): what is answered in the calling thread (IP literals, localhost, the hosts file), bad
// input, and lookups from other threads. Imports the runtime from src (one copy: dist/src).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { init, lookup, spawnThread, DnsError, type LookupAddress, type LookupOptions } from "../src/index.js";
import { useHostsFile } from "../src/net/dns/lookup.js";
import { resetResolverPool, resolverPoolStats } from "../src/runtime/resolver-pool.js";
import { InvalidAddressError } from "../src/sys/index.js";
import { runModule } from "./util/run-child.js";

const ex = init();
const dir = mkdtempSync(join(tmpdir(), "dns-lookup-"));
const hostsPath = join(dir, "hosts");
writeFileSync(
  hostsPath,
  [
    "10.20.30.40 dual.test dual-alias",
    "2001:db8::7 dual.test",
    "10.20.30.41 v4only.invalid",
    "2001:db8::8 v6only.test",
    "10.20.30.42 xn--bcher-kva.test # bücher.test in IDNA form",
  ].join("\n"),
);
useHostsFile(hostsPath);
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

function resolve(host: string, options?: LookupOptions): LookupAddress[] {
  return ex.blockOn(lookup(host, options));
}

function failure(host: string, options?: LookupOptions): Error {
  try {
    resolve(host, options);
  } catch (e) {
    return e as Error;
  }
  assert.fail(`${host} resolved`);
}

test("IP literals are their own answer, whatever family was asked for", () => {
  assert.deepEqual(resolve("192.0.2.1"), [{ address: "192.0.2.1", family: 4 }]);
  assert.deepEqual(resolve("2001:DB8:0:0::1"), [{ address: "2001:db8::1", family: 6 }]);
  assert.deepEqual(resolve("192.0.2.1", { family: 6 }), [{ address: "192.0.2.1", family: 4 }]);
});

test("localhost is 127.0.0.1, then ::1, in any case; family picks one", () => {
  const both = [
    { address: "127.0.0.1", family: 4 },
    { address: "::1", family: 6 },
  ];
  assert.deepEqual(resolve("localhost"), both);
  assert.deepEqual(resolve("LocalHost"), both);
  assert.deepEqual(resolve("localhost", { family: 4 }), [both[0]]);
  assert.deepEqual(resolve("localhost", { family: 6 }), [both[1]]);
});

test("names in the hosts file resolve in this thread, in file order, aliases and case included", () => {
  resetResolverPool();
  assert.deepEqual(resolve("dual.test"), [
    { address: "10.20.30.40", family: 4 },
    { address: "2001:db8::7", family: 6 },
  ]);
  assert.deepEqual(resolve("DUAL-ALIAS"), [{ address: "10.20.30.40", family: 4 }]);
  assert.deepEqual(resolve("dual.test", { family: 6 }), [{ address: "2001:db8::7", family: 6 }]);
  assert.deepEqual(resolve("v6only.test"), [{ address: "2001:db8::8", family: 6 }]);
  assert.equal(resolverPoolStats().started, 0, "no resolver thread was needed");
});

test("a name that is not ASCII is looked up in its IDNA form", () => {
  assert.deepEqual(resolve("bücher.test"), [{ address: "10.20.30.42", family: 4 }]);
  assert.deepEqual(resolve("BÜCHER.test"), [{ address: "10.20.30.42", family: 4 }]);
});

test("a listed name without an address of the family asked for goes on to the system resolver", () => {
  const e = failure("v4only.invalid", { family: 6 }) as DnsError;
  assert.ok(e instanceof DnsError, String(e));
  assert.equal(e.code, "ENOTFOUND");
  assert.equal(e.hostname, "v4only.invalid");
  assert.ok(resolverPoolStats().started >= 1, "asked on a resolver thread");
});

test("a string that cannot be a hostname is refused with a clear error, before any lookup", () => {
  for (const bad of ["", "a b", "tab\there", "nul\0", "x".repeat(255), "bad..idna-\u{1F600}\u0000"]) {
    const e = failure(bad);
    assert.ok(e instanceof InvalidAddressError, `${JSON.stringify(bad)}: ${String(e)}`);
    assert.equal(e.code, "ERR_INVALID_ADDRESS");
  }
  const e = failure("localhost", { family: 5 as 4 });
  assert.ok(e instanceof RangeError);
  assert.match(e.message, /family must be 0, 4 or 6/);
});

test("a 253-character name is a name (254 with the final dot): it is looked up", () => {
  const label = "a".repeat(63);
  const name = `${label}.${label}.${label}.${"b".repeat(53)}.invalid`;
  assert.equal(name.length, 253);
  assert.equal(failure(name).constructor, DnsError);
  assert.equal(failure(`${name}.`).constructor, DnsError);
});

test("a thread started with spawnThread looks names up on its own pool", () => {
  const out = new SharedArrayBuffer(20);
  const h = spawnThread("dns-1", new URL("./util/dns-thread-program.js", import.meta.url), "lookUpLocalhost", out);
  ex.blockOn(h.join());
  const words = new Int32Array(out);
  assert.deepEqual(Array.from(words.subarray(0, 4)), [127, 0, 0, 1]);
  assert.equal(words[4], 1, "one resolver thread, that thread's own");
});

test("the package's bundle starts its resolver threads (a name for the system resolver)", async () => {
  const r = await runModule(`
    import { Executor, lookup } from "reactor-executor";
    try { new Executor().blockOn(lookup("no-such-host.invalid")); } catch (e) { console.log(e.name, e.code); }
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "DnsError ENOTFOUND");
});
