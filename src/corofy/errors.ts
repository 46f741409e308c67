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

/** 1-based line and column of an offset in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** A {@link CorofyError} at `offset` of the original `text`. */
export function errorAt(file: string, text: string, offset: number, reason: string): CorofyError {
  const { line, column } = lineAndColumn(text, offset);
  return new CorofyError(file, line, column, reason);
}
