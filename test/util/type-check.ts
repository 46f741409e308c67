// Type-checks TypeScript texts as a user of the package would: written into a temporary directory
// inside the repository, so `reactor-executor` resolves to this package (its built `.d.ts` files).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** The repo's strict settings: what generated code and documented snippets must pass. */
export const STRICT_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ["lib.es2023.d.ts", "lib.es2024.sharedmemory.d.ts"],
  types: ["node"],
  skipLibCheck: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  noImplicitReturns: true,
  noFallthroughCasesInSwitch: true,
  noImplicitOverride: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
};

/** One error: the file's name (as given), 1-based line and column, and the message. */
export interface TypeError {
  file: string;
  line: number;
  column: number;
  message: string;
}

/**
 * Type-checks `files` (name -> text) together and returns their errors, in order.
 *
 * @example
 * ```ts
 * assert.deepEqual(typeCheck({ "a.ts": 'import { ready } from "reactor-executor"; ready(1);' }), []);
 * ```
 */
export function typeCheck(files: Record<string, string>, options: ts.CompilerOptions = STRICT_OPTIONS): TypeError[] {
  const dir = mkdtempSync(path.join(root, "dist/test/type-check-"));
  try {
    const byPath = new Map<string, string>();
    const names = Object.entries(files).map(([name, text]) => {
      const p = path.join(dir, name);
      writeFileSync(p, text);
      byPath.set(p, name);
      return p;
    });
    const program = ts.createProgram(names, { ...options, rootDir: dir });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const at = d.file === undefined || d.start === undefined ? undefined : d.file.getLineAndCharacterOfPosition(d.start);
      return {
        file: d.file === undefined ? "" : (byPath.get(d.file.fileName) ?? d.file.fileName),
        line: at === undefined ? 0 : at.line + 1,
        column: at === undefined ? 0 : at.character + 1,
        message: `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`,
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `file:line:col: message`, one a line. */
export function formatTypeErrors(errors: TypeError[]): string {
  return errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`).join("\n");
}
