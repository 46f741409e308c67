// The hosts file, parsed and re-read in the calling thread (src/sys/hosts.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostsFile, parseHosts, type IpAddress } from "../src/sys/index.js";

function text(ips: readonly IpAddress[] | undefined): string[] | undefined {
  return ips?.map((ip) => (ip.family === 4 ? ip.bytes.join(".") : `v6 ${Array.from(ip.bytes).join(" ")}`));
}

const V6_LOOPBACK = "v6 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1";

test("names and aliases, comments, tabs, case, several lines for one name", () => {
  const names = parseHosts(
    [
      "# a comment line",
      "127.0.0.1\tlocalhost   loopback # trailing comment",
      "10.0.0.5 Db.Example db   # a name in capitals matches in any case",
      "::1 localhost ip6-localhost",
      "10.0.0.6 db",
      "10.0.0.5 db",
      "",
      "   ",
    ].join("\r\n"),
  );
  assert.deepEqual(text(names.get("localhost")), ["127.0.0.1", V6_LOOPBACK]);
  assert.deepEqual(text(names.get("loopback")), ["127.0.0.1"]);
  assert.deepEqual(text(names.get("db.example")), ["10.0.0.5"]);
  assert.deepEqual(text(names.get("db")), ["10.0.0.5", "10.0.0.6"], "file order, each address once");
  assert.deepEqual(text(names.get("ip6-localhost")), [V6_LOOPBACK]);
  assert.equal(names.has("#"), false);
  assert.equal(names.size, 5);
});

test("lines that are not an address and a name are skipped", () => {
  const names = parseHosts(
    [
      "127.0.0.1", // no name
      "999.0.0.1 bad-octet",
      "127.1 short-form", // inet_aton's forms are not taken
      "fe80::1%eth0 zoned", // a zone id cannot be carried
      "hostname-first 10.0.0.1",
      "::ffff:10.0.0.9 mapped",
      "2001:db8::1 good",
    ].join("\n"),
  );
  assert.deepEqual([...names.keys()].sort(), ["good", "mapped"]);
  assert.deepEqual(text(names.get("mapped")), ["v6 0 0 0 0 0 0 0 0 0 0 255 255 10 0 0 9"]);
});

test("HostsFile re-reads the file when it changes, and a missing file lists nothing", () => {
  const dir = mkdtempSync(join(tmpdir(), "dns-hosts-"));
  try {
    const path = join(dir, "hosts");
    const hosts = new HostsFile(path);
    assert.equal(hosts.lookup("a"), undefined);
    writeFileSync(path, "10.1.1.1 a\n");
    assert.deepEqual(text(hosts.lookup("A")), ["10.1.1.1"]);
    // Same size, written within the same clock tick as the last read: still seen.
    writeFileSync(path, "10.1.1.2 a\n");
    assert.deepEqual(text(hosts.lookup("a")), ["10.1.1.2"]);
    writeFileSync(path, "10.1.1.3 a b\n");
    assert.deepEqual(text(hosts.lookup("a")), ["10.1.1.3"]);
    assert.deepEqual(text(hosts.lookup("b")), ["10.1.1.3"]);
    rmSync(path);
    assert.equal(hosts.lookup("a"), undefined);
    mkdirSync(path); // unreadable as a file
    assert.equal(hosts.lookup("a"), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the system's /etc/hosts parses, and lists localhost", () => {
  assert.ok(new HostsFile("/etc/hosts").lookup("localhost")?.some((ip) => ip.family === 4 && ip.bytes.join(".") === "127.0.0.1"));
});
