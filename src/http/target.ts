/**
 * Where an HTTP request goes: a path on the default server (the delay server, `127.0.0.1:8080`),
 * or a full `http://host:port/path` URL. Hosts are IP literals or `localhost` (no DNS yet); `https:`
 * is refused (no TLS yet), with errors that say so.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";

/** The resolved target of a request. */
export interface HttpTarget {
  /** What `TcpStream.connect` takes: "127.0.0.1:8080", "[::1]:80", "localhost:8080". */
  address: string;
  /** The `Host` header value. */
  host: string;
  /** The request target (path and query). */
  path: string;
}

/** Options that place a path on a server. */
export interface HttpAddressOptions {
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 8080. */
  port?: number;
}

/** Resolves `pathOrUrl` (plus host/port options for a bare path) to an address, Host header and path. */
export function resolveTarget(pathOrUrl: string, options: HttpAddressOptions = {}): HttpTarget {
  if (/^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl)) {
    let url: URL;
    try {
      url = new URL(pathOrUrl);
    } catch {
      throw new TypeError(`invalid URL: ${pathOrUrl}`);
    }
    if (url.protocol === "https:") throw new RuntimeError(`https is not supported (no TLS yet): ${pathOrUrl}`);
    if (url.protocol !== "http:") throw new RuntimeError(`unsupported URL scheme ${url.protocol} in ${pathOrUrl}: use http://`);
    const port = url.port === "" ? 80 : Number(url.port);
    return { address: `${url.hostname}:${port}`, host: url.host, path: url.pathname + url.search };
  }
  if (!pathOrUrl.startsWith("/")) throw new TypeError(`a request path must start with "/": ${JSON.stringify(pathOrUrl)}`);
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8080;
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return { address: `${bracketed}:${port}`, host: `${bracketed}:${port}`, path: pathOrUrl };
}
