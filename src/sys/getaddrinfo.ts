/**
 * getaddrinfo through koffi, for the resolver's threads: glibc's asynchronous `getaddrinfo_a`
 * (a request runs on glibc's own thread while the caller waits on it in slices) and, where the C
 * library has none (musl), the blocking `getaddrinfo`.
 *
 * Why the asynchronous form, although the caller is a thread of its own anyway: Node cannot stop
 * a worker blocked inside a native call, and at exit it waits for every worker to stop. A lookup
 * can block for as long as the name servers take (resolv.conf's `timeout` x `attempts` per server
 * and per search domain), or for ever (a stalled NSS module). A worker that waits in
 * `gai_suspend` slices returns to JavaScript between them, so it can be stopped within a slice;
 * glibc's thread, a plain pthread Node does not know, is simply ended with the process.
 *
 * Memory: a request's name, hints and `struct gaicb` are handed to glibc's thread, so they live in
 * native memory (`koffi.alloc`, never moved or collected) and are freed only once glibc is done
 * with them: a request abandoned mid-lookup keeps its memory until it finishes (see
 * {@link GaiRequest.cancel}).
 *
 * Layouts (LP64 Linux, x86_64 and arm64 alike): `struct addrinfo` is 48 bytes, `struct gaicb` 56.
 *
 * @module
 */
import koffi from "koffi";
import { AF_INET, AF_INET6, type IpAddress } from "./addr.js";
import { EAI } from "./dns-error.js";

/** Room for a name and its terminating NUL: a DNS name is at most 253 characters, 254 with a final dot. */
export const NAME_BYTES = 256;

const SOCK_STREAM = 1;
const GAI_NOWAIT = 1;
const AF_UNSPEC = 0;

const AddrInfo = koffi.struct({
  ai_flags: "int",
  ai_family: "int",
  ai_socktype: "int",
  ai_protocol: "int",
  ai_addrlen: "uint32_t",
  ai_addr: "void *",
  ai_canonname: "void *",
  ai_next: "void *",
});
const GaiCb = koffi.struct({
  ar_name: "void *",
  ar_service: "void *",
  ar_request: "void *",
  ar_result: "void *",
  ret: "int",
  reserved: koffi.array("int", 5),
});

/** A pointer koffi gives back (an opaque external), or NULL. */
type Pointer = object | null;

interface AddrInfoFields {
  ai_family: number;
  ai_addrlen: number;
  ai_addr: Pointer;
  ai_next: Pointer;
}

interface AsyncCalls {
  getaddrinfo_a: (mode: number, list: Pointer, n: number, sevp: null) => number;
  gai_suspend: (list: Pointer, n: number, timeout: BigInt64Array) => number;
  gai_error: (req: Pointer) => number;
  gai_cancel: (req: Pointer) => number;
}

function openLibc(): ReturnType<typeof koffi.load> | null {
  if (process.platform !== "linux") return null;
  try {
    return koffi.load("libc.so.6");
  } catch {
    return koffi.load(null); // musl: the process's own symbols
  }
}

const libc = openLibc();

function unsupported(): never {
  const error = new Error(`reactor-executor's resolver supports Linux only; this is ${process.platform}`) as Error & { code: string };
  error.code = "ERR_UNSUPPORTED_PLATFORM";
  throw error;
}

const getaddrinfo = (
  libc === null ? unsupported : libc.func("int getaddrinfo(const char *node, const char *service, void *hints, _Out_ void **res)")
) as (node: string, service: null, hints: Pointer, res: Pointer[]) => number;
const freeaddrinfo = (libc === null ? unsupported : libc.func("void freeaddrinfo(void *res)")) as (res: Pointer) => void;

/**
 * glibc's asynchronous calls: in libc itself since glibc 2.34, in libanl before; musl has none.
 */
function loadAsync(): AsyncCalls | null {
  for (const name of ["libc.so.6", "libanl.so.1"]) {
    try {
      const lib = koffi.load(name);
      return {
        getaddrinfo_a: lib.func("int getaddrinfo_a(int mode, void *list, int n, void *sevp)") as AsyncCalls["getaddrinfo_a"],
        gai_suspend: lib.func("int gai_suspend(void *list, int n, void *timeout)") as AsyncCalls["gai_suspend"],
        gai_error: lib.func("int gai_error(void *req)") as AsyncCalls["gai_error"],
        gai_cancel: lib.func("int gai_cancel(void *req)") as AsyncCalls["gai_cancel"],
      };
    } catch {
      // not this library, or not these symbols: try the next
    }
  }
  return null;
}

const async = process.platform === "linux" ? loadAsync() : null;

/** Whether this C library has `getaddrinfo_a` (glibc does; musl does not). */
export function hasGetaddrinfoA(): boolean {
  return async !== null;
}

function encodeHints(hints: Pointer, family: 0 | 4 | 6): void {
  koffi.encode(hints, AddrInfo, {
    ai_flags: 0,
    ai_family: family === 4 ? AF_INET : family === 6 ? AF_INET6 : AF_UNSPEC,
    // One entry per address (not one per socket type), and only what a TCP connect can use.
    ai_socktype: SOCK_STREAM,
    ai_protocol: 0,
    ai_addrlen: 0,
    ai_addr: null,
    ai_canonname: null,
    ai_next: null,
  });
}

/** The first `max` IPv4/IPv6 addresses of an `addrinfo` list, in its order; then frees the list. */
function takeList(head: Pointer, max: number): IpAddress[] {
  const out: IpAddress[] = [];
  try {
    for (let p = head; p !== null && out.length < max;) {
      const ai = koffi.decode(p, AddrInfo) as AddrInfoFields;
      if (ai.ai_family === AF_INET && ai.ai_addrlen >= 8) {
        out.push({ family: 4, bytes: new Uint8Array(koffi.view(ai.ai_addr, 8)).slice(4, 8) });
      } else if (ai.ai_family === AF_INET6 && ai.ai_addrlen >= 24) {
        out.push({ family: 6, bytes: new Uint8Array(koffi.view(ai.ai_addr, 24)).slice(8, 24) });
      }
      p = ai.ai_next;
    }
  } finally {
    if (head !== null) freeaddrinfo(head);
  }
  return out;
}

/** What a lookup came to: `status` 0 and the addresses, or an `EAI_*` status. */
export interface GaiOutcome {
  status: number;
  /** For `EAI_SYSTEM`, the errno when known; else 0. */
  errno: number;
  addresses: IpAddress[];
}

/**
 * One `getaddrinfo_a` request at a time, in native memory that is reused from one to the next.
 *
 * @example
 * ```ts
 * const req = new GaiRequest();
 * if (req.start(new TextEncoder().encode("localhost"), 0) === 0) while (req.wait(50) === EAI.INPROGRESS) {}
 * const { status, addresses } = req.finish(64);
 * ```
 */
export class GaiRequest {
  private readonly calls: AsyncCalls;
  private readonly cb: Pointer = koffi.alloc(GaiCb, 1) as Pointer;
  private readonly hints: Pointer = koffi.alloc(AddrInfo, 1) as Pointer;
  private readonly name: Pointer = koffi.alloc("char", NAME_BYTES) as Pointer;
  private readonly list: Pointer = koffi.alloc("void *", 1) as Pointer;
  private readonly timeout = new BigInt64Array(2);

  /** @throws Error when the C library has no `getaddrinfo_a` (see {@link hasGetaddrinfoA}). */
  constructor() {
    if (async === null) throw new Error("this C library has no getaddrinfo_a");
    this.calls = async;
    koffi.encode(this.list, "void *", this.cb);
  }

  /**
   * Starts looking up `name` (ASCII bytes, at most `NAME_BYTES - 1`) for `family` (0 = both).
   *
   * @returns 0 when the request is running, else its `EAI_*` failure (`EAI_AGAIN`, `EAI_MEMORY`:
   *   glibc could not queue it).
   */
  start(name: Uint8Array, family: 0 | 4 | 6): number {
    if (name.length >= NAME_BYTES) throw new RangeError(`a name has at most ${NAME_BYTES - 1} bytes`);
    const bytes = new Uint8Array(koffi.view(this.name, NAME_BYTES));
    bytes.set(name);
    bytes[name.length] = 0;
    encodeHints(this.hints, family);
    koffi.encode(this.cb, GaiCb, {
      ar_name: this.name,
      ar_service: null,
      ar_request: this.hints,
      ar_result: null,
      ret: 0,
      reserved: [0, 0, 0, 0, 0],
    });
    return this.calls.getaddrinfo_a(GAI_NOWAIT, this.list, 1, null);
  }

  /**
   * Waits up to `ms` for the request to finish (`gai_suspend`: returns early when it does).
   *
   * @returns its status: `EAI.INPROGRESS` while it runs, then 0 or its failure.
   */
  wait(ms: number): number {
    this.timeout[0] = BigInt(Math.floor(ms / 1000));
    this.timeout[1] = BigInt((ms % 1000) * 1_000_000);
    this.calls.gai_suspend(this.list, 1, this.timeout);
    return this.calls.gai_error(this.cb);
  }

  /** The request's status without waiting: `EAI.INPROGRESS` while it runs. */
  status(): number {
    return this.calls.gai_error(this.cb);
  }

  /** The outcome of a finished request (its first `max` addresses); frees glibc's result list. Once per request. */
  finish(max: number): GaiOutcome {
    const status = this.calls.gai_error(this.cb);
    if (status === EAI.INPROGRESS) throw new Error("GaiRequest.finish: the request is still running");
    const result = (koffi.decode(this.cb, GaiCb) as { ar_result: Pointer }).ar_result;
    return { status, errno: 0, addresses: takeList(result, status === 0 ? max : 0) };
  }

  /**
   * Gives up on a running request: glibc drops it if it has not started; one that has cannot be
   * stopped and keeps this object's memory until it finishes.
   *
   * @returns true when the request is over (cancelled or finished) and this object may be reused
   *   or freed; false when glibc still runs it (check {@link status} later).
   */
  cancel(): boolean {
    const r = this.calls.gai_cancel(this.cb);
    return r === EAI.CANCELED || r === EAI.ALLDONE || this.status() !== EAI.INPROGRESS;
  }

  /** Frees the native memory; only once the request is over. */
  free(): void {
    koffi.free(this.cb);
    koffi.free(this.hints);
    koffi.free(this.name);
    koffi.free(this.list);
  }
}

let syncHints: Pointer = null;

/**
 * The blocking `getaddrinfo`, for C libraries without `getaddrinfo_a`: the calling thread cannot
 * be stopped until it returns. `name` is ASCII.
 */
export function getaddrinfoSync(name: string, family: 0 | 4 | 6, max: number): GaiOutcome {
  syncHints ??= koffi.alloc(AddrInfo, 1) as Pointer;
  encodeHints(syncHints, family);
  const out: Pointer[] = [null];
  const status = getaddrinfo(name, null, syncHints, out);
  const errno = status === EAI.SYSTEM ? koffi.errno() : 0;
  return { status, errno, addresses: status === 0 ? takeList(out[0] ?? null, max) : [] };
}
