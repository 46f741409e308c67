/**
 * The imports the generated code needs (`Future`, `Poll`, `Waker`, `PENDING`, `RuntimeError`, and
 * any runtime type a field needs), merged into the file's own import from `reactor-executor`.
 *
 * A name the file already imports from the package is reused under its local name; a missing one
 * is added to the file's first (non-`import type`) named import from the package, or to a new
 * import line. A name that would clash with another binding of the file is imported under an alias.
 *
 * @module
 */
import ts from "typescript";
import type { Edit } from "./edited-text.js";
import { RUNTIME_PACKAGE } from "./typing.js";

interface Wanted {
  exported: string;
  local: string;
  type: boolean;
}

/**
 * Collects the runtime names generated code uses and produces the import edits.
 *
 * @example
 * ```ts
 * const imports = new Imports(sourceFile, taken);
 * const future = imports.type("Future"); // "Future", or the file's alias for it
 * const { edit, line } = imports.finish();
 * ```
 */
export class Imports {
  private readonly existing: { exported: string; local: string; typeOnly: boolean }[] = [];
  private readonly added = new Map<string, Wanted>();
  private readonly target: ts.NamedImports | undefined;

  /** `sourceFile`: the user's file (keyword-free parse); `taken`: every identifier it uses. */
  constructor(
    private readonly sourceFile: ts.SourceFile,
    private readonly taken: Set<string>,
  ) {
    for (const s of sourceFile.statements) {
      if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier) || s.moduleSpecifier.text !== RUNTIME_PACKAGE) continue;
      const clause = s.importClause;
      if (clause === undefined || clause.namedBindings === undefined || !ts.isNamedImports(clause.namedBindings)) continue;
      if (!clause.isTypeOnly) this.target ??= clause.namedBindings;
      for (const e of clause.namedBindings.elements) {
        this.existing.push({ exported: (e.propertyName ?? e.name).text, local: e.name.text, typeOnly: clause.isTypeOnly || e.isTypeOnly });
      }
    }
  }

  /** The local name of the runtime's value export `exported`. */
  value(exported: string): string {
    return this.want(exported, false);
  }

  /** The local name of the runtime's type export `exported`. */
  type(exported: string): string {
    return this.want(exported, true);
  }

  private want(exported: string, type: boolean): string {
    const found = this.existing.find((e) => e.exported === exported && (type || !e.typeOnly));
    if (found !== undefined) return found.local;
    let wanted = this.added.get(exported);
    if (wanted === undefined) {
      let local = exported;
      for (let n = 2; this.taken.has(local); n++) local = `${exported}${n}`;
      this.taken.add(local);
      wanted = { exported, local, type };
      this.added.set(exported, wanted);
    }
    if (!type) wanted.type = false;
    return wanted.local;
  }

  /**
   * What to change: an edit adding the names to an existing import, or the text of a new import
   * line (to be placed by the caller); neither when nothing is missing.
   */
  finish(): { edit: Edit | undefined; line: string | undefined } {
    const specifiers = [...this.added.values()]
      .sort((a, b) => Number(a.type) - Number(b.type) || a.exported.localeCompare(b.exported))
      .map((w) => `${w.type ? "type " : ""}${w.exported}${w.local === w.exported ? "" : ` as ${w.local}`}`);
    if (specifiers.length === 0) return { edit: undefined, line: undefined };
    if (this.target === undefined) return { edit: undefined, line: `import { ${specifiers.join(", ")} } from "${RUNTIME_PACKAGE}";` };
    const elements = this.target.elements;
    if (elements.length === 0) {
      const at = this.target.getStart(this.sourceFile) + 1;
      return { edit: { start: at, end: at, text: ` ${specifiers.join(", ")} ` }, line: undefined };
    }
    const at = elements[elements.length - 1]!.end;
    return { edit: { start: at, end: at, text: `, ${specifiers.join(", ")}` }, line: undefined };
  }
}
