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
 *   (`T` from the return annotation, `void` without one: a coroutine that returns a value needs
 *   the annotation, and its absence is an error at the `return`);
 * - a `State0` union with one member per state (`Start`, `Wait1` holding the future it waits on,
 *   ..., `Resolved`) and a class `Coroutine0` whose `poll` runs the code of the current state until
 *   the next wait; the user's statements appear as written between `---- Code you actually wrote
 *   ----` markers; locals used on both sides of a wait point are fields (the book's chapter 9);
 * - preceded by the original, commented out, under the book's headers `We rewrite this:` and
 *   `Into this:`.
 *
 * Everything else passes through unchanged, and the runtime names the generated code needs are
 * imported from `reactor-executor` (merged with the file's own import). The result is
 * type-checked before it is returned: output that would not compile is an error instead.
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
import { CorofyError, LINE_BREAK, errorAt, lineAndColumn } from "./errors.js";
import { emitMachine, type Api } from "./emit.js";
import { hoist } from "./hoist.js";
import { Imports } from "./imports.js";
import { markKeywords } from "./keywords.js";
import { lower, type Names } from "./lower.js";
import { buildTyping, checkOutput, type Typing } from "./typing.js";

export { CorofyError } from "./errors.js";

const HEADER_REWRITE = ["// =================================", "// We rewrite this:", "// ================================="];
const HEADER_INTO = ["// =================================", "// Into this:", "// ================================="];

/**
 * Rewrites the coroutines of `source` (the text of file `fileName`, used for positions in errors
 * and to resolve imports and `tsconfig.json`) and returns the new file's text, which type-checks
 * next to the source: corofy checks it before returning it. Throws a {@link CorofyError} for input
 * it cannot rewrite, and for output that does not type-check (a type error in the input, say).
 * Lines may end in LF, CR LF or a lone CR (returned as LF: the same offsets).
 *
 * @example
 * <!-- ts-check
 * import { readFileSync, writeFileSync } from "node:fs";
 * -->
 * ```ts
 * const out = corofy(readFileSync("main.coro", "utf8"), "main.coro");
 * writeFileSync("main_corofied.ts", out);
 * ```
 */
export function corofy(text: string, fileName: string): string {
  const source = text.replace(/\r(?!\n)/g, "\n");
  const output = rewrite(source, fileName);
  const error = checkOutput(fileName, output.text);
  if (error !== undefined) {
    // Outside the rewritten coroutines the output is the source, so the error has a place in it;
    // inside one, it is reported at that coroutine with the line of generated code quoted.
    const inserted = output.blocks.findIndex((b) => b.start <= error.offset && error.offset < b.end);
    if (inserted === -1) throw errorAt(fileName, source, output.edited.toOriginal(error.offset), error.message);
    const { line } = lineAndColumn(output.text, error.offset);
    const quoted = output.text.split(LINE_BREAK)[line - 1]!.trim();
    throw errorAt(
      fileName,
      source,
      output.blocks[inserted]!.keyword,
      `the rewritten coroutine does not type-check: ${error.message}, at line ${line} of the output: ${quoted}`,
    );
  }
  return output.text;
}

/** The rewritten text; `blocks`: where each rewritten coroutine is in it, and its `coroutine` keyword in the source. */
function rewrite(
  source: string,
  fileName: string,
): { text: string; edited: EditedText; blocks: { start: number; end: number; keyword: number }[] } {
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
    if (site.declaration.type === undefined) checkReturnsNothing(typing, declaration, fail);
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
      .split(LINE_BREAK)
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
  const edited = new EditedText(source, edits);
  let from = 0;
  const blocks = generated.map((g, i) => {
    const start = edited.text.indexOf(g, from);
    from = start + g.length;
    return { start, end: from, keyword: marked.coroutines[i]!.keyword };
  });
  return { text: edited.text, edited, blocks };
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

/**
 * A coroutine without a return annotation is a `Future<void>`: a `return` with a value in it is an
 * error asking for the annotation (the generated class would not type-check).
 */
function checkReturnsNothing(
  typing: Typing,
  declaration: Typing["coroutines"][number],
  fail: (node: ts.Node, reason: string) => never,
): void {
  const { checker } = typing;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) || ts.isClassLike(node)) return;
    if (ts.isReturnStatement(node) && node.expression !== undefined) {
      const type = checker.getTypeAtLocation(node.expression);
      if ((type.flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined | ts.TypeFlags.Never)) === 0) {
        const name = declaration.name.text;
        const shown = checker.typeToString(type, node, ts.TypeFormatFlags.NoTruncation);
        fail(
          node.expression,
          `\`${name}\` returns a value (\`${shown}\`) but has no return type annotation, so it would be a Future<void>: ` +
            `annotate it, \`coroutine function ${name}(...): ${checker.typeToString(checker.getBaseTypeOfLiteralType(type), node, ts.TypeFormatFlags.NoTruncation)}\``,
        );
      }
    }
    node.forEachChild(visit);
  };
  declaration.body.forEachChild(visit);
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
  let first = source.slice(start).split(LINE_BREAK, 1)[0]!.trim();
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
