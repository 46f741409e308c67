/**
 * A text with edits applied that still knows where every position came from, so that code found
 * in the edited text can be reported at its place in the original.
 *
 * @module
 */

/** Replace `[start, end)` of the original with `text` (`start === end` inserts). */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

interface Span {
  /** Range in the original. */
  from: number;
  to: number;
  /** Start of its replacement in the edited text. */
  at: number;
  /** Length of the replacement. */
  length: number;
}

/**
 * The original text with non-overlapping edits applied.
 *
 * @example
 * ```ts
 * const e = new EditedText("wait x", [{ start: 0, end: 4, text: "f(" }, { start: 6, end: 6, text: ")" }]);
 * e.text;            // "f( x)"
 * e.toOriginal(3);   // 5: the "x"
 * ```
 */
export class EditedText {
  /** The edited text. */
  readonly text: string;
  private readonly spans: Span[] = [];

  constructor(original: string, edits: readonly Edit[]) {
    const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
    let out = "";
    let pos = 0;
    for (const edit of sorted) {
      if (edit.start < pos) throw new Error(`overlapping edits at ${edit.start}`);
      out += original.slice(pos, edit.start);
      this.spans.push({ from: edit.start, to: edit.end, at: out.length, length: edit.text.length });
      out += edit.text;
      pos = edit.end;
    }
    this.text = out + original.slice(pos);
  }

  /** Where original position `pos` is in the edited text (inside a replaced range: its replacement's start). */
  toEdited(pos: number): number {
    let delta = 0;
    for (const s of this.spans) {
      if (pos < s.from) break;
      if (pos < s.to) return s.at;
      delta = s.at + s.length - s.to;
    }
    return pos + delta;
  }

  /** Where edited position `pos` came from (inside inserted text: the edit's start). */
  toOriginal(pos: number): number {
    let delta = 0;
    for (const s of this.spans) {
      if (pos < s.at) break;
      if (pos < s.at + s.length) return s.from;
      delta = s.to - (s.at + s.length);
    }
    return pos + delta;
  }
}
