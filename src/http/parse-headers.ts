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

/** RFC 9110 `tchar`, as a regular-expression class: the one definition of a token's characters. */
const TCHAR_CLASS = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]";
/** RFC 9110 `token`: what a field name and a method are made of. */
const TOKEN = new RegExp(`^${TCHAR_CLASS}+$`);
/** `TCHAR[c]` is 1 when the byte `c` may appear in a token. */
const TCHAR = new Uint8Array(256);
for (let c = 0; c < 128; c++) TCHAR[c] = TOKEN.test(String.fromCharCode(c)) ? 1 : 0;

/** A field value's chars: HTAB, SP, VCHAR and obs-text (RFC 9110 §5.5), decoded as latin1. */
const VALUE_CHARS = "[\\t\\x20-\\x7e\\x80-\\xff]*";
/** A well-formed field line and its line end (CRLF or a bare LF), as a regular expression's source. */
export const FIELD_LINE = `${TCHAR_CLASS}+:${VALUE_CHARS}\\r?\\n`;
/**
 * Well-formed field lines from `lastIndex` to the end, the empty line that ends them optional (a
 * head still arriving is checked by its complete lines). Line ends are the scanner's business.
 */
const FIELD_LINES = new RegExp(`(?:${FIELD_LINE})*(?:\\r?\\n)?$`, "y");
/** {@link FIELD_LINES} where a line starting with SP or HTAB continues a field's value (obs-fold). */
const FIELD_LINES_FOLDED = new RegExp(`(?:${FIELD_LINE}(?:[\\t ]${VALUE_CHARS}\\r?\\n)*)*(?:\\r?\\n)?$`, "y");

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
 * Stored as one array of name and value in turn, not a `Map`: a message has a handful of fields, and a linear scan
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
  /** Each field line received as two entries: its lower-case name, then its value. */
  private readonly fields: string[] = [];

  /** The value of field `name` (any case), repeated lines joined with `", "`; `undefined` if absent. */
  get(name: string): string | undefined {
    const key = name.toLowerCase();
    const fields = this.fields;
    let value: string | undefined;
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === key) value = value === undefined ? fields[i + 1] : `${value}, ${fields[i + 1]}`;
    }
    return value;
  }

  /** The value of each line of field `name` (any case), in the order received; empty if absent. */
  getAll(name: string): string[] {
    const key = name.toLowerCase();
    const fields = this.fields;
    const values: string[] = [];
    for (let i = 0; i < fields.length; i += 2) if (fields[i] === key) values.push(fields[i + 1] as string);
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
    const key = name.toLowerCase();
    const fields = this.fields;
    for (let i = 0; i < fields.length; i += 2) if (fields[i] === key) return true;
    return false;
  }

  /** `[lower-case name, value]` pairs, one per distinct name, in the order the names first appeared. */
  entries(): IterableIterator<[string, string]> {
    const joined = new Map<string, string>();
    const fields = this.fields;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i] as string;
      const previous = joined.get(name);
      joined.set(name, previous === undefined ? (fields[i + 1] as string) : `${previous}, ${fields[i + 1]}`);
    }
    return joined.entries();
  }

  /** Adds one field line; a name already present gets this value appended to its value. */
  append(name: string, value: string): void {
    this.fields.push(name.toLowerCase(), value);
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

  /** Whether no byte of the current block has been looked at yet. */
  get fresh(): boolean {
    return this.searched === 0;
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
 * `fail` with status 400. With `only` (lower-case names), every line is checked the same way but
 * only those fields are kept: a caller that needs the framing fields, not the others, does not
 * pay for copying them.
 *
 * @example
 * ```ts
 * const h = new HttpHeaders();
 * parseFields("A: 1\r\nB:  2 \r\n\r\n", 0, h, true, (m) => new HttpParseError(m));
 * h.get("b"); // "2"
 * ```
 */
export function parseFields(
  text: string,
  pos: number,
  headers: HttpHeaders,
  unfold: boolean,
  fail: MakeError,
  only?: readonly string[],
): void {
  // One regular expression checks the whole block (what a well-formed message needs, and much
  // faster than looking at each char from JS); only a block it refuses is checked line by line,
  // to name what is wrong.
  const grammar = unfold ? FIELD_LINES_FOLDED : FIELD_LINES;
  grammar.lastIndex = pos;
  const checked = grammar.test(text);
  // A block already checked has nothing left to do when none of its fields is kept.
  if (checked && only !== undefined && only.length === 0) return;
  // The last line is held back one step, so that an obs-fold line can still extend its value.
  let name: string | undefined;
  let value = "";
  let kept = false;
  let lines = false;
  for (;;) {
    const lf = text.indexOf("\n", pos);
    const next = lf < 0 ? text.length : lf;
    const end = lineEnd(text, next, pos);
    if (end === pos) break;
    const first = text.charCodeAt(pos);
    if (first === 32 || first === 9) {
      if (!checked && (!unfold || !lines)) throw malformedLine(text, pos, end, fail);
      const from = valueStart(text, pos, end, checked, fail);
      if (kept) value = `${value} ${text.slice(from, valueEnd(text, from, end))}`;
    } else {
      const colon = checked ? text.indexOf(":", pos) : tokenEnd(text, pos, end);
      if (!checked && (colon === pos || text.charCodeAt(colon) !== 58)) throw malformedLine(text, pos, end, fail);
      if (kept) headers.append(name as string, value);
      lines = true;
      name = only === undefined ? text.slice(pos, colon) : wanted(text, pos, colon, only);
      kept = name !== undefined;
      const from = valueStart(text, colon + 1, end, checked, fail);
      if (kept) value = text.slice(from, valueEnd(text, from, end));
    }
    pos = next + 1;
  }
  if (kept) headers.append(name as string, value);
}

function malformedLine(text: string, pos: number, end: number, fail: MakeError): Error {
  return fail(`malformed header line: ${quote(text.slice(pos, end))}`, 400);
}

/** The index of the first char from `pos` (up to `end`) that cannot be in a token. */
function tokenEnd(text: string, pos: number, end: number): number {
  while (pos < end && TCHAR[text.charCodeAt(pos)] === 1) pos++;
  return pos;
}

/** The one of the lower-case `names` that `text[from..to)` is, in any case; else `undefined`. */
function wanted(text: string, from: number, to: number, names: readonly string[]): string | undefined {
  for (const name of names) {
    if (name.length !== to - from) continue;
    let i = 0;
    // Setting bit 0x20 lower-cases a letter, and turns no other token char into a letter or "-".
    while (i < name.length && (text.charCodeAt(from + i) | 0x20) === name.charCodeAt(i)) i++;
    if (i === name.length) return name;
  }
  return undefined;
}

/**
 * Where the value in `text[from..end)` starts, past its leading spaces and tabs. Unless the block
 * is already `checked`, throws if the value holds a control character (other than HTAB).
 */
function valueStart(text: string, from: number, end: number, checked: boolean, fail: MakeError): number {
  while (from < end && (text.charCodeAt(from) === 32 || text.charCodeAt(from) === 9)) from++;
  if (checked) return from;
  for (let i = from; i < end; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) {
      throw fail(`invalid character in header value: ${quote(text.slice(from, valueEnd(text, from, end)))}`, 400);
    }
  }
  return from;
}

/** Where the value starting at `from` ends, before its trailing spaces and tabs. */
function valueEnd(text: string, from: number, end: number): number {
  while (end > from && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return end;
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
