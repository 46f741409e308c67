/**
 * The delay server's one route, `GET /{delay_ms}/{message}`, as a pure function of the method and
 * the request target: no I/O, no clock.
 *
 * Contract (DESIGN, "The delay server's contract"):
 * - `HEAD` is routed as `GET` (RFC 9110 §9.3.2): the same status, delay and headers; the writer
 *   leaves the body out (`writeResponse`'s `head`). Any other method → 405 (the writer adds
 *   `Allow: GET, HEAD`), whatever the path.
 * - The query (`?...`) is stripped before routing. An absolute-form target
 *   (`http://host:port/path`, RFC 9112 §3.2.2) is routed by its path.
 * - The path is split at its second `/`: the first segment is the delay, the rest (slashes
 *   included) is the message. No second `/`, or nothing after it → 404 with the usage line
 *   (`/`, `/1000`, `/1000/`).
 * - The delay must be a whole number of milliseconds, decimal digits only, judged by its value
 *   (leading zeros allowed, `decimal.ts`), 0..3,600,000 → else 400.
 * - The message is percent-decoded and read as UTF-8 (`percentDecode`); a broken escape or bytes
 *   that are not UTF-8 → 400.
 * - None of these errors ends the connection: the request itself was well framed.
 *
 * @module
 */
import { decimalValue } from "../http/decimal.js";
import { percentDecode } from "../http/percent-decode.js";
import { HttpRequestError } from "../http/parse-request.js";

/** The largest delay accepted: one hour. */
export const MAX_DELAY_MS = 3_600_000;

/** The usage line, the body of every 404. */
export const USAGE_LINE = "usage: GET /{delay_ms}/{message} (delay_ms: 0..3600000; the message is URL-encoded)";

/**
 * What the route decided: either a delayed `200` with the decoded message (`status` 200), or an
 * error status with its body. One object shape for both, so callers branch on `status` only.
 *
 * @example
 * ```ts
 * const r = route("GET", "/1000/hello%20world?x=1"); // { status: 200, delayMs: 1000, body: "hello world" }
 * ```
 */
export interface Routed {
  /** 200, 400, 404 or 405. */
  status: number;
  /** The delay before a 200 is sent; 0 for errors (they are answered at once). */
  delayMs: number;
  /** The decoded message for a 200, else a one-line explanation ending in a newline. */
  body: string;
}

/**
 * Routes one request.
 *
 * @example
 * ```ts
 * route("GET", "/250/caf%C3%A9/au/lait"); // { status: 200, delayMs: 250, body: "café/au/lait" }
 * route("GET", "/soon/x");                // { status: 400, ... }
 * route("GET", "/100");                   // { status: 404, body: USAGE_LINE + "\n" }
 * route("HEAD", "/250/x");                // { status: 200, delayMs: 250, body: "x" } (sent without the body)
 * route("POST", "/100/x");                // { status: 405, ... }
 * ```
 */
export function route(method: string, target: string): Routed {
  if (method !== "GET" && method !== "HEAD") {
    return { status: 405, delayMs: 0, body: `405 Method Not Allowed: the delay server answers GET and HEAD only\n` };
  }
  let end = target.indexOf("?");
  if (end < 0) end = target.length;
  let start = 0;
  if (target.charCodeAt(0) !== 47 /* / */) {
    // absolute-form: "http://authority/path"; anything else ("*", "abc") is not a path at all.
    const scheme = /^https?:\/\/[^/?]*/i.exec(target);
    if (scheme === null)
      return badRequest(`400 Bad Request: the request target must be a path, got ${JSON.stringify(target.slice(0, 80))}\n`);
    start = scheme[0].length;
    if (start >= end) return notFound();
  }
  const slash = target.indexOf("/", start + 1);
  if (slash < 0 || slash >= end - 1) return notFound();
  const delayMs = parseDelay(target, start + 1, slash);
  if (delayMs < 0) {
    return badRequest(
      `400 Bad Request: the delay must be a whole number of milliseconds from 0 to ${MAX_DELAY_MS}, ` +
        `got ${JSON.stringify(target.slice(start + 1, Math.min(slash, start + 41)))}\n`,
    );
  }
  let body: string;
  try {
    body = percentDecode(target.slice(slash + 1, end));
  } catch (e) {
    if (e instanceof HttpRequestError) return badRequest(`400 Bad Request: ${e.message}\n`);
    throw e;
  }
  return { status: 200, delayMs, body };
}

/** The digits of `s[from..to)` as a number in 0..MAX_DELAY_MS, or -1. */
function parseDelay(s: string, from: number, to: number): number {
  const n = decimalValue(s, from, to);
  return n <= MAX_DELAY_MS ? n : -1; // false for NaN and Infinity
}

function badRequest(body: string): Routed {
  return { status: 400, delayMs: 0, body };
}

function notFound(): Routed {
  return { status: 404, delayMs: 0, body: USAGE_LINE + "\n" };
}
