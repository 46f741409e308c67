/**
 * The read, write, flush and shutdown futures of every byte stream (`TcpStream`, `TlsStream`):
 * each is one call of the stream's poll, repeated until done. Written once over {@link ByteStream},
 * so a new stream gets them by naming itself.
 *
 * @module
 */
import { PENDING, pollAfterReady, type Future, type Poll } from "../future/future.js";
import type { Waker } from "../future/waker.js";
import type { ByteStream } from "./byte-stream.js";

/** A stream, with how errors and task dumps name it. */
export interface NamedStream extends ByteStream {
  /** The class users know it by: `"TcpStream"`, `"TlsStream"`. */
  readonly kind: string;
  /** Which one, for task dumps: `"fd 12"`, a server name. */
  readonly where: string;
}

/** `stream.read(buf)`: the bytes read, 0 at end of stream. */
export class StreamRead implements Future<number> {
  private done = false;
  constructor(
    private readonly stream: NamedStream,
    private readonly buf: Uint8Array,
  ) {}

  poll(waker: Waker): Poll<number> {
    if (this.done) pollAfterReady(`${this.stream.kind}.read()`);
    const n = this.stream.pollRead(waker, this.buf, 0, this.buf.length);
    if (n !== PENDING) this.done = true;
    return n;
  }

  describe(): string {
    return `${this.stream.kind}.read ${this.stream.where}`;
  }
}

/** `stream.write(buf)` (some of it) or, `all`, `writeAll` (all of it, then flushed): the bytes written. */
export class StreamWrite implements Future<number> {
  private written = 0;
  private done = false;
  constructor(
    private readonly stream: NamedStream,
    private readonly buf: Uint8Array,
    private readonly all: boolean,
  ) {}

  poll(waker: Waker): Poll<number> {
    if (this.done) pollAfterReady(`${this.stream.kind}.${this.all ? "writeAll" : "write"}()`);
    const len = this.buf.length;
    while (this.written < len) {
      const n = this.stream.pollWrite(waker, this.buf, this.written, len - this.written);
      if (n === PENDING) return PENDING;
      this.written += n;
      if (!this.all) break;
    }
    if (this.all && this.stream.pollFlush(waker) === PENDING) return PENDING;
    this.done = true;
    return this.written;
  }

  describe(): string {
    const op = this.all ? "writeAll" : "write";
    return `${this.stream.kind}.${op} ${this.stream.where} (${this.written} of ${this.buf.length} bytes written)`;
  }
}

/** `stream.flush()` or, `shutdown`, `stream.shutdown()` as a future. */
export class StreamFlush implements Future<void> {
  private done = false;
  constructor(
    private readonly stream: NamedStream,
    private readonly shutdown: boolean,
  ) {}

  poll(waker: Waker): Poll<void> {
    if (this.done) pollAfterReady(`${this.stream.kind}.${this.shutdown ? "shutdown" : "flush"}()`);
    const r = this.shutdown ? this.stream.pollShutdown(waker) : this.stream.pollFlush(waker);
    if (r !== PENDING) this.done = true;
    return r;
  }

  describe(): string {
    return `${this.stream.kind}.${this.shutdown ? "shutdown" : "flush"} ${this.stream.where}`;
  }
}
