/**
 * The one error corofy throws: what it cannot rewrite, with the position in the user's file.
 *
 * @module
 */

/**
 * Source that corofy cannot rewrite: a syntax error, `wait` where it is not supported, a construct
 * the state machine cannot express. `message` reads `file:line:col: reason`, the form editors and
 * terminals turn into a link; the parts are also kept as fields. `code` is `"ECOROFY"`.
 *
 * @example
 * <!-- ts-check
 * declare const source: string;
 * -->
 * ```ts
 * try { corofy(source, "main.coro"); }
 * catch (e) { if (e instanceof CorofyError) console.error(e.message); } // main.coro:4:18: ...
 * ```
 */
export class CorofyError extends Error {
  override readonly name = "CorofyError";
  readonly code = "ECOROFY";
  /** The file name as given to corofy. */
  readonly file: string;
  /** 1-based line of the offending code. */
  readonly line: number;
  /** 1-based column of the offending code. */
  readonly column: number;
  /** The message without the position. */
  readonly reason: string;

  constructor(file: string, line: number, column: number, reason: string) {
    super(`${file}:${line}:${column}: ${reason}`);
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

/**
 * What ends a line in TypeScript (and JavaScript) source: CR LF, LF, a lone CR, U+2028 (line
 * separator) and U+2029 (paragraph separator). Positions count them all, as the compiler does.
 */
export const LINE_BREAK = /\r\n|[\n\r\u2028\u2029]/g;

/** 1-based line and column of an offset in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (const m of text.matchAll(LINE_BREAK)) {
    if (m.index >= offset) break;
    line++;
    lineStart = m.index + m[0].length;
  }
  return { line, column: offset - lineStart + 1 };
}

/** A {@link CorofyError} at `offset` of the original `text`. */
export function errorAt(file: string, text: string, offset: number, reason: string): CorofyError {
  const { line, column } = lineAndColumn(text, offset);
  return new CorofyError(file, line, column, reason);
}
