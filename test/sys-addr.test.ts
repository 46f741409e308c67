import { test } from "node:test";
import assert from "node:assert/strict";
import { SocketAddress as NodeSocketAddress } from "node:net";
import { decodeSockaddr, formatAddress, InvalidAddressError, parseAddress, parseAddresses, type AddressInput } from "../src/sys/index.js";

function isInvalidAddress(pattern?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof Error, "an Error");
    assert.ok(e instanceof InvalidAddressError, `an InvalidAddressError, got ${String(e)}`);
    assert.equal((e as { code?: string }).code, "ERR_INVALID_ADDRESS");
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

test("IPv4 host:port encodes a 16-byte sockaddr_in, port big-endian", () => {
  const a = parseAddress("127.0.0.1:8080");
  assert.equal(a.family, 4);
  assert.equal(a.ip, "127.0.0.1");
  assert.equal(a.port, 8080);
  assert.deepEqual([...a.bytes], [2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
});

test("[v6]:port encodes a 28-byte sockaddr_in6", () => {
  const a = parseAddress("[::1]:443");
  assert.equal(a.family, 6);
  assert.equal(a.ip, "::1");
  assert.equal(a.port, 443);
  assert.equal(a.bytes.length, 28);
  const expected = new Uint8Array(28);
  expected.set([10, 0, 0x01, 0xbb]);
  expected[23] = 1;
  assert.deepEqual(a.bytes, expected);
});

test("object form, with a bare or bracketed IPv6 host", () => {
  assert.deepEqual(parseAddress({ host: "10.1.2.3", port: 0 }).bytes.subarray(0, 8), Uint8Array.of(2, 0, 0, 0, 10, 1, 2, 3));
  assert.equal(parseAddress({ host: "::1", port: 1 }).ip, "::1");
  assert.equal(parseAddress({ host: "[fe80::1]", port: 1 }).ip, "fe80::1");
  assert.equal(parseAddress({ host: "0.0.0.0", port: 65535 }).port, 65535);
});

test("localhost: 127.0.0.1 first, ::1 as the alternative", () => {
  for (const input of ["localhost:80", "LocalHost:80", { host: "localhost", port: 80 }] as AddressInput[]) {
    const all = parseAddresses(input);
    assert.deepEqual(
      all.map((a) => [a.family, a.ip, a.port]),
      [
        [4, "127.0.0.1", 80],
        [6, "::1", 80],
      ],
    );
    assert.equal(parseAddress(input).ip, "127.0.0.1");
  }
});

test("IPv6 text forms parse to the same bytes Node's own parser gives, printed canonically", () => {
  const cases = [
    "::",
    "::1",
    "1::",
    "fe80::1",
    "2001:db8::8:800:200c:417a",
    "2001:DB8:0:0:8:800:200C:417A",
    "1:2:3:4:5:6:7:8",
    "1:0:0:2:0:0:0:3",
    "0:0:1:0:0:1:0:0",
    "::ffff:192.168.1.1",
    "64:ff9b::1.2.3.4",
    "1:2:3:4:5:6:7::",
    "::2:3:4:5:6:7:8",
    "2001:0db8:0000:0000:0000:ff00:0042:8329",
  ];
  for (const text of cases) {
    const ours = parseAddress({ host: text, port: 1 });
    const node = new NodeSocketAddress({ address: text, family: "ipv6", port: 1 });
    assert.equal(ours.ip, node.address, text);
    // Round trip through our own parser: the canonical form means the same bytes.
    assert.deepEqual(parseAddress(`[${ours.ip}]:1`).bytes, ours.bytes, text);
  }
});

test("formatAddress and decodeSockaddr invert parseAddress", () => {
  for (const text of ["127.0.0.1:80", "[::1]:8080", "[2001:db8::1]:0", "255.255.255.255:65535"]) {
    const a = parseAddress(text);
    assert.equal(formatAddress(a), text);
    const back = decodeSockaddr(a.bytes);
    assert.deepEqual([back.family, back.ip, back.port, [...back.bytes]], [a.family, a.ip, a.port, [...a.bytes]]);
  }
});

test("hostnames are refused: no DNS", () => {
  for (const input of ["example.com:80", { host: "example.com", port: 80 }, "my-host:1", "0x7f.0.0.1:80"] as AddressInput[]) {
    assert.throws(
      () => parseAddress(input),
      isInvalidAddress(/hostname resolution \(DNS\) is not supported: use an IP literal or localhost/),
    );
  }
});

test("bad ports are refused with a clear message", () => {
  const bad: AddressInput[] = [
    "127.0.0.1:65536",
    "127.0.0.1:-1",
    "127.0.0.1:",
    "127.0.0.1:80a",
    "127.0.0.1:8 0",
    "127.0.0.1:1e3",
    "[::1]:99999",
    { host: "127.0.0.1", port: -1 },
    { host: "127.0.0.1", port: 1.5 },
    { host: "127.0.0.1", port: 70000 },
    { host: "127.0.0.1", port: Number.NaN },
    { host: "127.0.0.1", port: "80" as unknown as number },
  ];
  for (const input of bad) assert.throws(() => parseAddress(input), isInvalidAddress(/port/), JSON.stringify(input));
});

test("malformed addresses are refused", () => {
  const bad: unknown[] = [
    "",
    "127.0.0.1",
    ":80",
    "[::1]",
    "[::1]80",
    "[::1",
    "::1:80",
    "1.2.3.4.5:80",
    "256.0.0.1:80",
    "1.2.3:80",
    "01.2.3.4:80",
    "1..2.3:80",
    "[1::2::3]:80",
    "[12345::]:80",
    "[::g]:80",
    "[1:2:3:4:5:6:7:8:9]:80",
    "[1:2:3:4:5:6:7]:80",
    "[::1.2.3]:80",
    "[1.2.3.4::]:80",
    "[fe80::1%eth0]:80",
    { host: "", port: 1 },
    42,
    null,
  ];
  for (const input of bad) {
    assert.throws(() => parseAddress(input as AddressInput), isInvalidAddress(), JSON.stringify(input));
  }
});
