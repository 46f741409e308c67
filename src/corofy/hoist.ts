/**
 * Which locals live across wait points (the book's chapter 9): those become fields of the state
 * machine, the rest stay locals of the case that uses them.
 *
 * A local is kept in a field when the code that declares or uses it runs in more than one state
 * (a use inside a closure counts where the closure is created). Parameters are always fields when
 * used: they arrive in the constructor and are read in `poll`. All names of one `const`/`let`/`var`
 * list move together, so a declaration is either printed as written or turned into assignments.
 *
 * Refused, with the position, because a field would change the meaning:
 * - a kept local used inside a nested `function` (its `this` is not the machine; arrows are fine);
 * - a kept `let`/`const` declared inside a loop with a wait and captured by a closure (JavaScript
 *   gives every iteration its own binding; one field would make all closures share the last one);
 * - a function, class, enum, interface or type declared in the coroutine and used across a wait
 *   point (declare it outside the coroutine, or use a `const` arrow function).
 *
 * Implementation notes: which declaration a name refers to comes from TypeScript's checker (over
 * the type-checkable copy of the file), so shadowing, `var` scoping and shorthand properties
 * (`{ txt }`) resolve exactly as the compiler resolves them.
 *
 * @module
 */
import ts from "typescript";
import type { Field, Machine } from "./machine.js";
import { boundIdentifiers } from "./syntax.js";

/** A parameter the machine stores: constructor argument `name`, field `field`. */
export interface StoredParameter {
  name: string;
  field: string;
  type: string;
}

/** The outcome: what is a field and under which name. */
export interface Hoisting {
  /** The field of each kept local. */
  fields: Map<ts.Symbol, string>;
  /** Stored parameters, in declaration order. */
  parameters: StoredParameter[];
  /** Fields of kept locals (not parameters), in declaration order. */
  locals: Field[];
  /** The local behind an identifier (shorthand properties included), if it is one of the coroutine's. */
  symbolOf(id: ts.Identifier): ts.Symbol | undefined;
}

/** What the analysis needs. */
export interface HoistInput {
  declaration: ts.FunctionDeclaration & { body: ts.Block };
  machine: Machine;
  checker: ts.TypeChecker;
  isWait(node: ts.Node): node is ts.CallExpression;
  /** The printed type of a declared name. */
  typeOf(name: ts.Identifier): string;
  /** Names the class already uses (`state`, `poll`, iterator fields, ...). */
  reserved: Set<string>;
  fail(node: ts.Node, reason: string): never;
}

type LocalKind = "parameter" | "variable" | "other";

interface Local {
  kind: LocalKind;
  name: ts.Identifier;
  list: ts.VariableDeclarationList | undefined;
  /** Whether it is a `let`/`const` (or catch variable) declared inside a loop that became states. */
  perIteration: boolean;
  states: Set<number>;
  /** A use inside a nested non-arrow function, and one inside any closure. */
  inFunction: ts.Identifier | undefined;
  inClosure: ts.Identifier | undefined;
}

/**
 * Decides which locals of a lowered coroutine become fields.
 *
 * @example
 * ```ts
 * const h = hoist({ declaration, machine, checker, isWait, typeOf, reserved, fail });
 * h.locals; // [{ name: "txt", type: "string" }]
 * ```
 */
export function hoist(input: HoistInput): Hoisting {
  const { checker, declaration, machine } = input;
  const locals = new Map<ts.Symbol, Local>();
  const symbolOf = (id: ts.Identifier): ts.Symbol | undefined => {
    const s =
      ts.isShorthandPropertyAssignment(id.parent) && id.parent.name === id
        ? checker.getShorthandAssignmentValueSymbol(id.parent)
        : checker.getSymbolAtLocation(id);
    return s !== undefined && locals.has(s) ? s : undefined;
  };

  const declare = (name: ts.Identifier, kind: LocalKind, list: ts.VariableDeclarationList | undefined, perIteration: boolean): void => {
    const symbol = checker.getSymbolAtLocation(name);
    if (symbol === undefined) return;
    locals.set(symbol, { kind, name, list, perIteration, states: new Set(), inFunction: undefined, inClosure: undefined });
  };

  for (const p of declaration.parameters) for (const id of boundIdentifiers(p.name)) declare(id, "parameter", undefined, false);
  const collect = (node: ts.Node, inLoop: boolean): void => {
    if (ts.isVariableDeclarationList(node)) {
      const blockScoped = (node.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) !== 0;
      for (const d of node.declarations) for (const id of boundIdentifiers(d.name)) declare(id, "variable", node, blockScoped && inLoop);
    } else if (ts.isCatchClause(node) && node.variableDeclaration !== undefined) {
      for (const id of boundIdentifiers(node.variableDeclaration.name)) declare(id, "variable", undefined, inLoop);
    } else if (
      (ts.isFunctionDeclaration(node) ||
        ts.isClassDeclaration(node) ||
        ts.isEnumDeclaration(node) ||
        ts.isInterfaceDeclaration(node) ||
        ts.isTypeAliasDeclaration(node)) &&
      node.name !== undefined
    ) {
      declare(node.name, "other", undefined, false);
    }
    if (ts.isFunctionLike(node) || ts.isClassLike(node)) return; // what is declared inside is theirs
    const loop = inLoop || machine.loweredLoops.has(node);
    node.forEachChild((c) => collect(c, loop));
  };
  declaration.body.forEachChild((c) => collect(c, false));

  for (const { node, caseIndex } of machine.pieces) {
    const visit = (n: ts.Node, inFunction: boolean, inClosure: boolean): void => {
      if (input.isWait(n) && n !== node) return; // its operand belongs to the state before
      if (ts.isIdentifier(n)) {
        const symbol = symbolOf(n);
        const local = symbol === undefined ? undefined : locals.get(symbol);
        if (local !== undefined) {
          local.states.add(caseIndex);
          if (inFunction) local.inFunction ??= n;
          if (inClosure) local.inClosure ??= n;
        }
      }
      const nestedFunction = ts.isFunctionLike(n) && !ts.isArrowFunction(n);
      n.forEachChild((c) => visit(c, inFunction || nestedFunction, inClosure || ts.isFunctionLike(n)));
    };
    visit(node, false, false);
  }

  const kept = new Set<ts.Symbol>();
  for (const [symbol, local] of locals) {
    if (local.kind === "parameter" ? local.states.size > 0 : local.states.size > 1) kept.add(symbol);
  }
  for (const [symbol, local] of locals) {
    if (!kept.has(symbol) || local.list === undefined) continue;
    for (const [other, o] of locals) if (o.list === local.list) kept.add(other);
  }

  const fields = new Map<ts.Symbol, string>();
  const taken = new Set(input.reserved);
  const parameters: StoredParameter[] = [];
  const localFields: Field[] = [];
  for (const [symbol, local] of locals) {
    if (!kept.has(symbol)) continue;
    const name = local.name.text;
    if (local.kind === "other") {
      input.fail(
        local.name,
        `\`${name}\` is declared in the coroutine and used on both sides of a wait point; declare it outside the coroutine function (or as a \`const\` arrow function)`,
      );
    }
    if (local.inFunction !== undefined) {
      input.fail(
        local.inFunction,
        `\`${name}\` lives across a wait point, so it becomes the field \`this.${name}\`, which a nested \`function\` cannot reach; use an arrow function`,
      );
    }
    if (local.perIteration && local.inClosure !== undefined) {
      input.fail(
        local.inClosure,
        `\`${name}\` is declared in a loop with a wait and captured by a closure: JavaScript gives each iteration its own \`${name}\`, ` +
          "but the state machine keeps one field; copy it into a variable declared outside the loop or pass it to the closure as an argument",
      );
    }
    let field = name;
    for (let n = 2; taken.has(field); n++) field = `${name}${n}`;
    taken.add(field);
    fields.set(symbol, field);
    const type = input.typeOf(local.name);
    if (local.kind === "parameter") parameters.push({ name, field, type });
    else localFields.push({ name: field, type });
  }
  return { fields, parameters, locals: localFields, symbolOf };
}
