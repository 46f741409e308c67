/**
 * The documentation's code is compiled: every ```ts block of a Markdown file and every ```ts fence
 * inside an `@example` of a public export is extracted into a module of its own and type-checked
 * against the package's `.d.ts` files, as a user's code would be. Errors point at the Markdown or
 * source line (`README.md:57:12: TS2345: ...`).
 *
 * How a snippet becomes a module (the hidden-prelude convention):
 *
 * - A snippet that imports nothing from the package gets an import of every export of the package
 *   it documents (`reactor-executor`, or `reactor-executor-corofy` for corofy's API), less the
 *   names it declares itself.
 * - A snippet with a `yield` outside any function is a fragment of a coroutine body: it is wrapped
 *   in `coroutine(function* () { ... })`.
 * - What a snippet needs and does not show goes in an HTML comment right before its fence, which
 *   Markdown renderers and editor hovers do not display:
 *
 *   ```md
 *   <!-- ts-check
 *   declare const url: string;
 *   -->
 *   ```ts
 *   const res = yield* wait(Http.request({ url }));
 *   ```
 *   ```
 *
 *   The comment's lines are put before the snippet. A line `...` in it stands for the snippet: the
 *   lines above it go before, those below after, and no automatic wrapping is done.
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { STRICT_OPTIONS } from "./type-check.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** One snippet, with where each of its lines came from. */
export interface Snippet {
  /** The file it is documented in, as shown in errors (relative to the repository). */
  file: string;
  /** The package whose exports it may use without importing them. */
  packageName: string;
  code: string;
  /** 1-based line in `file` of the snippet's first line. */
  line: number;
  /** Characters before the snippet's text on each of its lines in `file` (fence indentation, ` * `). */
  indent: number;
  /** The hidden prelude (the `<!-- ts-check -->` comment's lines) and its first line in `file`. */
  prelude: { lines: string[]; line: number } | undefined;
}

/** A type error in a snippet, at its place in the documentation. */
export interface SnippetError {
  file: string;
  line: number;
  column: number;
  message: string;
}

const FENCE_OPEN = /^(\s*)```(ts|typescript)\s*$/;
const FENCE_CLOSE = /^\s*```\s*$/;
const PRELUDE_OPEN = /^\s*<!--\s*ts-check\s*$/;
const PRELUDE_CLOSE = /^\s*-->\s*$/;

/**
 * The ```ts snippets of a Markdown text, with their hidden preludes.
 *
 * @example
 * ```ts
 * const snippets = markdownSnippets("README.md", readFileSync("README.md", "utf8"), "reactor-executor");
 * ```
 */
export function markdownSnippets(file: string, text: string, packageName: string): Snippet[] {
  return fencedSnippets(file, text.split("\n"), 1, packageName);
}

/** Snippets of `lines` (the first being line `first` of `file`). */
function fencedSnippets(file: string, lines: string[], first: number, packageName: string, prefix = 0): Snippet[] {
  const found: Snippet[] = [];
  let prelude: Snippet["prelude"];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (PRELUDE_OPEN.test(l)) {
      const start = i + 1;
      while (i < lines.length && !PRELUDE_CLOSE.test(lines[i]!)) i++;
      if (i === lines.length) throw new Error(`${file}:${first + start - 1}: a <!-- ts-check comment is never closed`);
      prelude = { lines: lines.slice(start, i), line: first + start };
      continue;
    }
    const open = FENCE_OPEN.exec(l);
    if (open !== null) {
      const indent = open[1]!.length;
      const start = i + 1;
      while (i + 1 < lines.length && !FENCE_CLOSE.test(lines[i + 1]!)) i++;
      const body = lines.slice(start, i + 1).map((b) => b.slice(Math.min(indent, b.length - b.trimStart().length)));
      found.push({ file, packageName, code: body.join("\n"), line: first + start, indent: prefix + indent, prelude });
      prelude = undefined;
      i++;
      continue;
    }
    if (l.trim() !== "") prelude = undefined;
  }
  return found;
}

/**
 * The ```ts fences in the `@example`s of every export of `entry` (a source file) and of their
 * members, with the line each came from.
 *
 * @example
 * ```ts
 * const snippets = exampleSnippets("src/index.ts", "reactor-executor");
 * ```
 */
export function exampleSnippets(entry: string, packageName: string): Snippet[] {
  const program = ts.createProgram([path.join(root, entry)], { ...STRICT_OPTIONS, noEmit: true });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(path.join(root, entry))!)!;
  const declarations = new Set<ts.Declaration>();
  for (let symbol of checker.getExportsOfModule(module)) {
    if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    for (const d of symbol.declarations ?? []) {
      declarations.add(d);
      if (ts.isClassDeclaration(d) || ts.isInterfaceDeclaration(d)) {
        for (const m of d.members) {
          const modifiers = ts.canHaveModifiers(m) ? (ts.getModifiers(m) ?? []) : [];
          if (!modifiers.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword))
            declarations.add(m);
        }
      }
    }
  }
  const found: Snippet[] = [];
  const seen = new Set<string>();
  for (const d of declarations) {
    const sf = d.getSourceFile();
    for (const tag of ts.getJSDocTags(d)) {
      if (tag.tagName.text !== "example") continue;
      const key = `${sf.fileName}:${tag.pos}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const startLine = sf.getLineAndCharacterOfPosition(tag.pos).line;
      const endLine = sf.getLineAndCharacterOfPosition(tag.end).line;
      const raw = sf.text.split("\n").slice(startLine, endLine + 1);
      const prefix = /^\s*\* ?/.exec(raw.find((l) => l.includes("```")) ?? "")?.[0].length ?? 0;
      const lines = raw.map((l) => l.replace(/^\s*\*\/?\s?/, "").replace(/\*\/\s*$/, ""));
      found.push(...fencedSnippets(path.relative(root, sf.fileName), lines, startLine + 1, packageName, prefix));
    }
  }
  return found.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** A module's text and, for each of its lines, the documentation line it came from (0: generated). */
interface Built {
  text: string;
  origins: { line: number; columnShift: number }[];
}

/** Every export name of the package entry `packageName` resolves to. */
function exportNames(program: ts.Program, checker: ts.TypeChecker, from: string, packageName: string): string[] {
  const resolved = ts.resolveModuleName(packageName, from, program.getCompilerOptions(), ts.sys).resolvedModule;
  const sf = resolved === undefined ? undefined : program.getSourceFile(resolved.resolvedFileName);
  const symbol = sf === undefined ? undefined : checker.getSymbolAtLocation(sf);
  if (symbol === undefined) throw new Error(`snippets: cannot resolve ${packageName} from ${from}`);
  return checker.getExportsOfModule(symbol).map((s) => s.name);
}

function build(snippet: Snippet, exported: Map<string, string[]>): Built {
  const code = snippet.code.split("\n");
  const origins: Built["origins"] = [];
  const out: string[] = [];
  const push = (line: string, origin: number, columnShift = 0): void => {
    out.push(line);
    origins.push({ line: origin, columnShift });
  };
  const parsed = ts.createSourceFile("snippet.ts", snippet.code, ts.ScriptTarget.Latest, true);
  const imports = parsed.statements.some(
    (s) => ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier) && s.moduleSpecifier.text === snippet.packageName,
  );
  const preludeText = snippet.prelude?.lines.join("\n") ?? "";
  const importedByPrelude = preludeText.includes(`from "${snippet.packageName}"`);
  if (!imports && !importedByPrelude) {
    const declared = topLevelNames(parsed);
    for (const l of snippet.prelude?.lines ?? [])
      for (const m of l.matchAll(/\b(?:const|let|var|function|class|type|interface)\s+([A-Za-z_$][\w$]*)/g)) declared.add(m[1]!);
    const names = (exported.get(snippet.packageName) ?? []).filter((n) => !declared.has(n));
    push(`import { ${names.join(", ")} } from "${snippet.packageName}";`, 0);
  }
  const placeholder = snippet.prelude?.lines.findIndex((l) => l.trim() === "...") ?? -1;
  const preludeLines = snippet.prelude?.lines ?? [];
  const before = placeholder === -1 ? preludeLines : preludeLines.slice(0, placeholder);
  const after = placeholder === -1 ? [] : preludeLines.slice(placeholder + 1);
  before.forEach((l, i) => push(l, snippet.prelude!.line + i));
  const wrap = placeholder === -1 && hasTopLevelYield(parsed);
  const importLines = new Set<number>();
  if (wrap) {
    for (const s of parsed.statements) {
      if (!ts.isImportDeclaration(s)) continue;
      const a = parsed.getLineAndCharacterOfPosition(s.getStart(parsed)).line;
      const b = parsed.getLineAndCharacterOfPosition(s.end).line;
      for (let k = a; k <= b; k++) importLines.add(k);
    }
    importLines.forEach((k) => push(code[k]!, snippet.line + k, snippet.indent));
    push("export const __snippet = coroutine(function* () {", 0);
  }
  code.forEach((l, k) => {
    if (!importLines.has(k)) push(l, snippet.line + k, snippet.indent);
  });
  if (wrap) push("});", 0);
  after.forEach((l, i) => push(l, snippet.prelude!.line + placeholder + 1 + i));
  return { text: out.join("\n") + "\n", origins };
}

function topLevelNames(sf: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  for (const s of sf.statements) {
    if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) && s.name)
      names.add(s.name.text);
    if (ts.isVariableStatement(s)) {
      const visit = (n: ts.BindingName): void => {
        if (ts.isIdentifier(n)) names.add(n.text);
        else for (const e of n.elements) if (!ts.isOmittedExpression(e)) visit(e.name);
      };
      for (const d of s.declarationList.declarations) visit(d.name);
    }
  }
  return names;
}

function hasTopLevelYield(sf: ts.SourceFile): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n)) return;
    // Outside a generator, `yield* f` parses as the identifier `yield` times `f`.
    const starred =
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind === ts.SyntaxKind.AsteriskToken &&
      ts.isIdentifier(n.left) &&
      n.left.text === "yield";
    if (ts.isYieldExpression(n) || starred) found = true;
    else n.forEachChild(visit);
  };
  sf.forEachChild(visit);
  return found;
}

/**
 * Type-checks `snippets` together (one module each, in a temporary directory inside the
 * repository so the package names resolve to this repository) and returns their errors at their
 * places in the documentation.
 *
 * @example
 * ```ts
 * const errors = checkSnippets(markdownSnippets("README.md", text, "reactor-executor"));
 * ```
 */
export function checkSnippets(snippets: Snippet[]): SnippetError[] {
  const dir = mkdtempSync(path.join(root, "dist/test/snippets-"));
  try {
    const options: ts.CompilerOptions = { ...STRICT_OPTIONS, noUnusedLocals: false, noUnusedParameters: false, rootDir: dir };
    const packages = [...new Set(snippets.map((s) => s.packageName))];
    const exported = new Map<string, string[]>();
    for (const p of packages) {
      const importer = path.join(dir, `import-${exported.size}.ts`);
      writeFileSync(importer, `export * from "${p}";\n`);
      const program = ts.createProgram([importer], options);
      exported.set(p, exportNames(program, program.getTypeChecker(), importer, p));
    }
    const built = snippets.map((s, i) => {
      const b = build(s, exported);
      const file = path.join(dir, `snippet-${i}.ts`);
      writeFileSync(file, b.text);
      return { snippet: s, built: b, file };
    });
    const program = ts.createProgram(
      built.map((b) => b.file),
      options,
    );
    const byFile = new Map(built.map((b) => [b.file, b]));
    const errors: SnippetError[] = [];
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const message = `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
      const b = d.file === undefined ? undefined : byFile.get(d.file.fileName);
      if (b === undefined || d.start === undefined) {
        errors.push({ file: d.file?.fileName ?? "(options)", line: 0, column: 0, message });
        continue;
      }
      const at = d.file!.getLineAndCharacterOfPosition(d.start);
      const origin = b.built.origins[at.line];
      const generated = origin === undefined || origin.line === 0;
      errors.push({
        file: b.snippet.file,
        line: generated ? b.snippet.line : origin.line,
        column: generated ? 1 : at.character + 1 + origin.columnShift,
        message: generated ? `${message} (in the code added around the snippet: ${b.built.text.split("\n")[at.line]!.trim()})` : message,
      });
    }
    return errors;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `file:line:col: message`, one a line. */
export function formatSnippetErrors(errors: SnippetError[]): string {
  return errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`).join("\n");
}

/** The repository's README, read fresh. */
export function readme(): string {
  return readFileSync(path.join(root, "README.md"), "utf8");
}
