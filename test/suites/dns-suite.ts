/**
 * Name lookups through the resolver pool, on the real reactor: run by `dns-thread.test.ts` and
 * `dns-inline.test.ts`, once per reactor mode (the mode is process-wide, so each mode gets its own
 * test process). These files import the runtime from `src` (one copy: the compiled `dist/src`),
 * not the package's bundle, to reach the pool's internal hooks.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn as spawnChild } from "node:child_process";
import { coroutine, wait, spawn, joinAll, sleep, lookup, DnsError, type Executor } from "../../src/index.js";
import { resetResolverPool, resolveInPool, resolverPoolStats } from "../../src/runtime/resolver-pool.js";
import type { IpAddress } from "../../src/sys/index.js";
import { isOpen, openFdCount } from "../util/fds.js";
import { runModule } from "../util/run-child.js";
import { StalledResolver } from "../util/dns-stall.js";

const srcIndex = new URL("../../src/index.js", import.meta.url).href;
const srcPool = new URL("../../src/runtime/resolver-pool.js", import.meta.url).href;
const srcSlots = new URL("../../src/runtime/resolver-slots.js", import.meta.url).href;
const stallUtil = new URL("../util/dns-stall.js", import.meta.url).href;

function text(ips: IpAddress[]): string[] {
  return ips.map((ip) => (ip.family === 4 ? ip.bytes.join(".") : `v6:${Array.from(ip.bytes).join(",")}`));
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  assert.fail("expected an error");
}

export function dnsSuite(executor: () => Executor, mode: "thread" | "inline"): void {
  const init = `init({ reactor: "${mode}" })`;

  test(`${mode}: a pool lookup under blockOn parks the executor and is woken with the answer`, () => {
    resetResolverPool();
    const ex = executor();
    // glibc answers "localhost" from /etc/hosts, on a resolver thread.
    const ips = ex.blockOn(resolveInPool("localhost", 4));
    assert.ok(text(ips).includes("127.0.0.1"), text(ips).join(" "));
    assert.ok(ex.parks >= 1, "the executor waited for the resolver thread, parked");
    assert.equal(resolverPoolStats().started, 1);
  });

  test(`${mode}: a pool lookup under run (Node's event loop running alongside)`, async () => {
    const ex = executor();
    const ips = await ex.run(
      coroutine(function* () {
        const [a] = yield* wait(joinAll<unknown>([resolveInPool("localhost", 4), sleep(5)]));
        return a as IpAddress[];
      }),
    );
    assert.ok(text(ips).includes("127.0.0.1"));
  });

  test(`${mode}: an unknown name fails with ENOTFOUND from the system resolver`, () => {
    // .invalid never exists (RFC 6761); the configured name server says so (NXDOMAIN), quickly.
    const e = thrown(() => executor().blockOn(lookup("no-such-host.invalid"))) as DnsError;
    assert.ok(e instanceof DnsError, String(e));
    assert.equal(e.code, "ENOTFOUND");
    assert.equal(e.syscall, "getaddrinfo");
    assert.equal(e.hostname, "no-such-host.invalid");
    assert.ok(e.errno === 2 || e.errno === 5, `errno ${e.errno} is EAI_NONAME (2) or EAI_NODATA (5)`);
    assert.equal(e.message, "getaddrinfo ENOTFOUND no-such-host.invalid");
  });

  test(`${mode}: many concurrent lookups share a bounded pool, each gets its answer`, () => {
    resetResolverPool({ threads: 3 });
    const batch = (): IpAddress[][] =>
      executor().blockOn(
        coroutine(function* () {
          const handles = Array.from({ length: 60 }, (_, i) => spawn(resolveInPool("localhost", i % 2 === 0 ? 4 : 0)));
          return yield* wait(joinAll(handles));
        }),
      );
    const first = batch();
    // The threads (with their event loops' fds) are started by now: a second batch opens nothing.
    const fds = openFdCount();
    const out = batch();
    assert.equal(openFdCount(), fds, "no fd left behind by 60 lookups");
    for (const ips of [...first, ...out]) assert.ok(text(ips).includes("127.0.0.1"));
    assert.equal(out.length, 60);
    const stats = resolverPoolStats();
    assert.equal(stats.started, 3, "no more threads than the pool's size");
    assert.equal(stats.peakBusy, 3, "the lookups did run side by side, three at a time");
    // The inline reactor's pool has a wake eventfd in the epoll set; closing the pool closes it.
    const { wakeFd } = stats;
    assert.equal(wakeFd >= 0, mode === "inline");
    if (wakeFd >= 0) assert.ok(isOpen(wakeFd));
    resetResolverPool();
    if (wakeFd >= 0) assert.ok(!isOpen(wakeFd), "closing the pool closed its wake eventfd");
  });

  test(`${mode}: a lookup that cannot start (out of fds) fails with EMFILE and leaves its thread's slot free`, async () => {
    const r = await runModule(
      `
      import { openSync, closeSync } from "node:fs";
      import { init } from "${srcIndex}";
      import { resetResolverPool, resolveInPool } from "${srcPool}";
      const ex = ${init};
      resetResolverPool({ threads: 1, startTimeoutMs: 1000 });
      const held = [];
      try { for (;;) held.push(openSync("/dev/null", "r")); } catch (e) { if (e.code !== "EMFILE") throw e; }
      let first;
      try { ex.blockOn(resolveInPool("localhost", 4)); first = "resolved"; } catch (e) { first = e.code + ": " + e.message; }
      for (const fd of held) closeSync(fd);
      const second = ex.blockOn(resolveInPool("localhost", 4))[0].bytes.join(".");
      console.log(JSON.stringify({ first, second }));
      `,
      { shell: "ulimit -n 256", timeoutMs: 20_000 },
    );
    assert.equal(r.timedOut, false, "the second lookup did not hang on a slot left busy");
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { first: string; second: string };
    // The inline reactor needs an eventfd first; with the reactor thread, the resolver thread
    // cannot start (its event loop needs fds) and the lookup gives up on it, under blockOn too.
    if (mode === "inline") assert.match(out.first, /^EMFILE: /);
    else assert.equal(out.first, "ERR_RUNTIME: the resolver thread failed: it did not start within 1000 ms");
    assert.equal(out.second, "127.0.0.1");
  });

  test(`${mode}: lookups from several tasks interleave with other work on the executor`, () => {
    const order: string[] = [];
    executor().blockOn(
      coroutine(function* () {
        const a = spawn(
          coroutine(function* () {
            try {
              yield* wait(lookup("no-such-host.invalid"));
            } catch {
              order.push("lookup failed");
            }
          }),
        );
        const b = spawn(
          coroutine(function* () {
            yield* wait(sleep(0));
            order.push("sleep");
          }),
        );
        yield* wait(joinAll([a, b]));
      }),
    );
    assert.deepEqual(order, ["sleep", "lookup failed"]);
  });

  test(`${mode}: dropped lookups whose resolver is stuck free their threads for the next ones`, async () => {
    const stall = new StalledResolver();
    try {
      const r = await runModule(
        `
        import { init, coroutine, wait, spawn, joinAll, timeout, TimeoutError } from "${srcIndex}";
        import { resetResolverPool, resolveInPool, resolverPoolStats } from "${srcPool}";
        const ex = ${init};
        resetResolverPool({ threads: 2 });
        const out = ex.blockOn(coroutine(function* () {
          // Both threads get a lookup that never returns; a third waits for a thread.
          const stuck = [0, 1, 2].map(() => spawn(timeout(resolveInPool("${stall.name}", 0), 300)));
          const codes = [];
          for (const h of stuck) { try { yield* wait(h); codes.push("resolved"); } catch (e) { codes.push(e.code); } }
          // Dropped: each thread gives up on its request within a slice, and takes the next job.
          const t0 = performance.now();
          const ok = yield* wait(joinAll([resolveInPool("localhost", 4), resolveInPool("localhost", 4)]));
          return { codes, ok: ok.map((ips) => ips[0].bytes.join(".")), ms: performance.now() - t0, stats: resolverPoolStats() };
        }));
        console.log(JSON.stringify(out));
        `,
        { env: stall.env, timeoutMs: 20_000 },
      );
      assert.equal(r.timedOut, false, r.stderr);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { codes: string[]; ok: string[]; ms: number; stats: { started: number } };
      assert.deepEqual(out.codes, ["ETIMEDOUT", "ETIMEDOUT", "ETIMEDOUT"]);
      assert.deepEqual(out.ok, ["127.0.0.1", "127.0.0.1"]);
      assert.equal(out.stats.started, 2, "the stuck threads were reused, not replaced");
      assert.ok(out.ms < 5_000, `freed within a few slices (took ${out.ms} ms)`);
    } finally {
      stall.dispose();
    }
  });

  test(`${mode}: a slot freed by its resolver thread while a lookup queues for it is not missed`, async () => {
    const stall = new StalledResolver();
    try {
      const r = await runModule(
        `
        import { init, coroutine, wait, timeout } from "${srcIndex}";
        import { resetResolverPool, resolveInPool } from "${srcPool}";
        import { ResolverSlots, FREE } from "${srcSlots}";
        const ex = ${init};
        resetResolverPool({ threads: 1 });
        // The interleaving to reproduce: the lookup finds no free slot, then the resolver thread
        // frees the dropped job's slot and reads the queue's waker (none yet), then the lookup
        // stores its waker there. Held here until the thread has freed the slot.
        let hold = false;
        const swap = ResolverSlots.prototype.swapQueueWaker;
        ResolverSlots.prototype.swapQueueWaker = function (ref) {
          if (hold && ref !== 0) {
            hold = false;
            const word = new Int32Array(new SharedArrayBuffer(4));
            for (const end = Date.now() + 10_000; this.state(0) !== FREE && Date.now() < end; ) Atomics.wait(word, 0, 0, 5);
          }
          return swap.call(this, ref);
        };
        // Tried until the interleaving happened (it normally does at once): a thread that freed
        // the slot before the next lookup looked leaves nothing to hold.
        const out = ex.blockOn(coroutine(function* () {
          for (let attempt = 1; ; attempt++) {
            let code = "";
            try { yield* wait(timeout(resolveInPool("${stall.name}", 0), 200)); } catch (e) { code = e.code; }
            hold = true;
            const ips = yield* wait(timeout(resolveInPool("localhost", 4), 5000));
            const held = !hold;
            hold = false;
            if (held || attempt === 5) return { code, held, ip: ips[0].bytes.join(".") };
          }
        }));
        console.log(JSON.stringify(out));
        `,
        { env: stall.env, timeoutMs: 30_000 },
      );
      assert.equal(r.timedOut, false, r.stderr);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { code: "ETIMEDOUT", held: true, ip: "127.0.0.1" });
    } finally {
      stall.dispose();
    }
  });

  test(`${mode}: a process whose lookup is stuck in the resolver exits anyway (blockOn, lookup dropped)`, async () => {
    const stall = new StalledResolver();
    try {
      const r = await runModule(
        `
        import { init, timeout } from "${srcIndex}";
        import { resolveInPool } from "${srcPool}";
        import { waitBlockedOnFifo } from "${stallUtil}";
        let code;
        try { ${init}.blockOn(timeout(resolveInPool("${stall.name}", 0), 300)); } catch (e) { code = e.code; }
        const stuck = waitBlockedOnFifo();
        console.log(JSON.stringify({ code, stuck, end: Date.now() }));
        `,
        { env: stall.env, timeoutMs: 20_000 },
      );
      const exited = Date.now();
      assert.equal(r.timedOut, false, "the process exited by itself");
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { code: string; stuck: boolean; end: number };
      assert.equal(out.code, "ETIMEDOUT");
      assert.equal(out.stuck, true, "glibc's thread was stuck in the lookup when the program ended");
      // Documented bound: one wait slice (50 ms) for the resolver thread to return to JavaScript,
      // plus Node's own teardown; generous for a loaded machine.
      assert.ok(exited - out.end < 2_000, `exit took ${exited - out.end} ms after the program's end`);
    } finally {
      stall.dispose();
    }
  });

  test(`${mode}: process.exit() while a lookup is pending under run exits at once`, async () => {
    const stall = new StalledResolver();
    try {
      const r = await runModule(
        `
        import { init, spawn, sleep, wait, coroutine } from "${srcIndex}";
        import { resolveInPool } from "${srcPool}";
        import { blockedOnFifo } from "${stallUtil}";
        await ${init}.run(coroutine(function* () {
          spawn(resolveInPool("${stall.name}", 0));
          for (let i = 0; i < 1000 && !blockedOnFifo(); i++) yield* wait(sleep(10));
          console.log(JSON.stringify({ stuck: blockedOnFifo(), end: Date.now() }));
          process.exit(0);
        }));
        `,
        { env: stall.env, timeoutMs: 20_000 },
      );
      const exited = Date.now();
      assert.equal(r.timedOut, false, "the process exited");
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { stuck: boolean; end: number };
      assert.equal(out.stuck, true, "the lookup was stuck in glibc when process.exit() was called");
      assert.ok(exited - out.end < 2_000, `exit took ${exited - out.end} ms after process.exit()`);
    } finally {
      stall.dispose();
    }
  });

  if (mode === "thread") {
    test("thread: with the blocking getaddrinfo (musl's fallback) a stuck lookup holds exit until it returns", async () => {
      // What getaddrinfo_a avoids: Node waits at exit for a worker blocked in a native call.
      const stall = new StalledResolver();
      try {
        const child = spawnChild(
          process.execPath,
          [
            "--input-type=module",
            "-e",
            `
            import { init, timeout } from "${srcIndex}";
            import { resetResolverPool, resolveInPool } from "${srcPool}";
            import { waitBlockedOnFifo } from "${stallUtil}";
            resetResolverPool({ blocking: true });
            try { init().blockOn(timeout(resolveInPool("${stall.name}", 0), 200)); } catch {}
            console.log(waitBlockedOnFifo() ? "main done" : "not stuck");
            `,
          ],
          { env: { ...process.env, ...stall.env }, stdio: ["ignore", "pipe", "inherit"] },
        );
        const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
        let exited = false;
        void closed.then(() => (exited = true));
        const said = await new Promise<string>((resolve) => child.stdout.on("data", (d: Buffer) => resolve(String(d).trim())));
        assert.equal(said, "main done", "the lookup got stuck in getaddrinfo");
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        assert.equal(exited, false, "still held by the resolver thread 1 s after the program ended");
        assert.ok(stall.release(), "the lookup was blocked on the FIFO");
        // glibc may open the FIFO again on its way (once per query it sends): keep letting it go.
        const releasing = setInterval(() => stall.release(), 20);
        try {
          assert.equal(await closed, 0);
        } finally {
          clearInterval(releasing);
        }
      } finally {
        stall.dispose();
      }
    });
  }
}
