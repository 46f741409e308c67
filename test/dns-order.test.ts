// RFC 8305 section 4: interleaving the families of a name's addresses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CONNECTION_ATTEMPT_DELAY_MS, interleaveFamilies } from "../src/net/dns/address-order.js";

type A = { family: 4 | 6; ip: string };
const a = (spec: string): A[] => spec.split(" ").map((s) => ({ family: s.startsWith("6") ? 6 : 4, ip: s }));
const ips = (list: A[]): string => list.map((x) => x.ip).join(" ");

test("the first family's first address, then the other family's, then alternating", () => {
  assert.equal(ips(interleaveFamilies(a("6a 6b 6c 4a 4b"))), "6a 4a 6b 4b 6c");
  assert.equal(ips(interleaveFamilies(a("4a 4b 6a 6b"))), "4a 6a 4b 6b");
  // The RFC's example: IPv6 first, the first IPv4 address moved up to second place.
  assert.equal(ips(interleaveFamilies(a("6a 6b 6c 6d 4a"))), "6a 4a 6b 6c 6d");
});

test("order within each family is kept; the tail of the longer family follows", () => {
  assert.equal(ips(interleaveFamilies(a("4a 6a 6b 6c 4b"))), "4a 6a 4b 6b 6c");
});

test("First Address Family Count: that many of the first family before the other", () => {
  assert.equal(ips(interleaveFamilies(a("6a 6b 6c 4a 4b"), 2)), "6a 6b 4a 6c 4b");
  assert.equal(ips(interleaveFamilies(a("6a 4a"), 3)), "6a 4a");
});

test("one family, one address, none: unchanged; the input is not modified", () => {
  const input = a("4a 4b 4c");
  assert.equal(ips(interleaveFamilies(input)), "4a 4b 4c");
  assert.equal(ips(interleaveFamilies(a("6a"))), "6a");
  assert.deepEqual(interleaveFamilies([]), []);
  const mixed = a("6a 6b 4a");
  interleaveFamilies(mixed);
  assert.equal(ips(mixed), "6a 6b 4a");
});

test("a First Address Family Count below 1 or fractional is refused", () => {
  assert.throws(() => interleaveFamilies(a("4a"), 0), RangeError);
  assert.throws(() => interleaveFamilies(a("4a"), 1.5), RangeError);
});

test("the connection attempt delay is RFC 8305's recommended 250 ms", () => {
  assert.equal(CONNECTION_ATTEMPT_DELAY_MS, 250);
});
