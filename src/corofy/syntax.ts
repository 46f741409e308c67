/**
 * Small questions about TypeScript syntax that lowering, hoisting and printing all ask.
 *
 * @module
 */
import ts from "typescript";

/** `e` without the parentheses around it. */
export function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

/** `e`, in parentheses unless it is a simple operand. */
export function parenthesized(e: ts.Expression): (string | ts.Expression)[] {
  return isSimple(e) ? [e] : ["(", e, ")"];
}

function isSimple(e: ts.Expression): boolean {
  return (
    ts.isIdentifier(e) ||
    ts.isPropertyAccessExpression(e) ||
    ts.isElementAccessExpression(e) ||
    ts.isCallExpression(e) ||
    ts.isParenthesizedExpression(e) ||
    ts.isArrayLiteralExpression(e)
  );
}

/** `!x` or `!(a < b)`: the test that leaves the loop. */
export function negated(test: ts.Expression): (string | ts.Expression)[] {
  return ["!", ...parenthesized(test)];
}

/** The identifiers a binding name (identifier or pattern) binds. */
export function boundIdentifiers(name: ts.BindingName): ts.Identifier[] {
  if (ts.isIdentifier(name)) return [name];
  return name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : boundIdentifiers(e.name)));
}

/** Names bound by a binding name (identifier or pattern). */
export function bindingNames(name: ts.BindingName): string[] {
  return boundIdentifiers(name).map((id) => id.text);
}

/** Names a statement declares in its block's scope. */
export function declaredNames(s: ts.Statement): string[] {
  if (ts.isVariableStatement(s)) return s.declarationList.declarations.flatMap((d) => bindingNames(d.name));
  if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isEnumDeclaration(s)) && s.name !== undefined) return [s.name.text];
  return [];
}

/** Names a block declares at its top level. */
export function declaredNamesOfBlock(b: ts.Block): string[] {
  return b.statements.flatMap(declaredNames);
}

/** Whether the target of `s` lies within `root` (then the jump stays inside code copied as written). */
export function targetsInside(s: ts.BreakOrContinueStatement, root: ts.Node): boolean {
  const label = s.label?.text;
  for (let n: ts.Node = s.parent; ; n = n.parent) {
    if (label !== undefined) {
      if (ts.isLabeledStatement(n) && n.label.text === label) return true;
    } else if (ts.isIterationStatement(n, false) || (s.kind === ts.SyntaxKind.BreakStatement && ts.isSwitchStatement(n))) {
      return true;
    }
    if (n === root) return false;
  }
}

/** Whether a declaration list is `const`. */
export function isConst(list: ts.VariableDeclarationList): boolean {
  return (list.flags & ts.NodeFlags.Const) !== 0;
}

/** `const`, `let` or `var`. */
export function keywordOf(list: ts.VariableDeclarationList): string {
  if (isConst(list)) return "const";
  return (list.flags & ts.NodeFlags.Let) !== 0 ? "let" : "var";
}

/** Whether a statement ends with a `;` that automatic semicolon insertion may have supplied. */
export function needsSemicolon(node: ts.Statement): boolean {
  return (
    ts.isExpressionStatement(node) ||
    ts.isVariableStatement(node) ||
    ts.isReturnStatement(node) ||
    ts.isThrowStatement(node) ||
    ts.isBreakOrContinueStatement(node) ||
    ts.isDoStatement(node) ||
    ts.isDebuggerStatement(node)
  );
}
