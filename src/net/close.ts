/**
 * Closing a registered socket, the one way: deregister from the reactor, then close the fd (a
 * closed fd number is reused at once, by any thread, so the order matters), and close even when
 * deregistering fails. The epoll set itself forgets the fd when it is closed, so deregistering
 * is the token table's part only (`Reactor.deregisterForClose`): one syscall fewer per connection.
 *
 * @module
 */
import { reactor } from "../runtime/init.js";
import type { Source } from "../runtime/reactor.js";
import { close } from "../sys/index.js";

/** Deregisters `source` (registered under `id`; -1: it never got a token), then closes its fd. */
export function deregisterAndClose(source: Source, id: number): void {
  try {
    if (id >= 0) reactor().deregisterForClose(id);
  } finally {
    close(source.fd);
  }
}
