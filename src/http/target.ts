/**
 * Where an HTTP request goes: a path on the default server (the delay server, `127.0.0.1:8080`, or
 * the `host`/`port` options), or a full `http://host:port/path` or `https://host:port/path` URL
 * (port 80 and 443 by default). Hosts are IP literals, `localhost` or names (resolved by the
 * connect). Credentials in a URL (`http://user:pw@host/`) become a Basic `Authorization` header
 * (RFC 7617), as curl and Node's `http.request` send them; they never reach the `Host` header or
 * the request line.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";

/** The resolved target of a request. */
export interface HttpTarget {
  /** `"http"` or `"https"`. */
  scheme: "http" | "https";
  /** What `TcpStream.connect` takes: "127.0.0.1:8080", "[::1]:80", "localhost:8080". */
  address: string;
  /** The host without brackets (what TLS checks the certificate against). */
  hostname: string;
  /** The `Host` header value. */
  host: string;
  /** The request target (path and query). */
  path: string;
  /** `Basic ...` from the URL's `user:password@`, if it had one. */
  authorization: string | undefined;
}

/** Options that place a path on a server. */
export interface HttpAddressOptions {
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 8080. */
  port?: number;
}

/**
 * Resolves `pathOrUrl` (plus host/port options for a bare path) to an address, Host header, path
 * and credentials.
 *
 * @example
 * ```ts
 * resolveTarget("/0/hi", { port: 9000 }); // { scheme: "http", address: "127.0.0.1:9000", host: "127.0.0.1:9000", path: "/0/hi", ... }
 * resolveTarget("https://example.com/x").address; // "example.com:443"
 * resolveTarget("http://u:p@[::1]:81/x?q").authorization; // "Basic dTpw"
 * ```
 */
export function resolveTarget(pathOrUrl: string, options: HttpAddressOptions = {}): HttpTarget {
  if (/^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl)) {
    let url: URL;
    try {
      url = new URL(pathOrUrl);
    } catch {
      throw new TypeError(`invalid URL: ${pathOrUrl}`);
    }
    const scheme = url.protocol === "https:" ? "https" : url.protocol === "http:" ? "http" : null;
    if (scheme === null) throw new RuntimeError(`unsupported URL scheme ${url.protocol} in ${pathOrUrl}: use http:// or https://`);
    const port = url.port === "" ? (scheme === "https" ? 443 : 80) : Number(url.port);
    return {
      scheme,
      address: `${url.hostname}:${port}`,
      hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
      host: url.host,
      path: url.pathname + url.search,
      authorization: basic(url),
    };
  }
  if (!pathOrUrl.startsWith("/")) throw new TypeError(`a request path must start with "/": ${JSON.stringify(pathOrUrl)}`);
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8080;
  let address = lastAddress;
  if (host !== lastHost || port !== lastPort) {
    const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    address = lastAddress = `${bracketed}:${port}`;
    lastHostname = bracketed.startsWith("[") ? bracketed.slice(1, -1) : bracketed;
    lastHost = host;
    lastPort = port;
  }
  return { scheme: "http", address, hostname: lastHostname, host: address, path: pathOrUrl, authorization: undefined };
}

// The last host and port a bare path was sent to, and their strings: a client sends thousands of
// requests to one server, and each would otherwise build the same strings (and the connect's
// address cache flatten them again).
let lastHost = "";
let lastPort = -1;
let lastAddress = "";
let lastHostname = "";

/** The Basic credentials of `url` (`user:password@`, percent-decoded, UTF-8), or undefined. */
function basic(url: URL): string | undefined {
  if (url.username === "" && url.password === "") return undefined;
  let credentials: string;
  try {
    credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  } catch {
    throw new TypeError(`invalid percent-encoding in the credentials of ${url.protocol}//${url.host}${url.pathname}`);
  }
  return `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`;
}
