/**
 * The state machine a coroutine is lowered into, before it is printed: its cases (one per state),
 * each a tree of items that mixes generated code with references to the user's own code.
 *
 * User code is kept as nodes of the type-checkable file, not as text, because how it prints depends
 * on a decision taken after lowering: which locals live across wait points and become fields
 * (`txt` printed as `this.txt`). See `emit.ts`.
 *
 * @module
 */
import type ts from "typescript";

/** A reference to a state by its tag (kept apart so that jumps to a removed state can be redirected). */
export interface StateRef {
  state: string;
}

/** A piece of a generated line: literal text, user code printed with the machine's rewrites, or a state's tag. */
export type Part = string | ts.Node | StateRef;

/** Whether `part` is a {@link StateRef} (a syntax node always has a `kind`). */
export function isStateRef(part: Part): part is StateRef {
  return typeof part === "object" && !("kind" in part);
}

/** One branch of an `if` chain; `test === null` is the final `else`. */
export interface Branch {
  test: Part[] | null;
  body: Item[];
}

/** What a case is made of. */
export type Item =
  /** A generated line (may embed user expressions). */
  | { t: "line"; parts: Part[] }
  /** A statement the user wrote, printed as written (but for hoisted locals and escaping jumps). */
  | { t: "user"; node: ts.Statement }
  /** Some declarators of a user's `const`/`let`/`var` list (split around a `wait`, or a `for` initializer). */
  | { t: "declare"; list: ts.VariableDeclarationList; declarations: ts.VariableDeclaration[] }
  /** A binding the machine fills in: a `for..of` variable from the iterator, a `catch` variable from the error. */
  | { t: "bind"; keyword: string; declaration: ts.VariableDeclaration; value: string }
  /** The poll of a waited future at the start of its wait state, and what the user did with the value. */
  | { t: "result"; wait: ts.CallExpression; declaration: ts.VariableDeclaration | undefined; used: boolean }
  | { t: "block"; body: Item[] }
  | { t: "if"; branches: Branch[] }
  /** `try { body } catch (error) { handler }`, routing an error to the coroutine's catch or finally state. */
  | { t: "try"; body: Item[]; handler: Item[] };

/** A typed field: of a state's payload, or of the state machine class. */
export interface Field {
  name: string;
  type: string;
}

/** One state of the machine and the code that runs in it. */
export interface Case {
  /** The state's tag: `Start`, `Wait1`, `Loop1`, ... */
  kind: string;
  /** What the state carries (`future` for a wait state, `error` for a catch, `completion` for a finally). */
  fields: Field[];
  /** Where in the user's code the state begins, for the reader. */
  comment: string | undefined;
  items: Item[];
}

/** A user node and the state whose code contains it. */
export interface Piece {
  node: ts.Node;
  caseIndex: number;
}

/** A lowered coroutine. */
export interface Machine {
  cases: Case[];
  /** Every piece of user code and its state: the input of the hoisting analysis. */
  pieces: Piece[];
  /** `break`/`continue`/`return` inside printed-as-written statements that leave them, with their replacement. */
  rewrites: Map<ts.Node, Item[]>;
  /**
   * What `drop()` runs when the machine is dropped in a wait state, by state: close the `for..of`
   * iterators and run the `finally` blocks around that wait (through `unwind`), as dropping a
   * generator coroutine does. States without such code are absent.
   */
  drops: Map<string, Item[]>;
  /** Whether some drop runs a `finally` block (so the class needs `unwind`). */
  usesUnwind: boolean;
  /** Class fields the machine itself needs: iterators of `for..of` loops, completions of `finally` blocks. */
  fields: Field[];
  /** The loops that contain a wait (and so became states). */
  loweredLoops: Set<ts.Node>;
  /** Whether a jump needs the dispatch loop's label (it sits inside a loop the user wrote). */
  usesDispatchLabel: boolean;
}

/** The state object `{ kind: "Wait1", future: ... }`. */
export function state(kind: string, fields: [string, Part[]][] = []): Part[] {
  const parts: Part[] = ['{ kind: "', { state: kind }, '"'];
  for (const [name, value] of fields) {
    if (value.length === 1 && value[0] === name) parts.push(`, ${name}`);
    else parts.push(`, ${name}: `, ...value);
  }
  parts.push(" }");
  return parts;
}

/** A generated line. */
export function line(...parts: Part[]): Item {
  return { t: "line", parts };
}

/**
 * Jump threading: a case that only moves on to another state without a payload (the join point
 * of an `if` nested at the end of another, say) is removed, and every jump to it goes straight on.
 */
export function threadJumps(cases: Case[], rewrites: Item[][]): Case[] {
  const alias = new Map<string, string>();
  for (const c of cases) {
    if (c.kind === "Start" || c.fields.length > 0) continue;
    const only = c.items.length === 1 ? c.items[0] : undefined;
    const body = only?.t === "try" ? only.body : c.items;
    const [set, jump] = body;
    if (
      body.length !== 2 ||
      set?.t !== "line" ||
      jump?.t !== "line" ||
      !jump.parts.every((p): p is string => typeof p === "string") ||
      jump.parts.join("") !== "continue;"
    )
      continue;
    const refs = set.parts.filter(isStateRef);
    const text = set.parts.map((p) => (typeof p === "string" ? p : isStateRef(p) ? "" : "<code>")).join("");
    if (refs.length === 1 && text === 'this.state = { kind: "" };') alias.set(c.kind, refs[0]!.state);
  }
  const resolve = (kind: string): string => {
    const seen = new Set<string>();
    while (alias.has(kind) && !seen.has(kind)) {
      seen.add(kind);
      kind = alias.get(kind)!;
    }
    return kind;
  };
  const visit = (items: Item[]): void => {
    for (const item of items) {
      if (item.t === "line") for (const p of item.parts) if (isStateRef(p)) p.state = resolve(p.state);
      if (item.t === "block") visit(item.body);
      if (item.t === "if") for (const b of item.branches) visit(b.body);
      if (item.t === "try") {
        visit(item.body);
        visit(item.handler);
      }
    }
  };
  const kept = cases.filter((c) => resolve(c.kind) === c.kind);
  for (const c of kept) visit(c.items);
  for (const r of rewrites) visit(r);
  return kept;
}
