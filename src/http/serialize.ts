/**
 * Building HTTP/1.1 messages: the client's requests and the delay server's responses.
 *
 * Contract: each message is one `Buffer` (one allocation, head written as latin1 and the body
 * copied or UTF-8 encoded behind it), ready for `writeAll`. `Content-Length` always comes from the
 * body; `headers` may not set the fields the function writes from its own options. Names must be
 * tokens and values may hold only HTAB, visible ASCII, space and latin1 bytes (no CR/LF: no header
 * injection); a violation throws `TypeError`, since it is the caller's mistake, not the peer's.
 *
 * @module
 */
import { isToken, quote } from "./parse-headers.js";

/** Chars a field value (or a reason phrase) may hold. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Chars a request target may hold, as Node's `http.request` checks it: no spaces or controls. */
const TARGET = /^[\x21-\x7e\x80-\xff]+$/;
/** Methods that define a meaning for a body: they get `Content-Length: 0` when they have none (RFC 9110 §8.6). */
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);
/** Fields {@link serializeResponse} writes itself. */
const RESPONSE_OWN = new Set(["content-type", "content-length", "connection", "date", "transfer-encoding"]);
const TEXT_PLAIN = "text/plain; charset=utf-8";

/** Reason phrases (RFC 9110 §15) of the statuses this runtime sends or meets most. */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  100: "Continue",
  101: "Switching Protocols",
  200: "OK",
  201: "Created",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  304: "Not Modified",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Content Too Large",
  414: "URI Too Long",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

/**
 * What {@link serializeRequest} builds.
 *
 * @example
 * ```ts
 * const options: RequestOptions = { method: "POST", path: "/items", host: "127.0.0.1:8080", body: "{}",
 *   headers: { "Content-Type": "application/json" } };
 * ```
 */
export interface RequestOptions {
  /** The method. Default `"GET"`. */
  method?: string;
  /** The request target: path and query, percent-encoded (`"/1000/hello%20world"`). */
  path: string;
  /** The `Host` value (`"127.0.0.1:8080"`). */
  host: string;
  /** More fields, written in order; `Host` and `Connection` here replace the defaults. */
  headers?: Readonly<Record<string, string>>;
  /** The body; a string is sent as UTF-8. */
  body?: Uint8Array | string;
}

/**
 * What {@link serializeResponse} builds.
 *
 * @example
 * ```ts
 * const options: ResponseOptions = { status: 200, body: "hello", keepAlive: true, date: httpDate() };
 * ```
 */
export interface ResponseOptions {
  /** The status code, 100..999. */
  status: number;
  /** The reason phrase. Default: the standard one for `status`, or empty. */
  statusText?: string;
  /** The body; a string is sent as UTF-8. Default empty. */
  body?: Uint8Array | string;
  /** `Connection: keep-alive` or `Connection: close`. */
  keepAlive: boolean;
  /** The `Content-Type`. Default `"text/plain; charset=utf-8"`. */
  contentType?: string;
  /** A `Date` value, normally {@link httpDate}`()`; no `Date` field without it. */
  date?: string;
  /** More fields (`Allow: GET` for a 405), written after the others. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * Builds a request. `Connection: close` unless `headers` says otherwise; `Content-Length` when
 * there is a body (or the method is POST, PUT or PATCH).
 *
 * @example
 * ```ts
 * serializeRequest({ path: "/1000/hello", host: "127.0.0.1:8080" });
 * // "GET /1000/hello HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n" as bytes
 * ```
 */
export function serializeRequest(options: RequestOptions): Uint8Array {
  const method = options.method ?? "GET";
  if (!isToken(method)) throw new TypeError(`invalid HTTP method: ${quote(method)}`);
  if (!TARGET.test(options.path)) {
    throw new TypeError(`invalid request path: ${quote(options.path)} (percent-encode spaces and control characters)`);
  }
  let host = options.host;
  let connection = "close";
  let fields = "";
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    checkField(name, value);
    const key = name.toLowerCase();
    if (key === "host") host = value;
    else if (key === "connection") connection = value;
    else if (key === "content-length" || key === "transfer-encoding") {
      throw new TypeError(`${name} is set from the body; do not pass it in headers`);
    } else fields += `${name}: ${value}\r\n`;
  }
  checkField("Host", host);
  const { body } = options;
  const bodyLength = byteLength(body);
  const framing = body !== undefined || BODY_METHODS.has(method) ? `Content-Length: ${bodyLength}\r\n` : "";
  const head = `${method} ${options.path} HTTP/1.1\r\nHost: ${host}\r\n${fields}Connection: ${connection}\r\n${framing}\r\n`;
  return assemble(head, body, bodyLength);
}

/**
 * Builds a response with `Content-Type`, `Content-Length`, `Connection` and optionally `Date`.
 *
 * @example
 * ```ts
 * serializeResponse({ status: 200, body: "hi", keepAlive: true });
 * // "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n"
 * // + "Connection: keep-alive\r\n\r\nhi" as bytes
 * ```
 */
export function serializeResponse(options: ResponseOptions): Uint8Array {
  const { status, body } = options;
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new TypeError(`invalid HTTP status: ${status}`);
  const reason = options.statusText ?? STATUS_TEXT[status] ?? "";
  if (!FIELD_VALUE.test(reason)) throw new TypeError(`invalid reason phrase: ${quote(reason)}`);
  const contentType = options.contentType ?? TEXT_PLAIN;
  checkField("Content-Type", contentType);
  let fields = "";
  if (options.date !== undefined) {
    checkField("Date", options.date);
    fields = `Date: ${options.date}\r\n`;
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    checkField(name, value);
    if (RESPONSE_OWN.has(name.toLowerCase())) throw new TypeError(`${name} is set from the options; do not pass it in headers`);
    fields += `${name}: ${value}\r\n`;
  }
  const bodyLength = byteLength(body);
  const connection = options.keepAlive ? "keep-alive" : "close";
  const head =
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${contentType}\r\nContent-Length: ${bodyLength}\r\n` +
    `Connection: ${connection}\r\n${fields}\r\n`;
  return assemble(head, body, bodyLength);
}

let dateSecond = -1;
let dateText = "";

/**
 * The IMF-fixdate for `now` (RFC 9110 §5.6.7), computed once per second and reused: a busy server
 * calls this for every response.
 *
 * @example
 * ```ts
 * httpDate(0); // "Thu, 01 Jan 1970 00:00:00 GMT"
 * ```
 */
export function httpDate(now: number = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

function checkField(name: string, value: string): void {
  if (!isToken(name)) throw new TypeError(`invalid header name: ${quote(name)}`);
  if (!FIELD_VALUE.test(value)) throw new TypeError(`invalid value for header ${name}: ${quote(value)}`);
}

function byteLength(body: Uint8Array | string | undefined): number {
  if (body === undefined) return 0;
  return typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.length;
}

/** One buffer: the head (latin1, checked above) then the body. */
function assemble(head: string, body: Uint8Array | string | undefined, bodyLength: number): Buffer {
  const message = Buffer.allocUnsafe(head.length + bodyLength);
  message.write(head, 0, "latin1");
  if (typeof body === "string") message.write(body, head.length, "utf8");
  else if (body !== undefined) message.set(body, head.length);
  return message;
}
