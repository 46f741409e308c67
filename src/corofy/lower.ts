/**
 * Lowering: a coroutine body becomes the cases of a state machine.
 *
 * A state begins wherever execution can resume: the start, after each `wait` (`Wait1`, ...), at
 * the head of a loop that contains a wait (`Loop1`), where the branches of an `if` or the parts of
 * a `try` that contain a wait meet again (`AfterIf1`, `AfterTry1`, ...), at a `catch` and at a
 * `finally`. Statements without a wait are copied as they are into the state that runs them; only
 * statements that contain a wait are taken apart. Every case ends by setting the next state and
 * `continue`-ing the dispatch loop, or by returning (`PENDING`, or the output).
 *
 * Invariants the printer relies on:
 * - a case never falls through: it ends with `continue`, `return` or `throw`;
 * - a statement that contains a wait always ends the case it started in, and the code after it
 *   starts a fresh case, so user declarations of different blocks never share a scope;
 * - each case knows where its errors go: inside a lowered `try`, the case's code is wrapped in a
 *   `try/catch` that moves to the `catch` state (or the `finally` state with a "throw" completion).
 *
 * `finally` is entered with a completion saying how the `try` was left (normally, by `throw`, by
 * `return value`, or by a jump to a state); at the end of the `finally` block the completion is
 * replayed. A jump that crosses several `finally` blocks nests: the outer `finally` is the `to` of
 * the inner one's completion.
 *
 * Implementation notes: a `for..of` loop keeps its iterator in a field; leaving the loop early by
 * `break` or `return` calls the iterator's `return()` as JavaScript does (through a small `Exit`
 * state when a `finally` lies in between); an error leaving the loop does not (documented in the
 * module doc of `transform.ts`). `continue` in a `for` loop with an update expression runs the
 * update inline, or through a `Next` state when it must cross a `finally` first. For `drop()`, each
 * wait state records what leaving it by a drop runs (iterator closes, then the nearest `finally`
 * with a "drop" completion, which at its end carries the drop outward to the next one).
 *
 * @module
 */
import ts from "typescript";
import { line, state, threadJumps, type Branch, type Case, type Field, type Item, type Machine, type Part, type Piece } from "./machine.js";
import {
  bindingNames,
  declaredNames,
  declaredNamesOfBlock,
  keywordOf,
  negated,
  parenthesized,
  skipParens,
  targetsInside,
} from "./syntax.js";

/** Names of the generated code, chosen so they clash with nothing in the user's file. */
export interface Names {
  state: string;
  waker: string;
  output: string;
  error: string;
  completion: string;
  next: string;
  dispatch: string;
}

/** What lowering needs to know about the coroutine and its file. */
export interface LowerInput {
  body: ts.Block;
  /** Whether `node` is a `wait` (in the type-checkable file: a `__corofy_wait(f)` call). */
  isWait(node: ts.Node): node is ts.CallExpression;
  /** `Future<T>` for the future a wait waits on. */
  futureType(wait: ts.CallExpression): string;
  /** `T` of a `for..of` loop's elements, for the type of its iterator field. */
  elementType(loop: ts.ForOfStatement): string;
  /** `line 12: const txt = wait Http.get(...)`: where `node` is in the user's text, for comments. */
  describe(node: ts.Node): string;
  /** The line of `node` in the user's text. */
  lineOf(node: ts.Node): number;
  /** The coroutine's output type and the name of its state union, for the completions of `finally` blocks. */
  outputType: string;
  stateType: string;
  /**
   * What ends a body that can run off its end: `return undefined` when the output type admits
   * `undefined`, else a throw (TypeScript's own flow analysis proved that end unreachable).
   */
  fallOff: Item[] | undefined;
  /** The local name of the runtime's `PENDING`. */
  pending: string;
  names: Names;
  /** A `CorofyError` at `node`. */
  fail(node: ts.Node, reason: string): never;
}

interface Cursor {
  items: Item[];
  caseIndex: number;
  terminated: boolean;
  /** Names user code declared directly in `items` (a generated block must not redeclare them). */
  declared: Set<string>;
}

interface LoopFrame {
  f: "loop";
  node: ts.IterationStatement;
  labels: string[];
  head: string;
  after: string;
  /** The iterator field of a `for..of` loop. */
  iterator: string | undefined;
  /** The state that runs the next iteration's bookkeeping, made on demand (`Next`, `Test`, `Exit`). */
  made: Map<string, string>;
  /** Frames outside the loop, for the states made on demand. */
  outer: Frame[];
}

interface TryFrame {
  f: "try";
  part: "try" | "catch" | "finally";
  catchKind: string | undefined;
  finallyKind: string | undefined;
  /** Whether the `try` can end normally / a `return` / a jump passes through this `finally`: what its end replays. */
  normal: boolean;
  returns: boolean;
  jumps: boolean;
  /** Whether a `drop()` of the machine while it waits inside the `try` (or `catch`) runs this `finally`. */
  drops: boolean;
}

type Frame = LoopFrame | TryFrame;

/**
 * Lowers a coroutine body into a {@link Machine}.
 *
 * @example
 * ```ts
 * const machine = lower({ body, isWait, futureType, elementType, describe, lineOf,
 *   outputType: "void", stateType: "State0", fallOff: undefined, pending: "PENDING", names, fail });
 * machine.cases.map((c) => c.kind); // ["Start", "Wait1", "Wait2"]
 * ```
 */
export function lower(input: LowerInput): Machine {
  return new Lowerer(input).run();
}

class Lowerer {
  private readonly cases: Case[] = [];
  private readonly pieces: Piece[] = [];
  private readonly rewrites = new Map<ts.Node, Item[]>();
  private readonly drops = new Map<string, Item[]>();
  private usesUnwind = false;
  private readonly fields: Field[] = [];
  private readonly loweredLoops = new Set<ts.Node>();
  private readonly counters = new Map<string, number>();
  private frames: Frame[] = [];
  private usesDispatchLabel = false;
  private cur: Cursor = { items: [], caseIndex: -1, terminated: true, declared: new Set() };

  constructor(private readonly input: LowerInput) {}

  run(): Machine {
    this.openCase("Start", [], undefined);
    this.lowerStatements(this.input.body.statements);
    if (!this.cur.terminated) this.emitAll(this.input.fallOff ?? this.returnItems(null, false, this.frames.length));
    const cases = threadJumps(this.cases, [...this.rewrites.values(), ...this.drops.values()]);
    return {
      cases,
      pieces: this.pieces,
      rewrites: this.rewrites,
      drops: this.drops,
      usesUnwind: this.usesUnwind,
      fields: this.fields,
      loweredLoops: this.loweredLoops,
      usesDispatchLabel: this.usesDispatchLabel,
    };
  }

  // ---- cases and cursors ----

  /** A fresh state name: `Wait1`, `Wait2`, `Loop1`, ... */
  private allocate(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}${n}`;
  }

  /** Starts the case of state `kind`; code goes there from now on. */
  private openCase(kind: string, fields: Field[], comment: string | undefined): void {
    const items: Item[] = [];
    const c: Case = { kind, fields, comment, items };
    this.cases.push(c);
    const handler = this.handlerItems(this.frames);
    let target = items;
    if (handler !== null) {
      const wrapper: Item = { t: "try", body: [], handler };
      items.push(wrapper);
      target = wrapper.body;
    }
    this.cur = { items: target, caseIndex: this.cases.length - 1, terminated: false, declared: new Set() };
  }

  /** Where an error thrown at `frames` goes: the innermost lowered `catch`, or `finally` with a throw completion. */
  private handlerItems(frames: Frame[]): Item[] | null {
    const { error } = this.input.names;
    for (let i = frames.length - 1; i >= 0; i--) {
      const f = frames[i]!;
      if (f.f !== "try") continue;
      if (f.part === "try" && f.catchKind !== undefined) return this.goto(state(f.catchKind, [["error", [error]]]), false);
      if (f.part !== "finally" && f.finallyKind !== undefined) {
        return this.goto(
          state(f.finallyKind, [["completion", [`{ type: "throw", ${error === "error" ? "error" : `error: ${error}`} }`]]]),
          false,
        );
      }
    }
    return null;
  }

  private emit(item: Item): void {
    this.cur.items.push(item);
  }

  private emitAll(items: Item[]): void {
    for (const item of items) this.emit(item);
    this.cur.terminated = true;
  }

  private record(node: ts.Node): void {
    this.pieces.push({ node, caseIndex: this.cur.caseIndex });
  }

  /** Runs `fn` with the cursor inside `body` (same case), then returns to the current cursor. */
  private inside(body: Item[], fn: () => void): Cursor {
    const outer = this.cur;
    this.cur = { items: body, caseIndex: outer.caseIndex, terminated: false, declared: new Set() };
    fn();
    const inner = this.cur;
    this.cur = outer;
    return inner;
  }

  // ---- jumps ----

  /** `this.state = <to>; continue;` */
  private goto(to: Part[], labelled: boolean): Item[] {
    if (labelled) this.usesDispatchLabel = true;
    return [line("this.state = ", ...to, ";"), line(labelled ? `continue ${this.input.names.dispatch};` : "continue;")];
  }

  /** `return value` from frame depth `depth` outward: close `for..of` iterators, enter a `finally`, or finish. */
  private returnItems(value: Part[] | null, labelled: boolean, depth: number): Item[] {
    const items: Item[] = [];
    const result = value ?? ["undefined"];
    for (let i = depth - 1; i >= 0; i--) {
      const f = this.frames[i]!;
      if (f.f === "loop" && f.iterator !== undefined) items.push(line(`this.${f.iterator}.return?.();`));
      if (f.f === "try" && f.part !== "finally" && f.finallyKind !== undefined) {
        f.returns = true;
        const completion = ['{ type: "return", value: ', ...result, " }"];
        return [...items, ...this.goto(state(f.finallyKind, [["completion", completion]]), labelled)];
      }
    }
    return [...items, line('this.state = { kind: "Resolved" };'), line("return ", ...result, ";")];
  }

  /** `break`/`continue` to a lowered loop. */
  private jumpItems(s: ts.BreakOrContinueStatement, labelled: boolean): Item[] {
    const isBreak = s.kind === ts.SyntaxKind.BreakStatement;
    const label = s.label?.text;
    let index = -1;
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const f = this.frames[i]!;
      if (f.f === "loop" && (label === undefined || f.labels.includes(label))) {
        index = i;
        break;
      }
    }
    if (index === -1) return this.input.fail(s, `cannot find the target of this \`${isBreak ? "break" : "continue"}\``);
    const target = this.frames[index] as LoopFrame;
    const crossed = this.frames.slice(index + 1).reverse();
    const items: Item[] = [];
    const finallys: TryFrame[] = [];
    for (const f of crossed) {
      if (f.f === "try" && f.part !== "finally" && f.finallyKind !== undefined) finallys.push(f);
      if (f.f === "loop" && f.iterator !== undefined) {
        if (finallys.length > 0) {
          return this.input.fail(s, "a jump that leaves a `for..of` loop after passing through a `finally` block is not supported");
        }
        items.push(line(`this.${f.iterator}.return?.();`));
      }
    }
    if (finallys.length === 0) {
      if (isBreak) {
        if (target.iterator !== undefined) items.push(line(`this.${target.iterator}.return?.();`));
        return [...items, ...this.goto(state(target.after), labelled)];
      }
      return [...items, ...this.continueInline(target, labelled)];
    }
    let to: Part[] = isBreak ? this.breakState(target) : this.continueState(target);
    for (const f of [...finallys].reverse()) {
      f.jumps = true;
      to = state(f.finallyKind!, [["completion", ['{ type: "jump", to: ', ...to, " }"]]]);
    }
    return [...items, ...this.goto(to, labelled)];
  }

  /** The code of `continue` that crosses no `finally`. */
  private continueInline(loop: LoopFrame, labelled: boolean): Item[] {
    const node = loop.node;
    if (ts.isForStatement(node) && node.incrementor !== undefined) {
      this.record(node.incrementor);
      return [line(node.incrementor, ";"), ...this.goto(state(loop.head), labelled)];
    }
    if (ts.isDoStatement(node)) return this.doWhileTest(node, loop, labelled);
    return this.goto(state(loop.head), labelled);
  }

  /** The state a `continue` that crosses a `finally` goes to (made on demand for `for` and `do`). */
  private continueState(loop: LoopFrame): Part[] {
    const node = loop.node;
    if (ts.isForStatement(node) && node.incrementor !== undefined) {
      return this.madeState(loop, "Next", `the update of the loop at ${this.lineOf(node)}, reached by \`continue\``, (caseIndex) => {
        this.pieces.push({ node: node.incrementor!, caseIndex });
        return [line(node.incrementor!, ";"), ...this.goto(state(loop.head), false)];
      });
    }
    if (ts.isDoStatement(node)) {
      return this.madeState(loop, "Test", `the test of the loop at ${this.lineOf(node)}, reached by \`continue\``, (caseIndex) => {
        this.pieces.push({ node: node.expression, caseIndex });
        return [
          { t: "if", branches: [{ test: [node.expression], body: this.goto(state(loop.head), false) }] },
          ...this.goto(state(loop.after), false),
        ];
      });
    }
    return state(loop.head);
  }

  /** The state a `break` that crosses a `finally` goes to. */
  private breakState(loop: LoopFrame): Part[] {
    if (loop.iterator === undefined) return state(loop.after);
    const iterator = loop.iterator;
    return this.madeState(loop, "Exit", `leaving the loop at ${this.lineOf(loop.node)} by \`break\``, () => [
      line(`this.${iterator}.return?.();`),
      ...this.goto(state(loop.after), false),
    ]);
  }

  /** A state made on demand for `loop` (once), placed after the cases made so far. */
  private madeState(loop: LoopFrame, prefix: string, comment: string, body: (caseIndex: number) => Item[]): Part[] {
    let kind = loop.made.get(prefix);
    if (kind === undefined) {
      kind = this.allocate(prefix);
      loop.made.set(prefix, kind);
      const made: Case = { kind, fields: [], comment, items: [] };
      const caseIndex = this.cases.push(made) - 1;
      const items = body(caseIndex);
      const handler = this.handlerItems(loop.outer);
      made.items = handler === null ? items : [{ t: "try", body: items, handler }];
    }
    return state(kind);
  }

  private doWhileTest(node: ts.DoStatement, loop: LoopFrame, labelled: boolean): Item[] {
    this.record(node.expression);
    return [
      { t: "if", branches: [{ test: [node.expression], body: this.goto(state(loop.head), labelled) }] },
      ...this.goto(state(loop.after), labelled),
    ];
  }

  // ---- statements ----

  private lowerStatements(statements: readonly ts.Statement[]): void {
    for (const s of statements) this.lowerStatement(s);
  }

  private lowerStatement(s: ts.Statement): void {
    if (!this.containsWait(s)) return this.copy(s);
    if (ts.isExpressionStatement(s)) return this.lowerExpressionStatement(s);
    if (ts.isVariableStatement(s)) return this.lowerVariableStatement(s);
    if (ts.isReturnStatement(s)) return this.lowerReturn(s);
    if (ts.isIfStatement(s)) return this.lowerIf(s);
    if (ts.isBlock(s)) return this.lowerBlock(s);
    if (ts.isTryStatement(s)) return this.lowerTry(s);
    if (ts.isLabeledStatement(s) || ts.isIterationStatement(s, false)) return this.lowerLoop(s, []);
    if (ts.isSwitchStatement(s)) return this.input.fail(s, "`wait` inside a `switch` is not supported; use `if`/`else`");
    return this.input.fail(s, `\`wait\` inside a \`${ts.SyntaxKind[s.kind]}\` is not supported`);
  }

  /** Whether `node` contains a wait (nested functions cannot: `keywords.ts` rejected that). */
  private containsWait(node: ts.Node): boolean {
    if (this.input.isWait(node)) return true;
    return node.forEachChild((c) => (this.containsWait(c) ? true : undefined)) === true;
  }

  /** A statement without a wait: copied as written, but for jumps out of it. */
  private copy(s: ts.Statement): void {
    if (ts.isReturnStatement(s)) {
      if (s.expression !== undefined) this.record(s.expression);
      return this.emitAll(this.returnItems(s.expression === undefined ? null : [s.expression], false, this.frames.length));
    }
    if (ts.isBreakOrContinueStatement(s)) return this.emitAll(this.jumpItems(s, false));
    this.findEscapes(s, s, ts.isIterationStatement(s, true));
    this.record(s);
    this.emit({ t: "user", node: s });
    for (const name of declaredNames(s)) this.cur.declared.add(name);
    if (ts.isThrowStatement(s)) this.cur.terminated = true;
  }

  /** Finds the `return`s, `break`s and `continue`s inside `root` that leave it, and plans their replacement. */
  private findEscapes(root: ts.Statement, node: ts.Node, inLoop: boolean): void {
    node.forEachChild((child) => {
      if (ts.isFunctionLike(child) || ts.isClassLike(child)) return;
      if (ts.isReturnStatement(child)) {
        this.rewrites.set(child, this.returnItems(child.expression === undefined ? null : [child.expression], inLoop, this.frames.length));
      } else if (ts.isBreakOrContinueStatement(child) && !targetsInside(child, root)) {
        this.rewrites.set(child, this.jumpItems(child, inLoop));
      }
      this.findEscapes(root, child, inLoop || ts.isIterationStatement(child, false));
    });
  }

  /** The wait of a statement-level expression: `wait f;` or `x = wait f;`. */
  private lowerExpressionStatement(s: ts.ExpressionStatement): void {
    const e = skipParens(s.expression);
    if (this.input.isWait(e)) {
      this.lowerWait(e, s);
      return this.emit({ t: "result", wait: e, declaration: undefined, used: false });
    }
    if (ts.isBinaryExpression(e) && this.input.isWait(skipParens(e.right))) {
      const wait = skipParens(e.right) as ts.CallExpression;
      this.lowerWait(wait, s);
      this.emit({ t: "result", wait, declaration: undefined, used: true });
      this.record(s);
      return this.emit({ t: "user", node: s });
    }
    return this.input.fail(s, "unsupported use of `wait`");
  }

  /** `const a = 1, b = wait f, c = b;` becomes three steps: declare `a`; wait, then declare `b`; declare `c`. */
  private lowerVariableStatement(s: ts.VariableStatement): void {
    let pending: ts.VariableDeclaration[] = [];
    const flush = (): void => {
      if (pending.length === 0) return;
      for (const d of pending) this.record(d);
      this.emit({ t: "declare", list: s.declarationList, declarations: pending });
      pending = [];
    };
    for (const d of s.declarationList.declarations) {
      const init = d.initializer === undefined ? undefined : skipParens(d.initializer);
      if (init !== undefined && this.input.isWait(init)) {
        flush();
        this.lowerWait(init, s);
        this.record(d);
        this.emit({ t: "result", wait: init, declaration: d, used: true });
        for (const name of bindingNames(d.name)) this.cur.declared.add(name);
      } else {
        pending.push(d);
      }
    }
    flush();
  }

  private lowerReturn(s: ts.ReturnStatement): void {
    const wait = skipParens(s.expression!) as ts.CallExpression;
    this.lowerWait(wait, s);
    this.emit({ t: "result", wait, declaration: undefined, used: true });
    this.emitAll(this.returnItems([wait], false, this.frames.length));
  }

  /** Ends the current case by starting the future, and opens the wait state that polls it. */
  private lowerWait(wait: ts.CallExpression, statement: ts.Statement): void {
    const kind = this.allocate("Wait");
    const future = wait.arguments[0]!;
    this.record(future);
    this.emitAll(this.goto(state(kind, [["future", [future]]]), false));
    this.openCase(kind, [{ name: "future", type: this.input.futureType(wait) }], this.input.describe(statement));
    const onDrop = this.dropItems(this.frames.length, (to) => {
      this.usesUnwind = true;
      return [line("this.unwind(", ...to, ");")];
    });
    if (onDrop.items.length > 0) this.drops.set(kind, onDrop.items);
  }

  /**
   * What leaving by a drop from frame depth `depth` outward runs: close `for..of` iterators up to
   * the first `finally`, which is entered (by `enter`) with a "drop" completion. Without one, the
   * closes are all.
   */
  private dropItems(depth: number, enter: (to: Part[]) => Item[]): { items: Item[]; entered: boolean } {
    const items: Item[] = [];
    for (let i = depth - 1; i >= 0; i--) {
      const f = this.frames[i]!;
      if (f.f === "loop" && f.iterator !== undefined) items.push(line(`this.${f.iterator}.return?.();`));
      if (f.f === "try" && f.part !== "finally" && f.finallyKind !== undefined) {
        f.drops = true;
        return { items: [...items, ...enter(state(f.finallyKind, [["completion", ['{ type: "drop" }']]]))], entered: true };
      }
    }
    return { items, entered: false };
  }

  private lowerIf(s: ts.IfStatement): void {
    const after = this.allocate("AfterIf");
    let afterUsed = false;
    const branches: Branch[] = [];
    this.emit({ t: "if", branches });
    const owner = this.cur;
    for (let node: ts.Statement | undefined = s; node !== undefined;) {
      const test = ts.isIfStatement(node) ? node.expression : null;
      const branch: ts.Statement = ts.isIfStatement(node) ? node.thenStatement : node;
      const body: Item[] = [];
      branches.push({ test: test === null ? null : [test], body });
      if (test !== null) this.record(test);
      const end = this.inside(body, () => this.lowerBranch(branch));
      if (!end.terminated) {
        this.cur = end;
        this.emitAll(this.goto(state(after), false));
        this.cur = owner;
        afterUsed = true;
      }
      node = ts.isIfStatement(node) ? node.elseStatement : undefined;
    }
    if (branches[branches.length - 1]!.test !== null) {
      this.emitAll(this.goto(state(after), false));
      afterUsed = true;
    }
    owner.terminated = true;
    if (afterUsed) this.openCase(after, [], `after the \`if\` at ${this.lineOf(s)}`);
  }

  private lowerBranch(s: ts.Statement): void {
    if (ts.isBlock(s)) this.lowerStatements(s.statements);
    else this.lowerStatement(s);
  }

  private lowerBlock(s: ts.Block): void {
    const after = this.allocate("AfterBlock");
    const body: Item[] = [];
    this.emit({ t: "block", body });
    const end = this.inside(body, () => this.lowerStatements(s.statements));
    this.cur.terminated = true;
    if (!end.terminated) {
      this.cur = end;
      this.emitAll(this.goto(state(after), false));
    }
    this.openCase(after, [], `after the block at ${this.lineOf(s)}`);
  }

  private lowerLoop(s: ts.Statement, labels: string[]): void {
    if (ts.isLabeledStatement(s)) return this.lowerLoop(s.statement, [...labels, s.label.text]);
    if (ts.isForInStatement(s))
      return this.input.fail(s, "`wait` inside a `for..in` loop is not supported; loop over `Object.keys(...)` with `for..of`");
    if (!ts.isIterationStatement(s, false))
      return this.input.fail(s, "`wait` inside a labeled statement that is not a loop is not supported");
    if (ts.isForOfStatement(s) && s.awaitModifier !== undefined) return this.input.fail(s, "`for await` is not supported in a coroutine");
    this.loweredLoops.add(s);
    const head = this.allocate("Loop");
    const after = this.allocate("AfterLoop");
    const frame: LoopFrame = { f: "loop", node: s, labels, head, after, iterator: undefined, made: new Map(), outer: this.frames };
    const where = this.input.describe(s);

    if (ts.isForStatement(s) && s.initializer !== undefined) {
      const init = s.initializer;
      const names = ts.isVariableDeclarationList(init) ? init.declarations.flatMap((d) => bindingNames(d.name)) : [];
      const target: Item[] = [];
      const wrap = names.some((n) => this.cur.declared.has(n));
      if (wrap) this.emit({ t: "block", body: target });
      this.record(init);
      const item: Item = ts.isVariableDeclarationList(init)
        ? { t: "declare", list: init, declarations: [...init.declarations] }
        : line(init, ";");
      (wrap ? target : this.cur.items).push(item);
      if (!wrap) for (const n of names) this.cur.declared.add(n);
    }
    if (ts.isForOfStatement(s)) {
      const iterator = this.allocate("iterator");
      frame.iterator = iterator;
      this.fields.push({ name: iterator, type: `Iterator<${this.input.elementType(s)}>` });
      this.record(s.expression);
      this.emit(line(`this.${iterator} = `, ...parenthesized(s.expression), "[Symbol.iterator]();"));
    }
    this.emitAll(this.goto(state(head), false));

    this.frames = [...this.frames, frame];
    this.openCase(head, [], where);
    if (ts.isForOfStatement(s)) this.forOfStep(s, frame);
    const test = ts.isWhileStatement(s) ? s.expression : ts.isForStatement(s) ? s.condition : undefined;
    if (test !== undefined && test.kind !== ts.SyntaxKind.TrueKeyword) {
      this.record(test);
      this.emit({ t: "if", branches: [{ test: negated(test), body: this.goto(state(after), false) }] });
    }
    this.lowerLoopBody(s.statement);
    if (!this.cur.terminated) {
      if (ts.isForStatement(s) && s.incrementor !== undefined) {
        this.record(s.incrementor);
        this.emit(line(s.incrementor, ";"));
      }
      if (ts.isDoStatement(s)) this.emitAll(this.doWhileTest(s, frame, false));
      else this.emitAll(this.goto(state(head), false));
    }
    this.frames = frame.outer;
    this.openCase(after, [], `after the loop at ${this.lineOf(s)}`);
  }

  /** `const next = this.iterator1.next(); if (next.done) ...; const x = next.value;` */
  private forOfStep(s: ts.ForOfStatement, frame: LoopFrame): void {
    const { next } = this.input.names;
    this.emit(line(`const ${next} = this.${frame.iterator!}.next();`));
    this.emit({ t: "if", branches: [{ test: [`${next}.done`], body: this.goto(state(frame.after), false) }] });
    const init = s.initializer;
    if (ts.isVariableDeclarationList(init)) {
      const declaration = init.declarations[0]!;
      this.record(declaration);
      this.emit({ t: "bind", keyword: keywordOf(init), declaration, value: `${next}.value` });
      for (const n of bindingNames(declaration.name)) this.cur.declared.add(n);
    } else {
      this.record(init);
      this.emit(line(...(ts.isObjectLiteralExpression(init) ? ["(", init, ` = ${next}.value);`] : [init, ` = ${next}.value;`])));
    }
  }

  private lowerLoopBody(body: ts.Statement): void {
    if (!ts.isBlock(body)) return this.lowerStatement(body);
    const clash = declaredNamesOfBlock(body).some((n) => this.cur.declared.has(n));
    if (!clash) return this.lowerStatements(body.statements);
    const inner: Item[] = [];
    this.emit({ t: "block", body: inner });
    const end = this.inside(inner, () => this.lowerStatements(body.statements));
    this.cur.terminated = true;
    if (!end.terminated) this.cur = end;
  }

  private lowerTry(s: ts.TryStatement): void {
    const frame: TryFrame = {
      f: "try",
      part: "try",
      catchKind: s.catchClause === undefined ? undefined : this.allocate("Catch"),
      finallyKind: s.finallyBlock === undefined ? undefined : this.allocate("Finally"),
      normal: false,
      returns: false,
      jumps: false,
      drops: false,
    };
    const after = this.allocate("AfterTry");
    const outer = this.frames;
    const leave = (): void => {
      if (this.cur.terminated) return;
      if (frame.finallyKind !== undefined) {
        frame.normal = true;
        this.emitAll(this.goto(state(frame.finallyKind, [["completion", ['{ type: "normal" }']]]), false));
      } else {
        this.emitAll(this.goto(state(after), false));
      }
    };

    this.frames = [...outer, frame];
    const body: Item[] = [];
    this.emit({ t: "try", body, handler: this.handlerItems(this.frames)! });
    const end = this.inside(body, () => this.lowerStatements(s.tryBlock.statements));
    this.cur.terminated = true;
    this.cur = end;
    leave();

    if (s.catchClause !== undefined) {
      frame.part = "catch";
      this.openCase(frame.catchKind!, [{ name: "error", type: "unknown" }], `catch at ${this.lineOf(s.catchClause)}`);
      const declaration = s.catchClause.variableDeclaration;
      if (declaration !== undefined) {
        this.record(declaration);
        this.emit({ t: "bind", keyword: "let", declaration, value: `${this.input.names.state}.error` });
      }
      this.lowerStatements(s.catchClause.block.statements);
      leave();
    }

    let afterUsed = frame.finallyKind === undefined;
    if (s.finallyBlock !== undefined) {
      frame.part = "finally";
      const { completion } = this.input.names;
      const kind = frame.finallyKind!;
      const type = this.completionType(frame);
      this.openCase(kind, [{ name: "completion", type }], `finally at ${this.lineOf(s.finallyBlock)}`);
      const keep = this.containsWait(s.finallyBlock);
      const field = `completion${kind.slice("Finally".length)}`;
      if (keep) {
        this.fields.push({ name: field, type });
        this.emit(line(`this.${field} = ${this.input.names.state}.completion;`));
      } else {
        this.emit(line(`const ${completion} = ${this.input.names.state}.completion;`));
      }
      this.lowerStatements(s.finallyBlock.statements);
      if (!this.cur.terminated) {
        if (keep) this.emit(line(`const ${completion} = this.${field};`));
        // Replay how the `try` was left; the last possibility needs no test.
        const replay: [string, Item[]][] = [[`${completion}.type === "throw"`, [line(`throw ${completion}.error;`)]]];
        if (frame.returns) replay.push([`${completion}.type === "return"`, this.returnItems([`${completion}.value`], false, outer.length)]);
        if (frame.jumps) replay.push([`${completion}.type === "jump"`, this.goto([`${completion}.to`], false)]);
        if (frame.drops) {
          const done = [line('this.state = { kind: "Resolved" };'), line(`return ${this.input.pending}; // the drop is done`)];
          const onDrop = this.dropItems(outer.length, (to) => this.goto(to, false));
          replay.push([`${completion}.type === "drop"`, onDrop.entered ? onDrop.items : [...onDrop.items, ...done]]);
        }
        if (frame.normal) replay.push(["", this.goto(state(after), false)]);
        replay.forEach(([test, body], i) => {
          if (i < replay.length - 1)
            this.emit(
              body.length === 1
                ? line(`if (${test}) `, ...(body[0] as { parts: Part[] }).parts)
                : { t: "if", branches: [{ test: [test], body }] },
            );
          else for (const item of body) this.emit(item);
        });
        this.cur.terminated = true;
        afterUsed = frame.normal;
      }
    }
    this.frames = outer;
    if (afterUsed) this.openCase(after, [], `after the \`try\` at ${this.lineOf(s)}`);
  }

  // ---- helpers ----

  /** The completions a `finally` can be entered with. */
  private completionType(frame: TryFrame): string {
    const variants: string[] = [];
    if (frame.normal) variants.push('{ type: "normal" }');
    variants.push('{ type: "throw"; error: unknown }');
    if (frame.returns) variants.push(`{ type: "return"; value: ${this.input.outputType} }`);
    if (frame.jumps) variants.push(`{ type: "jump"; to: ${this.input.stateType} }`);
    if (frame.drops) variants.push('{ type: "drop" }');
    return variants.join(" | ");
  }

  private lineOf(node: ts.Node): string {
    return `line ${this.input.lineOf(node)}`;
  }
}
