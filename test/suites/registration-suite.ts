/**
 * Registrations against the real reactor, where the token table's shared memory is the thing
 * under test: run by `reactor-registration-thread.test.ts` and `-inline.test.ts`, once per
 * reactor mode. These tests import the runtime's sources (not the package's bundle) to reach the
 * table's layout.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { coroutine, wait, spawn, sleep, timeout, reactor, TcpListener, TcpStream, type Executor } from "../../src/index.js";
import { EPFD, GEN, STRIDE, TABLE } from "../../src/runtime/token-table.js";
import { openFdCount } from "../util/fds.js";

const enc = new TextEncoder();

/** The token this thread hands out next: taken and given straight back (tokens are reused last-in, first-out). */
function nextToken(): number {
  const r = reactor();
  const t = r.nextId();
  r.deregister({ fd: -1 }, t);
  return t;
}

export function registrationSuite(executor: () => Executor): void {
  test("a token reused 2^31 times still gets its events: generations compare as 32-bit patterns", () => {
    const listener = TcpListener.bind("127.0.0.1:0");
    const r = reactor();
    // Age the generation of the next token to the last signed value: giving the token back
    // moves it past 2^31 - 1, where epoll's unsigned copy and the table's signed one differ.
    const t = r.nextId();
    r.table.words[TABLE + STRIDE * t + GEN] = 0x7fffffff;
    r.deregister({ fd: -1 }, t);
    const out = executor().blockOn(
      coroutine(function* () {
        const accepted = spawn(listener.accept());
        const client = yield* wait(timeout(TcpStream.connect(`127.0.0.1:${listener.port}`), 3_000));
        const server = yield* wait(accepted);
        const reading = spawn(client.read(new Uint8Array(16)));
        yield* wait(sleep(10));
        yield* wait(server.writeAll(enc.encode("wrapped")));
        const n = yield* wait(timeout(reading, 3_000));
        const result = { token: client.id, generation: r.table.generation(client.id), n };
        client.close();
        server.close();
        return result;
      }),
    );
    listener.close();
    assert.equal(out.token, t, "the connection got the aged token");
    assert.equal(out.generation, -0x80000000);
    assert.equal(out.n, 7);
  });

  test("a listener whose epoll registration fails keeps no token and no fd", () => {
    const r = reactor();
    const words = r.table.words;
    const fds = openFdCount();
    const first = nextToken();
    // Every epoll_ctl fails while the table names no epoll fd (the reactor's own loop has its fd already).
    const epfd = words[EPFD]!;
    const codes = new Set<string>();
    words[EPFD] = -1;
    try {
      for (let i = 0; i < 100; i++) {
        try {
          const l = TcpListener.bind("127.0.0.1:0");
          try {
            executor().blockOn(l.accept());
          } finally {
            l.close();
          }
        } catch (e) {
          codes.add(`${(e as { code?: string }).code} ${(e as { syscall?: string }).syscall}`);
        }
      }
    } finally {
      words[EPFD] = epfd;
    }
    assert.deepEqual([...codes], ["EBADF epoll_ctl"]);
    assert.equal(nextToken(), first, "a token was kept by a failed listener");
    assert.equal(openFdCount(), fds);
  });
}
