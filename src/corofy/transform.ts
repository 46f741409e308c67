/**
 * corofy: rewrites `coroutine function` / `wait` source into readable state machines that implement
 * the runtime's `Future`, as the book's `corofy` tool does (chapter 7), so a reader can see what
 * async/await compiles to.
 *
 * Input: TypeScript in which some top-level functions are marked `coroutine function name(params):
 * T { ... }` and pause points are written `wait <future>` — as a statement, as a `const`/`let`
 * initializer, as the right side of `x = wait f`, or as a `return` value (`wait` binds like `await`).
 * `wait` may appear inside `if`/`else`, `for`, `for..of`, `while`, `do..while` and
 * `try`/`catch`/`finally`. Output: the same file, in which each coroutine is
 *
 * - a function with the same name and parameters returning `new Coroutine0(...)`, a `Future<T>`
 *   (`T` from the return annotation, `void` without one);
 * - a `State0` union with one member per state (`Start`, `Wait1` holding the future it waits on,
 *   ..., `Resolved`) and a class `Coroutine0` whose `poll` runs the code of the current state until
 *   the next wait; the user's statements appear as written between `---- Code you actually wrote
 *   ----` markers; locals used on both sides of a wait point are fields (the book's chapter 9);
 * - preceded by the original, commented out, under the book's headers `We rewrite this:` and
 *   `Into this:`.
 *
 * Everything else passes through unchanged, and the runtime names the generated code needs are
 * imported from `reactor-executor` (merged with the file's own import).
 *
 * The generated machine keeps the `Future` contract: it returns `PENDING` only after the future it
 * waits on did (which stored the waker); polled after it finished (returned or threw) it throws a
 * `RuntimeError`; `drop()` drops the future it waits on, then closes the `for..of` iterators and
 * runs the `finally` blocks around that wait, as dropping a `coroutine(function* ...)` does (a wait
 * inside such a `finally` ends the drop there). An error thrown by a waited future's `poll`
 * surfaces at its `wait`: inside a `try`, the machine moves to the `catch` (or `finally`) state;
 * elsewhere it leaves `poll`.
 *
 * Implementation notes:
 * - Parsing is TypeScript's own (see `keywords.ts`); types come from TypeScript's checker over a
 *   type-checkable copy of the file (`typing.ts`); lowering (`lower.ts`), the choice of fields
 *   (`hoist.ts`) and printing (`emit.ts`) follow.
 * - Placement: the book puts the rewritten coroutines last in the file. A JavaScript class is not
 *   hoisted, so a program whose top-level code calls a coroutine (`blockOn(main())`) would reach the
 *   class before its definition; the rewritten coroutines therefore go right after the imports,
 *   under the same headers, all together as in the book.
 * - Differences from `coroutine(function* ...)` (documented, not silent): an error leaving a
 *   `for..of` loop does not call the iterator's `return()` (`break`, `return` and a drop do); a wait
 *   inside a `finally` block that a drop runs has its future dropped (the generator runtime leaves
 *   it undropped).
 *
 * @module
 */
import ts from "typescript";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { EditedText, type Edit } from "./edited-text.js";
import { CorofyError, errorAt, lineAndColumn } from "./errors.js";
import { emitMachine, type Api } from "./emit.js";
import { hoist } from "./hoist.js";
import { Imports } from "./imports.js";
import { markKeywords } from "./keywords.js";
import { lower, type Names } from "./lower.js";
import { buildTyping, type Typing } from "./typing.js";

export { CorofyError } from "./errors.js";

const HEADER_REWRITE = ["// =================================", "// We rewrite this:", "// ================================="];
const HEADER_INTO = ["// =================================", "// Into this:", "// ================================="];

/**
 * Rewrites the coroutines of `source` (the text of file `fileName`, used for positions in errors
 * and to resolve imports and `tsconfig.json`) and returns the new file's text.
 * Throws a {@link CorofyError} for input it cannot rewrite.
 *
 * @example
 * ```ts
 * const out = corofy(readFileSync("main.coro", "utf8"), "main.coro");
 * writeFileSync("main_corofied.ts", out);
 * ```
 */
export function corofy(source: string, fileName: string): string {
  const marked = markKeywords(fileName, source);
  if (marked.coroutines.length === 0) throw new CorofyError(fileName, 1, 1, "no `coroutine function` found");
  const typing = buildTyping(fileName, source, marked);
  const taken = new Set<string>();
  const collect = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) taken.add(node.text);
    node.forEachChild(collect);
  };
  collect(marked.parsed);
  const unique = (preferred: string): string => {
    let name = preferred;
    for (let n = 2; taken.has(name); n++) name = `${preferred}${n}`;
    taken.add(name);
    return name;
  };
  const names: Names = {
    state: unique("state"),
    waker: unique("waker"),
    output: unique("output"),
    error: unique("error"),
    completion: unique("completion"),
    next: unique("next"),
    dispatch: unique("dispatch"),
  };
  const classNames = marked.coroutines.map((_, i) => ({ state: unique(`State${i}`), coroutine: unique(`Coroutine${i}`) }));
  const imports = new Imports(marked.parsed, taken);
  const api: Api = {
    Future: imports.type("Future"),
    Poll: imports.type("Poll"),
    Waker: imports.type("Waker"),
    PENDING: imports.value("PENDING"),
    RuntimeError: imports.value("RuntimeError"),
    NoopWaker: undefined,
  };

  const isWait = (node: ts.Node): node is ts.CallExpression => typing.waits.has(node as ts.CallExpression);
  const edits: Edit[] = [];
  const generated: string[] = [];
  marked.coroutines.forEach((site, i) => {
    const declaration = typing.coroutines[i]!;
    const fail = (node: ts.Node, reason: string): never => {
      throw errorAt(fileName, source, typing.edited.toOriginal(node.getStart(typing.sourceFile)), reason);
    };
    const printType = (type: ts.Type, at: ts.Node): string => typing.printType(type, at, (exported) => imports.type(exported));
    const outputType = site.declaration.type === undefined ? "void" : site.declaration.type.getText(marked.parsed);
    const machine = lower({
      body: declaration.body,
      isWait,
      futureType: (wait) => `${api.Future}<${printType(typing.checker.getTypeAtLocation(wait), wait)}>`,
      elementType: (loop) => {
        const init = loop.initializer;
        const at = ts.isVariableDeclarationList(init) ? init.declarations[0]!.name : init;
        return printType(typing.checker.getTypeAtLocation(at), at);
      },
      describe: (node) => describe(source, typing, node),
      lineOf: (node) => lineOf(source, typing, node),
      outputType,
      stateType: classNames[i]!.state,
      pending: api.PENDING,
      fallOff: admitsUndefined(typing, declaration)
        ? undefined
        : [{ t: "line", parts: [`throw new ${api.RuntimeError}("${declaration.name.text} ran off its end without returning a value");`] }],
      names,
      fail,
    });
    if (machine.usesUnwind) api.NoopWaker ??= imports.value("NoopWaker");
    const hoisting = hoist({
      declaration,
      machine,
      checker: typing.checker,
      isWait,
      typeOf: (name) => declaredType(typing, name, printType),
      reserved: new Set(["state", "poll", "drop", "describe", "resume", "unwind", "constructor", ...machine.fields.map((f) => f.name)]),
      fail,
    });
    const originalStart = Math.min(site.keyword, site.declaration.getStart(marked.parsed));
    const { commentStart, comments } = attachedComments(source, site.declaration.pos, originalStart);
    edits.push({ start: commentStart, end: removalEnd(source, commentStart, site.declaration.end), text: "" });
    const original = source
      .slice(originalStart, site.declaration.end)
      .split("\n")
      .map((l) => `// ${l}`.trimEnd());
    generated.push(
      [
        ...HEADER_REWRITE,
        "",
        ...original,
        "",
        ...HEADER_INTO,
        "",
        emitMachine({
          declaration,
          machine,
          hoisting,
          sourceFile: typing.sourceFile,
          isWait,
          names,
          api,
          stateType: classNames[i]!.state,
          className: classNames[i]!.coroutine,
          outputType,
          leadingComments: comments,
        }),
      ].join("\n"),
    );
  });

  const { edit: importEdit, line: importLine } = imports.finish();
  if (importEdit !== undefined) edits.push(importEdit);
  const lastImport = [...marked.parsed.statements].reverse().find(ts.isImportDeclaration);
  let at = lastImport === undefined ? firstStatementStart(marked.parsed) : lastImport.end;
  for (const e of edits) if (e.start < at && at < e.end) at = e.start;
  const block = generated.join("\n\n");
  const text =
    lastImport === undefined
      ? `${importLine === undefined ? "" : `${importLine}\n\n`}${block}\n\n`
      : `${importLine === undefined ? "" : `\n${importLine}`}\n\n${block}`;
  edits.push({ start: at, end: at, text });
  return new EditedText(source, edits).text;
}

/**
 * Reads `src`, rewrites it and writes the result to `dest` (default: `<name>_corofied.ts` next to
 * the source). Returns the path written.
 *
 * @example
 * ```ts
 * corofyFile("examples/main.coro"); // writes examples/main_corofied.ts
 * ```
 */
export function corofyFile(src: string, dest: string = defaultDestination(src)): string {
  const out = corofy(readFileSync(src, "utf8"), src);
  writeFileSync(dest, out);
  return dest;
}

/**
 * `<name>_corofied.ts` in the source's directory, `<name>` being the file name without its
 * extensions (`.txt`, then `.coro`/`.ts`).
 *
 * @example
 * ```ts
 * defaultDestination("src/main.coro"); // "src/main_corofied.ts"
 * ```
 */
export function defaultDestination(src: string): string {
  const base = path
    .basename(src)
    .replace(/\.txt$/, "")
    .replace(/\.(coro|[mc]?ts)$/, "");
  return path.join(path.dirname(src), `${base}_corofied.ts`);
}

/** Whether the coroutine's output type admits `undefined` (so running off the end returns it). */
function admitsUndefined(typing: Typing, declaration: Typing["coroutines"][number]): boolean {
  const future = declaration.type;
  const output = future !== undefined && ts.isTypeReferenceNode(future) ? future.typeArguments?.[0] : undefined;
  if (output === undefined) return true;
  const type = typing.checker.getTypeFromTypeNode(output);
  return typing.checker.isTypeAssignableTo(typing.checker.getUndefinedType(), type);
}

/** The type of a kept local or parameter: its annotation as written, else what the checker infers. */
function declaredType(typing: Typing, name: ts.Identifier, printType: (type: ts.Type, at: ts.Node) => string): string {
  const d = name.parent;
  const annotated =
    (ts.isVariableDeclaration(d) || (ts.isParameter(d) && d.questionToken === undefined && d.initializer === undefined)) &&
    d.name === name &&
    d.type !== undefined;
  if (annotated) return d.type.getText(typing.sourceFile);
  return printType(typing.checker.getTypeAtLocation(name), name);
}

function lineOf(source: string, typing: Typing, node: ts.Node): number {
  return lineAndColumn(source, typing.edited.toOriginal(node.getStart(typing.sourceFile))).line;
}

/** `line 12: const txt = wait Http.get(...)`, from the user's text. */
function describe(source: string, typing: Typing, node: ts.Node): string {
  const start = typing.edited.toOriginal(node.getStart(typing.sourceFile));
  const end = source.indexOf("\n", start);
  let first = source.slice(start, end === -1 ? undefined : end).trim();
  if (first.length > 72) first = `${first.slice(0, 69)}...`;
  return `line ${lineOf(source, typing, node)}: ${first}`;
}

/** The comments directly above a declaration (no blank line in between), which move with it. */
function attachedComments(source: string, pos: number, start: number): { commentStart: number; comments: string } {
  const ranges = ts.getLeadingCommentRanges(source, pos) ?? [];
  let first = ranges.length;
  let next = start;
  for (let i = ranges.length - 1; i >= 0; i--) {
    if (/\n[ \t]*\r?\n/.test(source.slice(ranges[i]!.end, next))) break;
    first = i;
    next = ranges[i]!.pos;
  }
  const kept = ranges.slice(first);
  if (kept.length === 0) return { commentStart: start, comments: "" };
  return { commentStart: kept[0]!.pos, comments: kept.map((r) => source.slice(r.pos, r.end)).join("\n") };
}

function firstStatementStart(sf: ts.SourceFile): number {
  const first = sf.statements[0];
  return first === undefined ? sf.text.length : first.getStart(sf);
}

/**
 * Where the removal of a coroutine ends: after its line break, and after the blank lines that
 * follow when a blank line already precedes it (so the gap it leaves is one blank line).
 */
function removalEnd(source: string, start: number, end: number): number {
  const lineEnd = /^[ \t]*\r?\n/.exec(source.slice(end));
  if (lineEnd === null) return end;
  let at = end + lineEnd[0].length;
  if (!/(^|\n)[ \t]*\r?\n[ \t]*$/.test(source.slice(0, start))) return at;
  for (let blank = /^[ \t]*\r?\n/.exec(source.slice(at)); blank !== null; blank = /^[ \t]*\r?\n/.exec(source.slice(at)))
    at += blank[0].length;
  return at;
}
