/**
 * A hostname whose lookup hangs inside glibc, for tests of what a stuck resolver does to
 * dropped lookups and to process exit, without a network or root.
 *
 * How: glibc's DNS source reads the file named by `HOSTALIASES` when it resolves a name without
 * dots (`res_hostalias`), and opening a FIFO for reading blocks until a writer opens it. With
 * `HOSTALIASES` pointing at a FIFO nobody writes, `getaddrinfo("dnsstall")` (a name in no hosts
 * file) blocks in glibc for as long as the FIFO stays unopened: a real stall of the system
 * resolver, in the same place (a glibc thread blocked in a system call) as a name server that
 * never answers, minus its timeout. {@link release} opens the FIFO for writing and closes it, so
 * the blocked opens return and read end of file, and the lookups go on (to fail as unknown names).
 * {@link blockedOnFifo} tells when a thread really is stuck there, so a test does not race the
 * resolver thread's start.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export class StalledResolver {
  /** A name (no dots, in no hosts file) whose lookup hangs while the FIFO is closed. */
  readonly name = "dnsstall";
  readonly dir = mkdtempSync(join(tmpdir(), "dns-stall-"));
  readonly fifo = join(this.dir, "aliases");

  constructor() {
    execFileSync("mkfifo", [this.fifo]);
  }

  /** The environment a child process needs for {@link name} to hang. */
  get env(): NodeJS.ProcessEnv {
    return { HOSTALIASES: this.fifo };
  }

  /** Lets the lookups blocked on the FIFO go on; false when none was blocked. */
  release(): boolean {
    let fd: number;
    try {
      fd = openSync(this.fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (e) {
      if ((e as { code?: string }).code === "ENXIO") return false; // no reader
      throw e;
    }
    closeSync(fd);
    return true;
  }

  dispose(): void {
    for (let i = 0; i < 100 && this.release(); i++) {
      // each release lets the blocked opens go; glibc may open the FIFO again for its next query
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Whether a thread of process `pid` is blocked opening a FIFO (its kernel wait channel is
 * `wait_for_partner`, the FIFO open's wait in fs/pipe.c): where a stalled lookup sits.
 */
export function blockedOnFifo(pid: number | "self" = "self"): boolean {
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      if (readFileSync(`/proc/${pid}/task/${tid}/wchan`, "utf8") === "wait_for_partner") return true;
    } catch {
      // the thread ended meanwhile
    }
  }
  return false;
}

/** Waits (synchronously, in slices of 10 ms) until {@link blockedOnFifo}; false after `ms`. */
export function waitBlockedOnFifo(ms = 10_000): boolean {
  const word = new Int32Array(new SharedArrayBuffer(4));
  for (const end = Date.now() + ms; Date.now() < end; Atomics.wait(word, 0, 0, 10)) if (blockedOnFifo()) return true;
  return false;
}
