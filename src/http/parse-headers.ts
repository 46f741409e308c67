/**
 * Header fields, the part of HTTP/1.1 parsing that responses and requests share: the
 * case-insensitive {@link HttpHeaders} collection, the scanner that finds where a field block ends
 * in a byte stream ({@link BlockScanner}), and the parser of the decoded block ({@link parseFields}).
 *
 * Contract:
 * - A field block (the head of a message, or a chunked body's trailers) ends with an empty line.
 *   Lines end with CRLF. A strict scanner (requests: the server's side) refuses a bare LF, since a
 *   front end that splits lines only at CRLF would see other requests than we do (request
 *   smuggling); a lenient one (responses: the client's side) accepts it, as RFC 9112 §2.2 allows a
 *   recipient to. A bare CR is refused by both (it can only appear inside a line, where the
 *   character checks below refuse it).
 * - The block is decoded once, as latin1 (one char per byte, what RFC 9110 calls obs-text is kept
 *   as is), and then split with `indexOf`, never byte by byte.
 * - Names are case-insensitive and stored lower-case; a name repeated in several lines gets one
 *   value, the values joined with `", "` in the order received (RFC 9110 §5.3); `getAll` keeps
 *   the lines apart (`Set-Cookie`, RFC 6265 §3, cannot be joined).
 * - A line that is not `token ":" value` (whitespace before the colon included), or a value holding
 *   a control character, is an error naming the line. A line starting with whitespace (obs-fold)
 *   continues the previous value when `unfold` is set (what a client must do, RFC 9112 §5.2) and is
 *   an error otherwise (what a server must do).
 *
 * @module
 */

/**
 * Makes the error a parser throws. `status` is the HTTP status a server answers with (400 for
 * malformed syntax, 413 for a body too large, 431 for headers too large); the response parser
 * ignores it. This lets one parsing routine serve the client (plain `HttpParseError`) and the
 * server (`HttpRequestError` carrying the status).
 *
 * @example
 * ```ts
 * const fail: MakeError = (message) => new HttpParseError(message);
 * ```
 */
export type MakeError = (message: string, status: number) => Error;

/** The default limit on a message's head (start line, fields and the empty line), in bytes. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

/** RFC 9110 `token`: what a field name and a method are made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** `TCHAR[c]` is 1 when the byte `c` may appear in a token. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;
/** Control characters other than HTAB: never allowed in a field value. */
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * Whether `s` is an RFC 9110 token (the syntax of field names and methods).
 *
 * @example
 * ```ts
 * isToken("Content-Length"); // true
 * isToken("Bad Name");       // false
 * ```
 */
export function isToken(s: string): boolean {
  return TOKEN.test(s);
}

/**
 * Whether the byte `c` may appear in an RFC 9110 token (`tchar`).
 *
 * @example
 * ```ts
 * isTokenChar(0x61); // true ("a")
 * isTokenChar(0x3b); // false (";")
 * ```
 */
export function isTokenChar(c: number): boolean {
  return TCHAR[c] === 1;
}

/**
 * Quotes a piece of a message for an error text: JSON escapes make control characters visible,
 * and the cut keeps a hostile 16 KiB line out of logs.
 *
 * @example
 * ```ts
 * quote("HTTP/1.1 2x0\r"); // "\"HTTP/1.1 2x0\\r\""
 * ```
 */
export function quote(s: string, max = 80): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}...` : s);
}

/**
 * Header (or trailer) fields of a message: case-insensitive lookup, repeated names joined with
 * `", "`, iteration in the order names first appeared, with lower-case names.
 *
 * Stored as two parallel arrays, not a `Map`: a message has a handful of fields, and a linear scan
 * over them costs less than hashing every freshly decoded name (this is on the path of every
 * response the client parses).
 *
 * @example
 * ```ts
 * const h = new HttpHeaders();
 * h.append("Vary", "Accept");
 * h.append("vary", "Origin");
 * h.get("VARY");       // "Accept, Origin"
 * h.getAll("vary");    // ["Accept", "Origin"]
 * [...h.entries()];    // [["vary", "Accept, Origin"]]
 * ```
 */
export class HttpHeaders {
  /** Lower-case names, one per field line received. */
  private readonly names: string[] = [];
  private readonly values: string[] = [];

  /** The value of field `name` (any case), repeated lines joined with `", "`; `undefined` if absent. */
  get(name: string): string | undefined {
    const key = name.toLowerCase();
    let value: string | undefined;
    for (let i = 0; i < this.names.length; i++) {
      if (this.names[i] === key) value = value === undefined ? this.values[i] : `${value}, ${this.values[i]}`;
    }
    return value;
  }

  /** The value of each line of field `name` (any case), in the order received; empty if absent. */
  getAll(name: string): string[] {
    const key = name.toLowerCase();
    const values: string[] = [];
    for (let i = 0; i < this.names.length; i++) if (this.names[i] === key) values.push(this.values[i] as string);
    return values;
  }

  /**
   * The `Set-Cookie` values, one per field line: they cannot be joined with `", "` as other fields
   * are, since a cookie's `Expires` holds a comma (the name `fetch`'s `Headers` uses).
   */
  getSetCookie(): string[] {
    return this.getAll("set-cookie");
  }

  /** Whether field `name` (any case) is present. */
  has(name: string): boolean {
    return this.names.includes(name.toLowerCase());
  }

  /** `[lower-case name, value]` pairs, one per distinct name, in the order the names first appeared. */
  entries(): IterableIterator<[string, string]> {
    const joined = new Map<string, string>();
    for (let i = 0; i < this.names.length; i++) {
      const name = this.names[i] as string;
      const previous = joined.get(name);
      joined.set(name, previous === undefined ? (this.values[i] as string) : `${previous}, ${this.values[i]}`);
    }
    return joined.entries();
  }

  /** Adds one field line; a name already present gets this value appended to its value. */
  append(name: string, value: string): void {
    this.names.push(name.toLowerCase());
    this.values.push(value);
  }
}

/** What {@link BlockScanner.scan} returns when a strict scanner meets an LF without a CR before it. */
export const BARE_LF = -2;

/**
 * Finds where a field block ends in a byte stream that arrives in pieces, without scanning any
 * byte twice: it remembers, relative to the block's first byte, how far it has searched and where
 * the current line began. The caller must present the block from the same first byte each time
 * (keeping the unconsumed bytes and appending new ones), which is what the parsers do.
 *
 * @example
 * ```ts
 * const s = new BlockScanner(true);
 * s.scan(Buffer.from("Host: a\r\n"), 0);        // -1: not complete yet
 * s.scan(Buffer.from("Host: a\r\n\r\nBODY"), 0); // 11: the index just after the empty line
 * new BlockScanner(true).scan(Buffer.from("Host: a\n\n"), 0); // BARE_LF
 * ```
 */
export class BlockScanner {
  /** Offset from the block's first byte of the line being scanned. */
  private lineStart = 0;
  /** Offset from the block's first byte up to which every LF has been looked at. */
  private searched = 0;

  /** @param strict - lines must end with CRLF: a bare LF makes {@link scan} return {@link BARE_LF}. */
  constructor(private readonly strict: boolean) {}

  /**
   * The index just after the empty line that ends the block starting at `data[start]`, -1 if it
   * has not arrived yet, or {@link BARE_LF} (strict scanner). A block whose first line is empty
   * ends at once (an empty trailer section; for a head, the start-line check reports it).
   */
  scan(data: Uint8Array, start: number): number {
    let from = start + this.searched;
    for (;;) {
      const lf = data.indexOf(10, from);
      if (lf < 0) {
        this.searched = data.length - start;
        return -1;
      }
      const crlf = lf > start && data[lf - 1] === 13;
      if (this.strict && !crlf) return BARE_LF;
      const lineStart = start + this.lineStart;
      if (lf === lineStart || (crlf && lf === lineStart + 1)) {
        this.lineStart = 0;
        this.searched = 0;
        return lf + 1;
      }
      this.lineStart = lf + 1 - start;
      from = lf + 1;
    }
  }

  /** Whether no line ending has been seen yet in the current block (the start line is incomplete). */
  get inFirstLine(): boolean {
    return this.lineStart === 0;
  }

  /** How many bytes of the current block are complete lines (the offset of the line being scanned). */
  get completeLines(): number {
    return this.lineStart;
  }
}

/** The end of the line from `pos` to the LF at `lf`: the index of its CR if it has one, else of the LF. */
function lineEnd(text: string, lf: number, pos: number): number {
  return lf > pos && text.charCodeAt(lf - 1) === 13 ? lf - 1 : lf;
}

/**
 * Parses the field lines of a decoded block, from `pos` up to its empty line, into `headers`.
 * `text` is the block decoded as latin1, as found by {@link BlockScanner}; `unfold` says whether
 * obs-fold lines continue the previous value (client) or are an error (server); errors come from
 * `fail` with status 400.
 *
 * @example
 * ```ts
 * const h = new HttpHeaders();
 * parseFields("A: 1\r\nB:  2 \r\n\r\n", 0, h, true, (m) => new HttpParseError(m));
 * h.get("b"); // "2"
 * ```
 */
export function parseFields(text: string, pos: number, headers: HttpHeaders, unfold: boolean, fail: MakeError): void {
  // The last line is held back one step, so that an obs-fold line can still extend its value.
  let name: string | undefined;
  let value = "";
  for (;;) {
    const lf = text.indexOf("\n", pos);
    const next = lf < 0 ? text.length : lf;
    const end = lineEnd(text, next, pos);
    if (end === pos) break;
    const first = text.charCodeAt(pos);
    if (first === 32 || first === 9) {
      if (!unfold || name === undefined) throw fail(`malformed header line: ${quote(text.slice(pos, end))}`, 400);
      value = `${value} ${fieldValue(text, pos, end, fail)}`;
    } else {
      const colon = text.indexOf(":", pos);
      if (colon < 0 || colon > end) throw fail(`malformed header line: ${quote(text.slice(pos, end))}`, 400);
      const fieldName = text.slice(pos, colon);
      if (!TOKEN.test(fieldName)) throw fail(`malformed header line: ${quote(text.slice(pos, end))}`, 400);
      if (name !== undefined) headers.append(name, value);
      name = fieldName;
      value = fieldValue(text, colon + 1, end, fail);
    }
    pos = next + 1;
  }
  if (name !== undefined) headers.append(name, value);
}

/** The value in `text[from..end)` without its surrounding spaces and tabs, checked for control characters. */
function fieldValue(text: string, from: number, end: number, fail: MakeError): string {
  while (from < end && (text.charCodeAt(from) === 32 || text.charCodeAt(from) === 9)) from++;
  while (end > from && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  const value = text.slice(from, end);
  if (BAD_VALUE_CHAR.test(value)) throw fail(`invalid character in header value: ${quote(value)}`, 400);
  return value;
}

/**
 * The lower-cased, trimmed items of a comma-separated field value (`Connection`,
 * `Transfer-Encoding`), empty items dropped.
 *
 * @example
 * ```ts
 * listItems("Keep-Alive, Upgrade"); // ["keep-alive", "upgrade"]
 * ```
 */
export function listItems(value: string): string[] {
  const items: string[] = [];
  for (const part of value.split(",")) {
    const item = part.trim().toLowerCase();
    if (item !== "") items.push(item);
  }
  return items;
}
