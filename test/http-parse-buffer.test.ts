// The byte queue under both parsers: bytes come out in order across growth and in-place compaction,
// and appended chunks are copied (the caller's read buffer may be reused).
import { test } from "node:test";
import assert from "node:assert/strict";
import { asBuffer, latin1, PendingBytes } from "../src/http/parse-buffer.js";

test("PendingBytes keeps bytes in order through growth and compaction", () => {
  const pending = new PendingBytes();
  const expected: number[] = [];
  let next = 0;
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let round = 0; round < 2000; round++) {
    const chunk = new Uint8Array(random(300));
    for (let i = 0; i < chunk.length; i++) chunk[i] = next++ & 0xff;
    pending.append(chunk);
    chunk.fill(0); // appended bytes were copied
    expected.push(...Array.from({ length: chunk.length }, (_, i) => (next - chunk.length + i) & 0xff));
    const take = random(pending.length + 1);
    assert.deepEqual([...pending.view().subarray(0, take)], expected.slice(0, take), `round ${round}`);
    pending.consume(take);
    expected.splice(0, take);
    assert.equal(pending.length, expected.length);
  }
  assert.deepEqual([...pending.view()], expected);
});

test("compaction moves the unconsumed tail to the front without losing it", () => {
  const pending = new PendingBytes();
  pending.append(Buffer.alloc(200, 0x61)); // store of 256 bytes
  pending.consume(150);
  pending.append(Buffer.from("0123456789".repeat(10))); // 50 + 100 fit in 256 only after compaction
  assert.equal(pending.view().toString(), "a".repeat(50) + "0123456789".repeat(10));
});

test("asBuffer and latin1 view the same memory, one char per byte", () => {
  const bytes = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0d, 0x0a]);
  const buffer = asBuffer(bytes);
  assert.ok(Buffer.isBuffer(buffer));
  bytes[0] = 0x43;
  assert.equal(latin1(buffer, 0, 4), "Café");
  assert.equal(latin1(buffer, 3, 6), "é\r\n");
  assert.equal(asBuffer(buffer), buffer);
});
