/**
 * TLS session resumption: sessions kept by key, offered again on the next connection with the
 * same key, so that connection skips the certificate exchange and the key agreement's costliest
 * part (RFC 8446 §2.2, RFC 5077).
 *
 * How sessions arrive: every context reports new client sessions to one callback per thread
 * (`SSL_CTX_sess_set_new_cb`), with OpenSSL's internal cache off. A TLS 1.2 session is reported
 * at the end of the handshake; a TLS 1.3 one is a ticket the server sends *after* the handshake,
 * reported when a later read processes it. A connection made with a cache is noted here (its
 * `SSL *` to the cache and key) from its start until it is closed, so a ticket that comes with
 * the first response still finds its way; only resumable sessions are kept.
 *
 * Contract:
 * - The key says what the session was verified for: the TLS stream makes it from the address, the
 *   server name and the options that decide trust (`ca`, `systemCa`, `rejectUnauthorized`), so a
 *   session from a connection with verification off is never offered to a verified one.
 * - One session per key (the newest replaces the one before, which is freed); at most `max` keys,
 *   the least recently stored dropped first. Every session kept is freed exactly once: when
 *   replaced, dropped, or by {@link TlsSessionCache.clear} (`liveObjects().session` counts them).
 * - A cache belongs to the thread that made it, as the connections using it do.
 *
 * @module
 */
import * as ssl from "../sys/openssl.js";

/** What a connection that offers and collects sessions is noted with. */
interface Watched {
  readonly cache: TlsSessionCache;
  readonly key: string;
}

/** This thread's connections that collect sessions, by `SSL *`. */
const watched = new Map<ssl.Handle, Watched>();

/**
 * Sessions for resumption, by key, for the connections given it in their options
 * (`TlsConnectOptions.sessions`). The HTTP client keeps one per client.
 *
 * @example
 * ```ts
 * const sessions = new TlsSessionCache();
 * const a = yield* wait(TlsStream.connect("localhost:8443", { sessions }));
 * // ... a response read: a TLS 1.3 ticket has arrived with it ...
 * a.close();
 * const b = yield* wait(TlsStream.connect("localhost:8443", { sessions }));
 * b.sessionReused; // true: an abbreviated handshake
 * sessions.clear(); // frees what it kept
 * ```
 */
export class TlsSessionCache {
  private readonly sessions = new Map<string, ssl.Handle>();

  /** Keeps at most `max` sessions (default 100, as Node's `https.Agent` `maxCachedSessions`); 0 keeps none. */
  constructor(readonly max = 100) {
    if (!Number.isSafeInteger(max) || max < 0)
      throw new RangeError(`new TlsSessionCache(max): expected a whole number >= 0, got ${String(max)}`);
  }

  /** How many sessions are kept. */
  get size(): number {
    return this.sessions.size;
  }

  /** Frees every session kept. The cache stays usable. */
  clear(): void {
    if (this.sessions.size === 0) return;
    const lib = ssl.openSslLib();
    for (const session of this.sessions.values()) ssl.freeSession(lib, session);
    this.sessions.clear();
  }

  /** @internal The session kept for `key`, or 0. It stays the cache's (`SSL_set_session` takes its own reference). */
  session(key: string): ssl.Handle {
    return this.sessions.get(key) ?? 0;
  }

  /** @internal Keeps `session` (a reference the caller hands over) for `key`; returns false if it keeps none. */
  store(lib: ssl.OpenSslLib, key: string, session: ssl.Handle): boolean {
    if (this.max === 0) return false;
    const old = this.sessions.get(key);
    if (old !== undefined) {
      this.sessions.delete(key);
      ssl.freeSession(lib, old);
    } else if (this.sessions.size >= this.max) {
      const [oldestKey, oldest] = this.sessions.entries().next().value!;
      this.sessions.delete(oldestKey);
      ssl.freeSession(lib, oldest);
    }
    this.sessions.set(key, session);
    return true;
  }
}

/**
 * Starts a connection's resumption: offers the session kept for `key` (if any) and notes the
 * connection so the sessions it receives are kept. Call {@link unwatchSessions} before freeing it.
 */
export function watchSessions(lib: ssl.OpenSslLib, s: ssl.Handle, cache: TlsSessionCache, key: string): void {
  const session = cache.session(key);
  // A session the server no longer knows costs a full handshake, nothing more.
  if (session !== 0) lib.SSL_set_session(s, session);
  watched.set(s, { cache, key });
}

/** Ends what {@link watchSessions} started (the connection is about to be freed). */
export function unwatchSessions(s: ssl.Handle): void {
  watched.delete(s);
}

/** The handler of this thread's new-session callback: keeps a resumable session for a watched connection. */
function onNewSession(s: ssl.Handle, session: ssl.Handle): boolean {
  const w = watched.get(s);
  if (w === undefined) return false;
  const lib = ssl.openSslLib();
  if (lib.SSL_SESSION_is_resumable(session) !== 1) return false;
  return w.cache.store(lib, w.key, session);
}

/** The new-session callback every context of this thread installs. */
export function sessionCallback(): ssl.Handle {
  return ssl.newSessionCallback(onNewSession);
}
