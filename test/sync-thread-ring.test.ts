// The shared memory of a thread channel, driven by hand through several views of one buffer (as
// several threads map it): records, their order, the limits of a ring, entries claimed, released
// and claimed again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Bytes } from "../src/sync/thread-codec.js";
import { SharedChannel } from "../src/sync/thread-ring.js";

function record(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function taken(view: SharedChannel, out: Bytes): string | null {
  const n = view.takeAny(out);
  return n === 0 ? null : new TextDecoder().decode(out.buf.subarray(0, n));
}

test("a ring holds capacity records and bytes; records that do not fit before the end start at the beginning", () => {
  const producer = SharedChannel.create(4, 64, 4);
  const consumer = new SharedChannel(producer.buffer);
  const out = new Bytes(8);
  const e = producer.claim(2, 1, 0);
  const twenty = "x".repeat(20);
  assert.equal(producer.put(e, record(`a${twenty}`), 21), true);
  assert.equal(producer.put(e, record(`b${twenty}`), 21), true);
  assert.equal(producer.put(e, record(`c${twenty}`), 21), true);
  assert.equal(producer.put(e, record(`d${twenty}`), 21), false, "64 bytes hold three records of 21");
  assert.equal(taken(consumer, out), `a${twenty}`);
  // 21 bytes are free at the start, 1 at the end: the next record skips the end.
  assert.equal(producer.put(e, record(`d${twenty}`), 21), true);
  assert.equal(producer.ringLength(e), 3);
  for (const c of "bcd") assert.equal(taken(consumer, out), `${c}${twenty}`);
  assert.equal(taken(consumer, out), null);
  for (let i = 0; i < 4; i++) assert.equal(producer.put(e, record(`${i}`), 1), true);
  assert.equal(producer.put(e, record("5"), 1), false, "capacity 4");
  assert.equal(consumer.length(), 4);
});

test("an entry released by one thread and claimed by another, then again by the first: its records stay in order", () => {
  const first = SharedChannel.create(8, 256, 4);
  const second = new SharedChannel(first.buffer);
  const consumer = new SharedChannel(first.buffer);
  const out = new Bytes(8);
  const e = first.claim(2, 1, 0);
  consumer.claim(3, 0, 1);
  first.put(e, record("first 1"), 7);
  assert.equal(taken(consumer, out), "first 1");
  assert.equal(first.release(e, 2), true);
  const again = second.claim(4, 1, 0);
  assert.equal(again, e, "the freed entry is the first free one");
  for (let i = 0; i < 5; i++) second.put(again, record(`second ${i}`), 8);
  for (let i = 0; i < 5; i++) assert.equal(taken(consumer, out), `second ${i}`);
  second.release(again, 4);
  assert.equal(first.claim(2, 1, 0), e);
  first.put(e, record("first 2"), 7);
  assert.equal(consumer.length(), 1);
  assert.equal(taken(consumer, out), "first 2");
  assert.equal(taken(consumer, out), null);
});

test("a holder released with records left: its entry drains, and is claimed again only once empty", () => {
  const producer = SharedChannel.create(4, 256, 2);
  const consumer = new SharedChannel(producer.buffer);
  const out = new Bytes(8);
  const e = producer.claim(2, 1, 0);
  const c = consumer.claim(3, 0, 1);
  producer.put(e, record("kept"), 4);
  producer.release(e, 2);
  assert.equal(producer.txGone, true, "its sender was the last");
  assert.equal(consumer.claim(5, 0, 0), -1, "two entries: one held, one draining");
  assert.equal(taken(consumer, out), "kept");
  assert.notEqual(consumer.claim(5, 0, 0), -1);
  assert.equal(c, 1 - e);
});

test("the last receiver released sets RX_GONE; a dead holder's entry is released once, by whoever comes first", () => {
  const a = SharedChannel.create(4, 256, 4);
  const b = new SharedChannel(a.buffer);
  const sender = a.claim(2, 1, 0);
  const receiver = b.claim(3, 0, 1);
  assert.equal(a.rxGone, false);
  assert.equal(a.releaseThreads([2]), 1, "thread 2's entry (tag 3)");
  assert.equal(a.release(receiver, 3), false, "released already");
  assert.equal(a.rxGone, true);
  assert.equal(a.txGone, false);
  assert.equal(b.release(sender, 2), true);
  assert.equal(b.txGone, true);
});
