/**
 * How a thread channel's values become bytes and back: the structured clone algorithm (what
 * `postMessage` and `structuredClone` apply), written into a byte buffer so that it can travel
 * through shared memory to a thread parked in `Atomics.wait`, where no message event arrives.
 *
 * Contract: `decode(encode(v))` is what `structuredClone(v)` gives: the same types (a `Date` stays
 * a `Date`, a `Uint8Array` a `Uint8Array`, `-0`, `NaN`, `undefined` in an array, a `bigint`),
 * an object reached twice is one object in the copy (cycles included), a class instance becomes a
 * plain object of its own enumerable properties, and what cannot be cloned (a function, a symbol,
 * a `SharedArrayBuffer`, a `MessagePort`) throws `DataCloneError`. Two differences, both of
 * `structuredClone` against `postMessage` in Node as well: a `Buffer` comes back as a `Uint8Array`,
 * and nothing is transferred (an `ArrayBuffer` is copied, and stays usable in the sender).
 *
 * Implementation notes: a compact format of our own covers the values channels mostly carry
 * (numbers, strings, booleans, null, plain objects, arrays, dates, bigints, typed arrays and
 * `ArrayBuffer`s); it costs a fraction of `v8.serialize`, whose JavaScript wrapper allocates a
 * serializer and a Buffer per call. Anything else (a `Map`, a `Set`, a `RegExp`, an `Error`, a
 * boxed primitive, a class instance, a sparse array, a resizable buffer) makes the whole value go
 * through `v8.serialize` instead, which implements the algorithm in full. One byte leads each
 * record: our tag, or `V8` for the fallback. An array's non-index properties (rare) are carried by
 * the fallback only: the fast path checks for holes, not for extra keys, which would cost a key
 * listing per array.
 *
 * @module
 */
import { createRequire } from "node:module";
import { RuntimeError } from "../errors.js";

/**
 * `node:v8`, loaded at the first value that needs the fallback: importing it loads half a dozen
 * other built-in modules, ~4 ms at the start of every thread, most of which never send such a value.
 */
let v8Module: typeof import("node:v8") | null = null;
function v8(): typeof import("node:v8") {
  return (v8Module ??= createRequire(import.meta.url)("node:v8") as typeof import("node:v8"));
}

const UNDEFINED = 0;
const NULL = 1;
const FALSE = 2;
const TRUE = 3;
const INT = 4;
const FLOAT = 5;
const ASCII = 6;
const UTF16 = 7;
const BIGINT = 8;
const ARRAY = 9;
const OBJECT = 10;
const DATE = 11;
const ARRAY_BUFFER = 12;
const VIEW = 13;
const REF = 14;
const V8 = 15;

/** The typed-array constructors a view's kind byte names, in order (DataView last). */
const VIEWS = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
] as const;
const VIEW_KIND = new Map<object, number>(VIEWS.map((c, i) => [c.prototype, i]));
// Node's Buffer is a Uint8Array to the algorithm: structuredClone gives a Uint8Array back.
VIEW_KIND.set(Buffer.prototype as object, 1);

/**
 * Thrown inside the fast path for a value it does not cover: the value goes through v8 instead.
 * One instance, made once: throwing it costs no stack capture.
 */
const FALLBACK = new Error("not covered by the fast path");
const NON_ASCII = /[^\x00-\x7f]/;
const MAX_DEPTH = 1000;

/**
 * A growable byte buffer that values are encoded into and decoded from. One per thread (see
 * {@link scratch}): encoding runs outside the channel's lock, then the bytes are copied in.
 */
export class Bytes {
  buf: Buffer;
  view: DataView;
  /** Bytes written (encoding) or the read position (decoding). */
  at = 0;

  constructor(size = 4096) {
    this.buf = Buffer.allocUnsafeSlow(size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Makes room for `n` more bytes after `at`. */
  reserve(n: number): void {
    const need = this.at + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }
}

let shared: Bytes | null = null;

/** This thread's scratch buffer. */
export function scratch(): Bytes {
  return (shared ??= new Bytes());
}

const seen = new Map<object, number>();
let encoding = false;

/**
 * Encodes `value` into `out` from position 0; returns the byte count. Throws `DataCloneError` for a
 * value the algorithm refuses.
 */
export function encode(value: unknown, out: Bytes): number {
  // A getter of the value that sends on a thread channel would write over this thread's scratch.
  if (encoding) throw new RuntimeError("a thread channel's value was read for copying, and sent on a thread channel while being read");
  encoding = true;
  out.at = 0;
  try {
    write(value, out, 0);
  } catch (e) {
    if (e !== FALLBACK) throw e;
    out.at = 0;
    writeV8(value, out);
  } finally {
    encoding = false;
    if (seen.size > 0) seen.clear();
  }
  return out.at;
}

function writeV8(value: unknown, out: Bytes): void {
  let bytes: Buffer;
  try {
    bytes = v8().serialize(value);
  } catch (e) {
    throw cloneError(e);
  }
  out.reserve(1 + bytes.length);
  out.buf[out.at++] = V8;
  bytes.copy(out.buf, out.at);
  out.at += bytes.length;
}

function cloneError(e: unknown): Error {
  if (e instanceof Error && e.name === "DataCloneError") return e;
  const err = new Error(`the value cannot be sent to another thread: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  err.name = "DataCloneError";
  return err;
}

function write(v: unknown, out: Bytes, depth: number): void {
  switch (typeof v) {
    case "number":
      if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
        out.reserve(5);
        out.buf[out.at] = INT;
        out.view.setInt32(out.at + 1, v, true);
        out.at += 5;
      } else {
        out.reserve(9);
        out.buf[out.at] = FLOAT;
        out.view.setFloat64(out.at + 1, v, true);
        out.at += 9;
      }
      return;
    case "string":
      writeString(v, out);
      return;
    case "boolean":
      out.reserve(1);
      out.buf[out.at++] = v ? TRUE : FALSE;
      return;
    case "undefined":
      out.reserve(1);
      out.buf[out.at++] = UNDEFINED;
      return;
    case "bigint":
      out.reserve(2);
      out.buf[out.at] = BIGINT;
      out.buf[out.at + 1] = v < 0n ? 1 : 0;
      out.at += 2;
      writeString((v < 0n ? -v : v).toString(16), out);
      return;
    case "object":
      if (v === null) {
        out.reserve(1);
        out.buf[out.at++] = NULL;
        return;
      }
      writeObject(v, out, depth);
      return;
    default:
      // Functions and symbols: v8 throws the DataCloneError that names them.
      throw FALLBACK;
  }
}

function writeString(s: string, out: Bytes): void {
  const n = s.length;
  if (!NON_ASCII.test(s)) {
    out.reserve(5 + n);
    out.buf[out.at] = ASCII;
    out.view.setUint32(out.at + 1, n, true);
    out.at += 5;
    if (n > 0) out.buf.write(s, out.at, n, "latin1");
    out.at += n;
  } else {
    // UTF-16 code units as they are: lone surrogates survive, as in structuredClone (UTF-8 would not).
    out.reserve(5 + 2 * n);
    out.buf[out.at] = UTF16;
    out.view.setUint32(out.at + 1, n, true);
    out.at += 5;
    out.buf.write(s, out.at, 2 * n, "utf16le");
    out.at += 2 * n;
  }
}

function writeRef(v: object, out: Bytes): boolean {
  const index = seen.get(v);
  if (index === undefined) {
    seen.set(v, seen.size);
    return false;
  }
  out.reserve(5);
  out.buf[out.at] = REF;
  out.view.setUint32(out.at + 1, index, true);
  out.at += 5;
  return true;
}

function writeObject(v: object, out: Bytes, depth: number): void {
  if (depth > MAX_DEPTH) throw FALLBACK;
  const proto = Object.getPrototypeOf(v) as object | null;
  if (proto === Object.prototype || proto === null) {
    if (writeRef(v, out)) return;
    const keys = Object.keys(v);
    out.reserve(5);
    out.buf[out.at] = OBJECT;
    out.view.setUint32(out.at + 1, keys.length, true);
    out.at += 5;
    const o = v as Record<string, unknown>;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      writeString(k, out);
      write(o[k], out, depth + 1);
    }
    return;
  }
  if (proto === Array.prototype) {
    if (writeRef(v, out)) return;
    const a = v as unknown[];
    const n = a.length;
    out.reserve(5);
    out.buf[out.at] = ARRAY;
    out.view.setUint32(out.at + 1, n, true);
    out.at += 5;
    for (let i = 0; i < n; i++) {
      if (!(i in a)) throw FALLBACK;
      write(a[i], out, depth + 1);
    }
    return;
  }
  if (proto === Date.prototype) {
    if (writeRef(v, out)) return;
    out.reserve(9);
    out.buf[out.at] = DATE;
    out.view.setFloat64(out.at + 1, (v as Date).getTime(), true);
    out.at += 9;
    return;
  }
  if (proto === ArrayBuffer.prototype) {
    writeArrayBuffer(v as ArrayBuffer, out);
    return;
  }
  const kind = VIEW_KIND.get(proto);
  if (kind !== undefined) {
    const view = v as ArrayBufferView;
    if (!(view.buffer instanceof ArrayBuffer)) throw FALLBACK;
    if (writeRef(v, out)) return;
    out.reserve(10);
    out.buf[out.at] = VIEW;
    out.buf[out.at + 1] = kind;
    out.view.setUint32(out.at + 2, view.byteOffset, true);
    out.view.setUint32(out.at + 6, view.byteLength, true);
    out.at += 10;
    writeArrayBuffer(view.buffer, out);
    return;
  }
  throw FALLBACK;
}

function writeArrayBuffer(b: ArrayBuffer, out: Bytes): void {
  if ((b as { resizable?: boolean }).resizable === true) throw FALLBACK;
  if (writeRef(b, out)) return;
  const n = b.byteLength;
  out.reserve(5 + n);
  out.buf[out.at] = ARRAY_BUFFER;
  out.view.setUint32(out.at + 1, n, true);
  out.at += 5;
  out.buf.set(new Uint8Array(b), out.at);
  out.at += n;
}

const refs: unknown[] = [];

/** Decodes the value `encode` wrote at the start of `input` (its `at` moves past it). */
export function decode(input: Bytes, length: number): unknown {
  input.at = 0;
  const tag = input.buf[0]!;
  // A primitive holds no reference to reset afterwards.
  if (tag < ARRAY) return read(input);
  if (tag === V8) return v8().deserialize(input.buf.subarray(1, length));
  try {
    return read(input);
  } finally {
    refs.length = 0;
  }
}

function read(r: Bytes): unknown {
  const tag = r.buf[r.at++];
  switch (tag) {
    case UNDEFINED:
      return undefined;
    case NULL:
      return null;
    case FALSE:
      return false;
    case TRUE:
      return true;
    case INT: {
      const x = r.view.getInt32(r.at, true);
      r.at += 4;
      return x;
    }
    case FLOAT: {
      const x = r.view.getFloat64(r.at, true);
      r.at += 8;
      return x;
    }
    case ASCII:
    case UTF16:
      r.at--;
      return readString(r);
    case BIGINT: {
      const negative = r.buf[r.at++] === 1;
      const magnitude = BigInt(`0x${readString(r)}`);
      return negative ? -magnitude : magnitude;
    }
    case ARRAY: {
      const n = r.view.getUint32(r.at, true);
      r.at += 4;
      const a = new Array<unknown>(n);
      refs.push(a);
      for (let i = 0; i < n; i++) a[i] = read(r);
      return a;
    }
    case OBJECT: {
      const n = r.view.getUint32(r.at, true);
      r.at += 4;
      const o: Record<string, unknown> = {};
      refs.push(o);
      for (let i = 0; i < n; i++) {
        const k = readString(r);
        // Assigning "__proto__" would set the prototype; the algorithm defines a property.
        if (k === "__proto__") Object.defineProperty(o, k, { value: read(r), writable: true, enumerable: true, configurable: true });
        else o[k] = read(r);
      }
      return o;
    }
    case DATE: {
      const d = new Date(r.view.getFloat64(r.at, true));
      r.at += 8;
      refs.push(d);
      return d;
    }
    case ARRAY_BUFFER:
      return readArrayBuffer(r);
    case VIEW: {
      const kind = r.buf[r.at]!;
      const offset = r.view.getUint32(r.at + 1, true);
      const bytes = r.view.getUint32(r.at + 5, true);
      r.at += 9;
      const index = refs.length;
      refs.push(null);
      const b = read(r) as ArrayBuffer;
      const C = VIEWS[kind]!;
      const view =
        C === DataView
          ? new DataView(b, offset, bytes)
          : new (C as Uint8ArrayConstructor)(b, offset, bytes / (C as Uint8ArrayConstructor).BYTES_PER_ELEMENT);
      refs[index] = view;
      return view;
    }
    case REF: {
      const index = r.view.getUint32(r.at, true);
      r.at += 4;
      return refs[index];
    }
    default:
      throw new RangeError(`thread channel: a record with unknown tag ${String(tag)} (corrupt shared memory?)`);
  }
}

function readString(r: Bytes): string {
  const tag = r.buf[r.at];
  const n = r.view.getUint32(r.at + 1, true);
  r.at += 5;
  let s: string;
  if (tag === ASCII) {
    s = r.buf.toString("latin1", r.at, r.at + n);
    r.at += n;
  } else {
    s = r.buf.toString("utf16le", r.at, r.at + 2 * n);
    r.at += 2 * n;
  }
  return s;
}

function readArrayBuffer(r: Bytes): ArrayBuffer {
  const n = r.view.getUint32(r.at, true);
  r.at += 4;
  const b = new ArrayBuffer(n);
  new Uint8Array(b).set(r.buf.subarray(r.at, r.at + n));
  r.at += n;
  refs.push(b);
  return b;
}
