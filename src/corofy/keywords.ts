/**
 * Finding corofy's two keywords, `coroutine function` and `wait <expr>`, and checking that they
 * are where corofy can rewrite them.
 *
 * The input is not TypeScript, so it is read in two passes:
 *
 * 1. The raw text is parsed as it is. TypeScript's parser recovers from the two keywords (it sees
 *    an identifier `coroutine` followed by a function declaration, and an identifier `wait`
 *    followed by another expression), which is enough to find them: a `coroutine` identifier whose
 *    next token is `function` on the same line, and the `wait` identifiers in expression position
 *    inside such a function.
 * 2. `coroutine` is blanked out and every `wait` becomes `void`, a unary operator of the same
 *    length and the same precedence (`wait` binds like `await`). The result is plain TypeScript
 *    with the same positions as the original, so every error points at the user's `file:line:col`,
 *    and each `wait` is now a `void` expression whose operand the parser has delimited for us.
 *
 * Implementation notes: `void` is a real operator users may write too; a `void` expression counts
 * as a `wait` only when it starts at one of the offsets found in pass 1.
 *
 * @module
 */
import ts from "typescript";
import { errorAt } from "./errors.js";

/** A `coroutine function` declaration. */
export interface CoroutineSite {
  /** Offset of the `coroutine` keyword. */
  keyword: number;
  /** The declaration in the parsed (keyword-free) text: top level, named, with a body. */
  declaration: ts.FunctionDeclaration & { name: ts.Identifier; body: ts.Block };
}

/** A `wait <expr>` pause point. */
export interface WaitSite {
  /** Offset of the `wait` keyword. */
  keyword: number;
  /** End offset of its operand. */
  operandEnd: number;
}

/** The keywords of a file, found and checked. */
export interface Marked {
  /** The file parsed with `coroutine` blanked and `wait` read as `void`: positions are the original's. */
  parsed: ts.SourceFile;
  coroutines: CoroutineSite[];
  waits: WaitSite[];
}

const COROUTINE = "coroutine";
const WAIT = "wait";

/**
 * Finds and checks the `coroutine` and `wait` keywords of `text`.
 * Throws a `CorofyError` (with `file:line:col`) for syntax errors and unsupported uses.
 *
 * @example
 * ```ts
 * const { coroutines, waits } = markKeywords("main.coro", source);
 * ```
 */
export function markKeywords(file: string, text: string): Marked {
  const raw = ts.createSourceFile("corofy-input.ts", text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const keywords = findCoroutineKeywords(raw, text);
  const waitKeywords: number[] = [];
  for (const { fn } of keywords) waitKeywords.push(...findWaitKeywords(fn, file, text));

  let parseable = text;
  for (const { keyword } of keywords) parseable = splice(parseable, keyword, " ".repeat(COROUTINE.length));
  for (const at of waitKeywords) parseable = splice(parseable, at, "void");
  const parsed = ts.createSourceFile("corofy-input.ts", parseable, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);

  const syntax = syntaxErrors(parsed);
  if (syntax.length > 0) {
    const d = syntax[0]!;
    const start = d.start ?? 0;
    const strayWait = strayWaitAt(raw, text, start);
    if (strayWait !== undefined) throw errorAt(file, text, strayWait, "`wait` can only be used inside a `coroutine function`");
    throw errorAt(file, text, start, ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  }

  const coroutines = keywords.map(({ keyword }) => coroutineAt(parsed, keyword, file, text));
  const waits = waitKeywords.map((at) => checkWait(parsed, at, coroutines, file, text));
  for (const c of coroutines) checkBody(c.declaration, file, text);
  return { parsed, coroutines, waits };
}

function splice(s: string, at: number, replacement: string): string {
  return s.slice(0, at) + replacement + s.slice(at + replacement.length);
}

/** `coroutine` identifiers followed, on the same line, by the `function` keyword. */
function findCoroutineKeywords(raw: ts.SourceFile, text: string): { keyword: number; fn: ts.Node }[] {
  const found: { keyword: number; fn: ts.Node }[] = [];
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text);
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.text === COROUTINE) {
      scanner.resetTokenState(node.end);
      if (scanner.scan() === ts.SyntaxKind.FunctionKeyword && !scanner.hasPrecedingLineBreak()) {
        const fnStart = scanner.getTokenStart();
        const fn = functionStartingAt(raw, fnStart);
        if (fn !== undefined) found.push({ keyword: node.getStart(raw), fn });
      }
    }
    node.forEachChild(visit);
  };
  visit(raw);
  return found.sort((a, b) => a.keyword - b.keyword);
}

function functionStartingAt(raw: ts.SourceFile, at: number): ts.Node | undefined {
  let found: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (found !== undefined || node.end <= at || node.pos > at) return;
    if ((ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node)) && node.getStart(raw) === at) found = node;
    else node.forEachChild(visit);
  };
  visit(raw);
  return found;
}

/** Whether `id` names a property or a type rather than being an expression. */
function isNameOnly(id: ts.Identifier): boolean {
  const p = id.parent;
  if ((ts.isPropertyAccessExpression(p) && p.name === id) || (ts.isQualifiedName(p) && p.right === id)) return true;
  if (
    (ts.isPropertyAssignment(p) ||
      ts.isMethodDeclaration(p) ||
      ts.isPropertyDeclaration(p) ||
      ts.isPropertySignature(p) ||
      ts.isMethodSignature(p) ||
      ts.isGetAccessor(p) ||
      ts.isSetAccessor(p) ||
      ts.isEnumMember(p)) &&
    p.name === id
  ) {
    return true;
  }
  if (ts.isBindingElement(p) && p.propertyName === id) return true;
  if (ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) return true;
  for (let n: ts.Node = id; n.parent !== undefined; n = n.parent) if (ts.isTypeNode(n)) return true;
  return false;
}

/** Whether `id` is the name a declaration introduces. */
function isDeclarationName(id: ts.Identifier): boolean {
  const p = id.parent;
  return (
    (ts.isVariableDeclaration(p) ||
      ts.isParameter(p) ||
      ts.isFunctionDeclaration(p) ||
      ts.isFunctionExpression(p) ||
      ts.isClassDeclaration(p) ||
      ts.isClassExpression(p) ||
      ts.isBindingElement(p) ||
      ts.isShorthandPropertyAssignment(p)) &&
    p.name === id
  );
}

/** The `wait` keywords inside a coroutine function (found in the raw parse). */
function findWaitKeywords(fn: ts.Node, file: string, text: string): number[] {
  const found: number[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.text === WAIT && !isNameOnly(node)) {
      if (isDeclarationName(node)) {
        throw errorAt(file, text, node.getStart(), "`wait` is a keyword inside a coroutine function and cannot be used as a name");
      }
      found.push(node.getStart());
    }
    node.forEachChild(visit);
  };
  visit(fn);
  return found;
}

/** Syntax errors of the keyword-free text. */
function syntaxErrors(sf: ts.SourceFile): readonly ts.Diagnostic[] {
  const host: ts.CompilerHost = {
    getSourceFile: (name) => (name === sf.fileName ? sf : undefined),
    writeFile: () => undefined,
    getDefaultLibFileName: () => "lib.d.ts",
    useCaseSensitiveFileNames: () => true,
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => "/",
    getNewLine: () => "\n",
    fileExists: (name) => name === sf.fileName,
    readFile: () => undefined,
  };
  const program = ts.createProgram({ rootNames: [sf.fileName], options: { noLib: true, noResolve: true, types: [] }, host });
  return program.getSyntacticDiagnostics(sf);
}

/** The `wait` (used outside any coroutine) that the syntax error at `at` is about: at it, or right after it. */
function strayWaitAt(raw: ts.SourceFile, text: string, at: number): number | undefined {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text);
  const nextTokenStart = (pos: number): number => {
    scanner.resetTokenState(pos);
    scanner.scan();
    return scanner.getTokenStart();
  };
  let found: number | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.text === WAIT && (node.getStart(raw) === at || nextTokenStart(node.end) === at))
      found = node.getStart(raw);
    node.forEachChild(visit);
  };
  visit(raw);
  return found;
}

function coroutineAt(parsed: ts.SourceFile, keyword: number, file: string, text: string): CoroutineSite {
  const fail = (reason: string): never => {
    throw errorAt(file, text, keyword, reason);
  };
  const declaration = parsed.statements.find(
    (s): s is ts.FunctionDeclaration =>
      ts.isFunctionDeclaration(s) && s.pos <= keyword && keyword < (s.name?.getStart(parsed) ?? s.parameters.pos),
  );
  if (declaration === undefined) return fail("a `coroutine function` must be declared at the top level of the file");
  const { name, body } = declaration;
  if (name === undefined) return fail("a `coroutine function` needs a name");
  if (body === undefined) return fail("a `coroutine function` needs a body (overload signatures are not supported)");
  if (declaration.asteriskToken !== undefined) return fail("a `coroutine function` cannot also be a generator (`function*`)");
  if (declaration.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword))
    return fail("a `coroutine function` cannot also be `async`");
  if (declaration.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword))
    return fail("a `coroutine function` cannot be `declare`d");
  if (declaration.typeParameters !== undefined) return fail("type parameters on a `coroutine function` are not supported");
  return { keyword, declaration: declaration as CoroutineSite["declaration"] };
}

/** Checks that a `wait` (now a `void` expression) sits where corofy can rewrite it. */
function checkWait(parsed: ts.SourceFile, at: number, coroutines: CoroutineSite[], file: string, text: string): WaitSite {
  const fail = (reason: string): never => {
    throw errorAt(file, text, at, reason);
  };
  const expr = voidExpressionAt(parsed, at);
  if (expr === undefined) return fail("`wait` needs an operand: `wait <future>`");
  const owner = coroutines.find((c) => c.declaration.body.pos <= at && at < c.declaration.body.end);
  if (owner === undefined) return fail("`wait` in the parameters of a coroutine is not supported; use it in the body");
  for (let n: ts.Node = expr.parent; n !== owner.declaration.body; n = n.parent) {
    if (ts.isFunctionLike(n)) {
      return fail("`wait` cannot be used inside a nested function or callback: only directly in the body of the coroutine function");
    }
    if (ts.isClassLike(n)) return fail("`wait` cannot be used inside a class body");
  }
  let top: ts.Node = expr;
  while (ts.isParenthesizedExpression(top.parent)) top = top.parent;
  const p = top.parent;
  const ok =
    ts.isExpressionStatement(p) ||
    (ts.isReturnStatement(p) && p.expression === top) ||
    (ts.isVariableDeclaration(p) && p.initializer === top && ts.isVariableStatement(p.parent.parent)) ||
    (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken && p.right === top && isStatementExpression(p));
  if (!ok) {
    return fail(
      "`wait` is supported as a statement (`wait f;`), as a `const`/`let` initializer, as the right side of `x = wait f` " +
        "or as a `return` value, not inside another expression; move it out: `const value = wait ...;`",
    );
  }
  if (ts.isBinaryExpression(p)) checkAssignmentTarget(p.left, file, text);
  return { keyword: at, operandEnd: expr.expression.end };
}

function isStatementExpression(e: ts.Expression): boolean {
  let top: ts.Node = e;
  while (ts.isParenthesizedExpression(top.parent)) top = top.parent;
  return ts.isExpressionStatement(top.parent);
}

/**
 * The target of `target = wait f`. JavaScript evaluates a member target (`a[i]`) before the wait,
 * the state machine would evaluate it after; rather than risk the difference, only names and
 * destructuring patterns (evaluated after the wait in both) are accepted.
 */
function checkAssignmentTarget(target: ts.Expression, file: string, text: string): void {
  let t = target;
  while (ts.isParenthesizedExpression(t)) t = t.expression;
  if (ts.isIdentifier(t) || ts.isArrayLiteralExpression(t) || ts.isObjectLiteralExpression(t)) return;
  throw errorAt(
    file,
    text,
    target.getStart(),
    "only a variable or a destructuring pattern can be assigned the result of `wait`; use `const value = wait ...;` and assign `value`",
  );
}

function voidExpressionAt(parsed: ts.SourceFile, at: number): ts.VoidExpression | undefined {
  let found: ts.VoidExpression | undefined;
  const visit = (node: ts.Node): void => {
    if (found !== undefined || node.end <= at || node.pos > at) return;
    if (ts.isVoidExpression(node) && node.getStart(parsed) === at) found = node;
    else node.forEachChild(visit);
  };
  visit(parsed);
  return found;
}

/** Rejects what a coroutine body cannot use once it runs inside a state machine's method. */
function checkBody(fn: ts.FunctionDeclaration & { body: ts.Block }, file: string, text: string): void {
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && !ts.isArrowFunction(node)) return; // its own `this` and `arguments`
    if (node.kind === ts.SyntaxKind.ThisKeyword) {
      throw errorAt(
        file,
        text,
        node.getStart(),
        "`this` is not supported in a coroutine function (its body runs inside the state machine)",
      );
    }
    if (ts.isIdentifier(node) && node.text === "arguments" && !isNameOnly(node)) {
      throw errorAt(file, text, node.getStart(), "`arguments` is not supported in a coroutine function; use a rest parameter");
    }
    if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.NewKeyword) {
      throw errorAt(file, text, node.getStart(), "`new.target` is not supported in a coroutine function");
    }
    node.forEachChild(visit);
  };
  fn.body.forEachChild(visit);
}
