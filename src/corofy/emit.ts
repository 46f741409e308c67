/**
 * Printing a lowered coroutine: the function that replaces it, its `State` union, its `Completion`
 * union when a `finally` needs one, and the state machine class.
 *
 * User code is printed from the source text, so its formatting and comments survive, with three
 * kinds of rewrite applied by position: a local kept in a field reads `this.name`; a declaration
 * of such locals becomes assignments (`const { a } = o` becomes `({ a: this.a } = o)`); a
 * `break`/`continue`/`return` that leaves the copied code becomes the state change it stands for.
 *
 * Implementation notes: a copied statement keeps its inner indentation relative to its first line;
 * newlines inside template literals are shielded while re-indenting so that strings do not change.
 * A copied statement that relied on automatic semicolon insertion gets its `;`, since the line that
 * follows it in the output may start with `(` or `[`.
 *
 * @module
 */
import ts from "typescript";
import type { Hoisting } from "./hoist.js";
import type { Names } from "./lower.js";
import { isStateRef, type Field, type Item, type Machine, type Part } from "./machine.js";
import { isConst, keywordOf, needsSemicolon } from "./syntax.js";

/** Local names of the runtime exports the generated code uses. */
export interface Api {
  Future: string;
  Poll: string;
  Waker: string;
  PENDING: string;
  RuntimeError: string;
  /** Needed only by machines whose drop runs `finally` blocks. */
  NoopWaker: string | undefined;
}

/** What the printer needs. */
export interface EmitInput {
  declaration: ts.FunctionDeclaration & { name: ts.Identifier; body: ts.Block };
  machine: Machine;
  hoisting: Hoisting;
  sourceFile: ts.SourceFile;
  isWait(node: ts.Node): node is ts.CallExpression;
  names: Names;
  api: Api;
  /** `State0`, `Coroutine0`. */
  stateType: string;
  className: string;
  /** The coroutine's output type `T` (`void` without annotation). */
  outputType: string;
  /** Comments (JSDoc) that stood above the coroutine, for the function that replaces it. */
  leadingComments: string;
}

const INDENT = "  ";
/** Stands for a newline inside a string while statements are re-indented. */
const SHIELDED_NEWLINE = "\u0000";
const CODE_START = "// ---- Code you actually wrote ----";
const CODE_END = "// ---------------------------------";

/**
 * Prints the rewritten coroutine: function, types and class.
 *
 * @example
 * ```ts
 * const code = emitMachine({ declaration, machine, hoisting, sourceFile, isWait, names, api,
 *   stateType: "State0", className: "Coroutine0", outputType: "void", leadingComments: "" });
 * ```
 */
export function emitMachine(input: EmitInput): string {
  return new Printer(input).print();
}

class Printer {
  private readonly text: string;

  constructor(private readonly input: EmitInput) {
    this.text = input.sourceFile.text;
  }

  print(): string {
    const { input } = this;
    const { api, declaration, machine, hoisting, className, stateType, outputType } = input;
    const name = declaration.name.text;
    const modifiers = (declaration.modifiers ?? []).map((m) => `${m.getText(input.sourceFile)} `).join("");
    const parameters = this.text.slice(declaration.parameters.pos, declaration.parameters.end);
    const args = hoisting.parameters.map((p) => p.name).join(", ");
    const out: string[] = [];
    if (input.leadingComments !== "") out.push(input.leadingComments);
    out.push(
      `${modifiers}function ${name}(${parameters}): ${api.Future}<${outputType}> {`,
      `${INDENT}return new ${className}(${args});`,
      "}",
      "",
      ...(machine.cases.some((c) => c.fields.some((f) => f.name === "completion"))
        ? [
            `/**`,
            ` * The states of \`${name}\`: where it stopped, and what it waits on there. A \`finally\` state`,
            ` * carries how its \`try\` was left (normally, by a throw, a return, a jump or a drop), replayed at its end.`,
            ` */`,
          ]
        : [`/** The states of \`${name}\`: where it stopped, and what it waits on there. */`]),
      `type ${stateType} =`,
      ...[...machine.cases.map((c) => ({ kind: c.kind, fields: c.fields })), { kind: "Resolved", fields: [] }].map(
        (c, i, all) =>
          `${INDENT}| { kind: "${c.kind}"${c.fields.map((f) => `; ${f.name}: ${f.type}`).join("")} }${i === all.length - 1 ? ";" : ""}`,
      ),
      "",
    );
    const hasWait = machine.cases.some((c) => c.fields.some((f) => f.name === "future"));
    out.push(
      `/** \`${name}\` as a state machine: each \`poll\` runs it from where it stopped to its next wait. */`,
      `class ${className} implements ${api.Future}<${outputType}> {`,
      `${INDENT}private state: ${stateType} = { kind: "Start" };`,
    );
    const fields: Field[] = [...hoisting.locals, ...machine.fields];
    if (fields.length > 0) {
      out.push(`${INDENT}// Locals that live across wait points (the book's chapter 9 "stack"):`);
      for (const f of fields) out.push(`${INDENT}private ${f.name}!: ${f.type};`);
    }
    if (hoisting.parameters.length > 0) {
      out.push("", `${INDENT}constructor(${hoisting.parameters.map((p) => `private ${p.field}: ${p.type}`).join(", ")}) {}`);
    }
    out.push(
      "",
      `${INDENT}poll(${hasWait ? "waker" : "_waker"}: ${api.Waker}): ${api.Poll}<${outputType}> {`,
      `${INDENT}${INDENT}try {`,
      `${INDENT}${INDENT}${INDENT}return this.resume(${hasWait ? "waker" : ""});`,
      `${INDENT}${INDENT}} catch (error) {`,
      `${INDENT}${INDENT}${INDENT}this.state = { kind: "Resolved" }; // an error that leaves the coroutine finishes it`,
      `${INDENT}${INDENT}${INDENT}throw error;`,
      `${INDENT}${INDENT}}`,
      `${INDENT}}`,
      "",
      `${INDENT}/** Drops the future \`${name}\` is waiting on, if any; the coroutine is finished afterwards. */`,
      `${INDENT}drop(): void {`,
    );
    if (hasWait) {
      out.push(
        `${INDENT}${INDENT}const state = this.state;`,
        `${INDENT}${INDENT}this.state = { kind: "Resolved" };`,
        `${INDENT}${INDENT}if ("future" in state) state.future.drop?.();`,
      );
      out.push(...this.drops());
    } else {
      out.push(`${INDENT}${INDENT}this.state = { kind: "Resolved" };`);
    }
    out.push(`${INDENT}}`);
    if (machine.usesUnwind) {
      out.push(
        "",
        `${INDENT}/** Runs the \`finally\` blocks a drop leaves through; a wait inside one stops it there (its future is dropped). */`,
        `${INDENT}private unwind(state: ${stateType}): void {`,
        `${INDENT}${INDENT}this.state = state;`,
        `${INDENT}${INDENT}try {`,
        `${INDENT.repeat(3)}this.resume(new ${api.NoopWaker!}());`,
        `${INDENT}${INDENT}} finally {`,
        `${INDENT.repeat(3)}const stopped = this.state;`,
        `${INDENT.repeat(3)}this.state = { kind: "Resolved" };`,
        `${INDENT.repeat(3)}if ("future" in stopped) stopped.future.drop?.();`,
        `${INDENT}${INDENT}}`,
        `${INDENT}}`,
      );
    }
    const { names } = input;
    const loop = machine.usesDispatchLabel ? `${names.dispatch}: for (;;) {` : "for (;;) {";
    out.push(
      "",
      `${INDENT}private resume(${hasWait ? `${names.waker}: ${api.Waker}` : ""}): ${api.Poll}<${outputType}> {`,
      `${INDENT}${INDENT}${loop}`,
      `${INDENT.repeat(3)}const ${names.state} = this.state;`,
      `${INDENT.repeat(3)}switch (${names.state}.kind) {`,
    );
    const caseIndent = INDENT.repeat(4);
    for (const c of machine.cases) {
      if (c.comment !== undefined) out.push(`${caseIndent}// ${c.comment}`);
      out.push(`${caseIndent}case "${c.kind}": {`, ...this.items(c.items, 5), `${caseIndent}}`);
    }
    out.push(
      `${caseIndent}case "Resolved":`,
      `${caseIndent}${INDENT}throw new ${api.RuntimeError}("${name} (${className}) polled after it finished");`,
      `${INDENT.repeat(3)}}`,
      `${INDENT}${INDENT}}`,
      `${INDENT}}`,
      "}",
    );
    return out.join("\n").replaceAll(SHIELDED_NEWLINE, "\n");
  }

  /** The part of `drop()` that closes iterators and runs `finally` blocks, per wait state (states with the same code share it). */
  private drops(): string[] {
    const { drops } = this.input.machine;
    if (drops.size === 0) return [];
    const pad = INDENT.repeat(3);
    const groups = new Map<string, string[]>();
    for (const [kind, items] of drops) {
      const code = this.items(items, 4).join("\n");
      groups.set(code, [...(groups.get(code) ?? []), kind]);
    }
    const out = [
      `${INDENT}${INDENT}// Leaving by a drop still closes \`for..of\` iterators and runs \`finally\` blocks, as generator coroutines do.`,
      `${INDENT}${INDENT}switch (state.kind) {`,
    ];
    for (const [code, kinds] of groups) {
      out.push(
        ...kinds.map((k, i) => `${INDENT}${INDENT}${INDENT}case "${k}":${i === kinds.length - 1 ? " {" : ""}`),
        code,
        `${pad}${INDENT}return;`,
        `${pad}}`,
      );
    }
    out.push(`${INDENT}${INDENT}}`);
    return out;
  }

  // ---- items ----

  private items(items: Item[], depth: number): string[] {
    const out: string[] = [];
    let inCode = false;
    const pad = INDENT.repeat(depth);
    const mark = (code: boolean): void => {
      if (code !== inCode) out.push(pad + (code ? CODE_START : CODE_END));
      inCode = code;
    };
    for (const item of items) {
      if (item.t === "result") {
        mark(false);
        const { poll, code } = this.result(item, pad);
        out.push(...poll);
        if (code.length > 0) mark(true);
        out.push(...code);
        continue;
      }
      mark(item.t === "user" || item.t === "declare");
      out.push(...this.item(item, depth));
    }
    mark(false);
    return out;
  }

  /** The poll of a wait state, and the user's code that takes the value (when it is not a plain `const`). */
  private result(item: Extract<Item, { t: "result" }>, pad: string): { poll: string[]; code: string[] } {
    const { names, api } = this.input;
    const poll = `${names.state}.future.poll(${names.waker})`;
    const d = item.declaration;
    if (
      d !== undefined &&
      ts.isIdentifier(d.name) &&
      d.type === undefined &&
      isConst(d.parent as ts.VariableDeclarationList) &&
      !this.isKept(d.name)
    ) {
      const v = this.render(d.name);
      return { poll: [`${pad}const ${v} = ${poll};`, `${pad}if (${v} === ${api.PENDING}) return ${api.PENDING};`], code: [] };
    }
    if (!item.used) return { poll: [`${pad}if (${poll} === ${api.PENDING}) return ${api.PENDING};`], code: [] };
    const lines = [`${pad}const ${names.output} = ${poll};`, `${pad}if (${names.output} === ${api.PENDING}) return ${api.PENDING};`];
    if (d === undefined) return { poll: lines, code: [] };
    const list = d.parent as ts.VariableDeclarationList;
    return { poll: lines, code: this.declaration(list, [d]).flatMap((l) => this.reindent(l, list.getStart(this.input.sourceFile), pad)) };
  }

  private item(item: Exclude<Item, { t: "result" }>, depth: number): string[] {
    const pad = INDENT.repeat(depth);
    const { names } = this.input;
    switch (item.t) {
      case "line": {
        const node = item.parts.find((p): p is ts.Node => typeof p === "object" && !isStateRef(p));
        const text = this.parts(item.parts);
        return node === undefined ? [pad + text] : this.reindent(text, node.getStart(this.input.sourceFile), pad);
      }
      case "user":
        return this.statement(item.node, depth);
      case "declare":
        return this.declaration(item.list, item.declarations).flatMap((l) =>
          this.reindent(l, item.list.getStart(this.input.sourceFile), pad),
        );
      case "bind": {
        const { declaration, keyword, value } = item;
        if (this.isKept(declaration.name)) return [`${pad}${this.assignment(declaration.name, value)};`];
        const type = declaration.type === undefined ? "" : `: ${declaration.type.getText(this.input.sourceFile)}`;
        return [`${pad}${keyword} ${this.render(declaration.name)}${type} = ${value};`];
      }
      case "block":
        return [`${pad}{`, ...this.items(item.body, depth + 1), `${pad}}`];
      case "if":
        return [
          ...item.branches.flatMap((b, i) => {
            const head = b.test === null ? "else {" : `${i === 0 ? "" : "else "}if (${this.parts(b.test)}) {`;
            return [i === 0 ? pad + head : `${pad}} ${head}`, ...this.items(b.body, depth + 1)];
          }),
          `${pad}}`,
        ];
      case "try":
        return [
          `${pad}try {`,
          ...this.items(item.body, depth + 1),
          `${pad}} catch (${names.error}) {`,
          ...this.items(item.handler, depth + 1),
          `${pad}}`,
        ];
    }
  }

  /** An item on one line, for a jump that replaces a `break`/`continue`/`return` inside copied code. */
  private inline(item: Item): string {
    if (item.t === "line") return this.parts(item.parts);
    if (item.t === "if") {
      return item.branches
        .map((b) => `${b.test === null ? "else" : `if (${this.parts(b.test)})`} { ${b.body.map((i) => this.inline(i)).join(" ")} }`)
        .join(" ");
    }
    throw new Error(`corofy: cannot print a ${item.t} item on one line`);
  }

  private parts(parts: Part[]): string {
    return parts.map((p) => (typeof p === "string" ? p : isStateRef(p) ? p.state : this.render(p))).join("");
  }

  /** A declaration list (or some of its declarators): as written, or as assignments to fields. */
  private declaration(list: ts.VariableDeclarationList, declarations: ts.VariableDeclaration[]): string[] {
    if (!declarations.some((d) => this.isKept(d.name))) {
      return [`${keywordOf(list)} ${declarations.map((d) => this.render(d)).join(", ")};`];
    }
    return declarations.flatMap((d) => {
      const a = this.assignmentOf(d, list);
      return a === undefined ? [] : [`${a};`];
    });
  }

  /** `this.x = init` for a kept declaration; `undefined` when there is nothing to assign. */
  private assignmentOf(d: ts.VariableDeclaration, list: ts.VariableDeclarationList): string | undefined {
    if (d.initializer !== undefined) return this.assignment(d.name, this.render(d.initializer));
    // `let x;` runs again on each pass through a loop and must start out undefined again.
    if (ts.isIdentifier(d.name) && d.type === undefined && (list.flags & ts.NodeFlags.Let) !== 0)
      return `${this.target(d.name)} = undefined`;
    return undefined;
  }

  /** `target = value`, with the parentheses an object pattern needs at the start of a statement. */
  private assignment(name: ts.BindingName, value: string): string {
    const target = this.target(name);
    return ts.isObjectBindingPattern(name) ? `(${target} = ${value})` : `${target} = ${value}`;
  }

  /** A binding name as an assignment target: `this.x`, `{ a: this.a }`, `[this.a, this.b]`. */
  private target(name: ts.BindingName): string {
    if (ts.isIdentifier(name)) return this.render(name);
    if (ts.isObjectBindingPattern(name)) {
      const elements = name.elements.map((e) => {
        const init = e.initializer === undefined ? "" : ` = ${this.render(e.initializer)}`;
        if (e.dotDotDotToken !== undefined) return `...${this.target(e.name)}`;
        const key = e.propertyName !== undefined ? this.render(e.propertyName) : (e.name as ts.Identifier).text;
        return `${key}: ${this.target(e.name)}${init}`;
      });
      return `{ ${elements.join(", ")} }`;
    }
    const elements = name.elements.map((e) => {
      if (ts.isOmittedExpression(e)) return "";
      const init = e.initializer === undefined ? "" : ` = ${this.render(e.initializer)}`;
      return `${e.dotDotDotToken !== undefined ? "..." : ""}${this.target(e.name)}${init}`;
    });
    return `[${elements.join(", ")}]`;
  }

  private isKept(name: ts.BindingName): boolean {
    if (ts.isIdentifier(name)) return this.fieldOf(name) !== undefined;
    return name.elements.some((e) => !ts.isOmittedExpression(e) && this.isKept(e.name));
  }

  private fieldOf(id: ts.Identifier): string | undefined {
    const symbol = this.input.hoisting.symbolOf(id);
    return symbol === undefined ? undefined : this.input.hoisting.fields.get(symbol);
  }

  // ---- user statements ----

  /** A user statement, re-indented, with the comments and blank line that preceded it. */
  private statement(node: ts.Statement, depth: number): string[] {
    const pad = INDENT.repeat(depth);
    const out: string[] = [];
    const start = node.getStart(this.input.sourceFile);
    const trivia = this.text.slice(node.pos, start);
    const comments = ts.getLeadingCommentRanges(this.text, node.pos) ?? [];
    if (/\n[ \t]*\r?\n/.test(comments.length > 0 ? this.text.slice(node.pos, comments[0]!.pos) : trivia)) out.push("");
    for (const c of comments) out.push(...this.reindent(this.text.slice(c.pos, c.end), c.pos, pad));
    let code = this.render(node);
    if (code === "") return out; // a kept `var x;`: the field is all there is
    if (needsSemicolon(node) && this.text[node.end - 1] !== ";") code += ";";
    const trailing = ts.getTrailingCommentRanges(this.text, node.end) ?? [];
    for (const c of trailing) code += ` ${this.text.slice(c.pos, c.end)}`;
    out.push(...this.reindent(code, start, pad));
    return out;
  }

  /** Moves `code`, from the source line of `at`, to indentation `pad`, keeping its lines' indentation relative to that line. */
  private reindent(code: string, at: number, pad: string): string[] {
    const lineStart = this.text.lastIndexOf("\n", at - 1) + 1;
    let base = 0;
    while (this.text[lineStart + base] === " " || this.text[lineStart + base] === "\t") base++;
    return code.split("\n").map((l, i) => {
      if (i === 0) return pad + l;
      let cut = 0;
      while (cut < base && cut < l.length && (l[cut] === " " || l[cut] === "\t")) cut++;
      const rest = l.slice(cut);
      return rest === "" ? "" : pad + rest;
    });
  }

  /** A user node as source text with the rewrites of the module doc applied. */
  private render(node: ts.Node): string {
    const { input } = this;
    const sf = input.sourceFile;
    const rewrite = input.machine.rewrites.get(node);
    if (rewrite !== undefined) return `{ ${rewrite.map((i) => this.inline(i)).join(" ")} }`;
    if (input.isWait(node)) return input.names.output;
    if (ts.isIdentifier(node)) {
      const field = this.fieldOf(node);
      return field === undefined ? node.getText(sf) : `this.${field}`;
    }
    if (ts.isShorthandPropertyAssignment(node)) {
      const field = this.fieldOf(node.name);
      if (field !== undefined) {
        const init = node.objectAssignmentInitializer === undefined ? "" : ` = ${this.render(node.objectAssignmentInitializer)}`;
        return `${node.name.text}: this.${field}${init}`;
      }
    }
    if (ts.isVariableStatement(node) && this.isKept(node.declarationList.declarations[0]!.name)) {
      const lineStart = this.text.lastIndexOf("\n", node.getStart(sf) - 1) + 1;
      const base = this.text.slice(lineStart, node.getStart(sf));
      return this.declaration(node.declarationList, [...node.declarationList.declarations]).join(`\n${base}`);
    }
    if (ts.isVariableDeclarationList(node) && node.declarations.length > 0 && this.isKept(node.declarations[0]!.name)) {
      if (ts.isForInStatement(node.parent) || ts.isForOfStatement(node.parent)) return this.target(node.declarations[0]!.name);
      return node.declarations
        .map((d) => this.assignmentOf(d, node))
        .filter((a) => a !== undefined)
        .join(", ");
    }
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateLiteralToken(node)) {
      return node.getText(sf).replaceAll("\n", SHIELDED_NEWLINE);
    }
    let out = "";
    let pos = node.getStart(sf);
    node.forEachChild((child) => {
      const start = child.getStart(sf);
      out += this.text.slice(pos, start) + this.render(child);
      pos = child.end;
    });
    return out + this.text.slice(pos, node.end);
  }
}
