/**
 * The types corofy needs and does not see in the source: what each waited future resolves to and
 * the type of every local the state machine keeps as a field.
 *
 * corofy builds a second version of the file that TypeScript can type-check and asks the checker:
 *
 * - `wait f` becomes `__corofy_wait(f)`, declared as `<T>(future: Future<T>) => T`, so the checker
 *   infers every waited value, hence the type of `const txt = wait Http.get(...)`;
 * - each coroutine's return type `R` becomes `Future<R>` (`Future<void>` without annotation), so
 *   calls of one coroutine from another type as what they will be after the rewrite;
 * - `coroutine` is blanked out.
 *
 * The program uses the `tsconfig.json` found next to the source or above it (else strict NodeNext
 * defaults), and resolves `reactor-executor` from the source's directory, as the generated file will.
 *
 * Implementation notes: types are printed with the checker's node builder; where a type is not
 * nameable in the file (say `JoinHandle`, which the user never imported) the builder writes
 * `import("…/index").JoinHandle`, and corofy turns that into a plain `JoinHandle` imported from
 * `reactor-executor` with the other generated imports. A type from any other module that the file
 * cannot name is an error asking for an annotation. Library and `node_modules` files are parsed
 * once per process and shared between programs.
 *
 * @module
 */
import ts from "typescript";
import path from "node:path";
import { EditedText, type Edit } from "./edited-text.js";
import { errorAt } from "./errors.js";
import type { Marked } from "./keywords.js";

/** The package the generated code imports its runtime from. */
export const RUNTIME_PACKAGE = "reactor-executor";

const WAIT_FUNCTION = "__corofy_wait";
const FUTURE_ALIAS = "__CorofyFuture";

/** The type-checkable version of a file and the checker over it. */
export interface Typing {
  checker: ts.TypeChecker;
  /** The type-checkable file: same code, with the rewrites described in the module doc. */
  sourceFile: ts.SourceFile;
  /** Maps positions of `sourceFile` back to the user's text. */
  edited: EditedText;
  /** Each coroutine's declaration in `sourceFile`, in the order of `Marked.coroutines`. */
  coroutines: (ts.FunctionDeclaration & { name: ts.Identifier; body: ts.Block })[];
  /** The `__corofy_wait(f)` calls that stand for `wait f`. */
  waits: Set<ts.CallExpression>;
  /**
   * Prints `type` for use at the top level of the file. `typeName(name)` returns the local name of
   * a type exported by the runtime package (and arranges for it to be imported).
   */
  printType(type: ts.Type, at: ts.Node, typeName: (exported: string) => string): string;
}

/** Parsed library files, shared by all programs of this process (they never change under us). */
const libraryCache = new Map<string, ts.SourceFile>();

/**
 * Builds the type-checkable version of `text` and a checker over it.
 *
 * @example
 * ```ts
 * const typing = buildTyping("main.coro", source, markKeywords("main.coro", source));
 * typing.checker.getTypeAtLocation(typing.coroutines[0].body);
 * ```
 */
export function buildTyping(file: string, text: string, marked: Marked): Typing {
  const edits: Edit[] = [];
  for (const c of marked.coroutines) {
    edits.push({ start: c.keyword, end: c.keyword + "coroutine".length, text: " ".repeat("coroutine".length) });
    const type = c.declaration.type;
    if (type === undefined) {
      const at = c.declaration.body.getStart(marked.parsed);
      edits.push({ start: at, end: at, text: `: ${FUTURE_ALIAS}<void> ` });
    } else {
      edits.push({ start: type.getStart(marked.parsed), end: type.getStart(marked.parsed), text: `${FUTURE_ALIAS}<` });
      edits.push({ start: type.end, end: type.end, text: ">" });
    }
  }
  for (const w of marked.waits) {
    edits.push({ start: w.keyword, end: w.keyword + "wait".length, text: `${WAIT_FUNCTION}(` });
    edits.push({ start: w.operandEnd, end: w.operandEnd, text: ")" });
  }
  edits.push({
    start: text.length,
    end: text.length,
    text:
      `\n;type ${FUTURE_ALIAS}<T> = import("${RUNTIME_PACKAGE}").Future<T>;\n` +
      `declare function ${WAIT_FUNCTION}<T>(future: import("${RUNTIME_PACKAGE}").Future<T>): T;\n`,
  });
  const edited = new EditedText(text, edits);

  const sourcePath = path.resolve(file);
  const workPath = `${sourcePath}.corofy.ts`;
  const options = compilerOptions(path.dirname(sourcePath));
  const { program, host, sourceFile } = programOver(workPath, edited.text, options);
  const checker = program.getTypeChecker();

  const firstKeyword = marked.coroutines[0]?.keyword ?? 0;
  const runtime = ts.resolveModuleName(RUNTIME_PACKAGE, workPath, options, host).resolvedModule;
  if (marked.coroutines.length > 0 && runtime === undefined) {
    throw errorAt(
      file,
      text,
      firstKeyword,
      `cannot find the \`${RUNTIME_PACKAGE}\` package from ${path.dirname(sourcePath)}: the generated code imports it, ` +
        "and corofy reads the types of the waited futures from it (install it next to the source)",
    );
  }
  const runtimeModule = runtime === undefined ? "" : stripExtension(runtime.resolvedFileName);

  const coroutines = marked.coroutines.map((c) => {
    const at = edited.toEdited(c.declaration.getStart(marked.parsed));
    const found = sourceFile.statements.find((s) => ts.isFunctionDeclaration(s) && s.getStart(sourceFile) === at);
    if (found === undefined) throw new Error("corofy: a coroutine vanished from the type-checkable text");
    return found as Typing["coroutines"][number];
  });

  const waitStarts = new Set(marked.waits.map((w) => edited.toEdited(w.keyword)));
  const waits = new Set<ts.CallExpression>();
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      waitStarts.has(node.getStart(sourceFile)) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === WAIT_FUNCTION
    ) {
      waits.add(node);
    }
    node.forEachChild(visit);
  };
  visit(sourceFile);

  checkWaitOperands(program, sourceFile, waits, file, text, edited);

  // The builder writes a type it cannot reach from the file by its bare name (`HttpResponse`) when
  // it has no way to write an import; such a name is imported from the runtime if the runtime
  // exports it, and is an error asking for an annotation otherwise.
  let inScope: Set<string> | undefined;
  let runtimeTypes: Set<string> | undefined;
  const reachable = (name: string): boolean => {
    inScope ??= new Set(
      checker.getSymbolsInScope(sourceFile, ts.SymbolFlags.Type | ts.SymbolFlags.Namespace | ts.SymbolFlags.Alias).map((s) => s.name),
    );
    return inScope.has(name);
  };
  const exportedByRuntime = (name: string): boolean => {
    if (runtimeTypes === undefined) {
      const module = runtime === undefined ? undefined : program.getSourceFile(runtime.resolvedFileName);
      const symbol = module === undefined ? undefined : checker.getSymbolAtLocation(module);
      runtimeTypes = new Set(symbol === undefined ? [] : checker.getExportsOfModule(symbol).map((s) => s.name));
    }
    return runtimeTypes.has(name);
  };
  const printer = ts.createPrinter({ removeComments: true });
  const printType = (type: ts.Type, at: ts.Node, typeName: (exported: string) => string): string => {
    const flags = ts.NodeBuilderFlags.NoTruncation | ts.NodeBuilderFlags.UseAliasDefinedOutsideCurrentScope;
    const node = checker.typeToTypeNode(type, sourceFile, flags);
    const fail = (): never => {
      throw errorAt(
        file,
        text,
        edited.toOriginal(at.getStart(sourceFile)),
        `cannot name the type \`${checker.typeToString(type)}\` in this file (it is kept across a wait point, so it becomes a field): add a type annotation`,
      );
    };
    if (node === undefined) return fail();
    const result = ts.transform(node, [
      (context) => {
        const visitor = (n: ts.Node): ts.Node => {
          if (ts.isImportTypeNode(n)) {
            const argument = n.argument;
            const specifier = ts.isLiteralTypeNode(argument) && ts.isStringLiteral(argument.literal) ? argument.literal.text : "";
            const isRuntime = specifier === RUNTIME_PACKAGE || stripExtension(specifier) === runtimeModule;
            if (!isRuntime || n.isTypeOf || n.qualifier === undefined) return fail();
            const typeArguments = n.typeArguments?.map((t) => ts.visitNode(t, visitor, ts.isTypeNode));
            return context.factory.createTypeReferenceNode(renameLeftmost(context.factory, n.qualifier, typeName), typeArguments);
          }
          if (ts.isTypeReferenceNode(n)) {
            const name = leftmost(n.typeName);
            if (!reachable(name.text)) {
              if (!exportedByRuntime(name.text)) return fail();
              const typeArguments = n.typeArguments?.map((t) => ts.visitNode(t, visitor, ts.isTypeNode));
              return context.factory.createTypeReferenceNode(renameLeftmost(context.factory, n.typeName, typeName), typeArguments);
            }
          }
          if (ts.isTypeLiteralNode(n)) ts.setEmitFlags(n, ts.EmitFlags.SingleLine);
          return ts.visitEachChild(n, visitor, context);
        };
        return (root) => ts.visitNode(root, visitor, ts.isTypeNode);
      },
    ]);
    const printed = printer.printNode(ts.EmitHint.Unspecified, result.transformed[0]!, sourceFile);
    result.dispose();
    return printed;
  };

  return { checker, sourceFile, edited, coroutines, waits, printType };
}

/** A program whose one root is `text`, a virtual file at `workPath`; library files come from the cache. */
function programOver(
  workPath: string,
  text: string,
  options: ts.CompilerOptions,
): { program: ts.Program; host: ts.CompilerHost; sourceFile: ts.SourceFile } {
  const host = ts.createCompilerHost(options, true);
  const sourceFile = ts.createSourceFile(workPath, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (name) => name === workPath || fileExists(name);
  host.readFile = (name) => (name === workPath ? text : readFile(name));
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) => {
    if (name === workPath) return sourceFile;
    if (!name.includes("/node_modules/")) return getSourceFile(name, languageVersion, onError, shouldCreate);
    const key = `${name}|${typeof languageVersion === "object" ? `${languageVersion.languageVersion}/${languageVersion.impliedNodeFormat}` : languageVersion}`;
    let sf = libraryCache.get(key);
    if (sf === undefined) {
      sf = getSourceFile(name, languageVersion, onError, shouldCreate);
      if (sf !== undefined) libraryCache.set(key, sf);
    }
    return sf;
  };
  return { program: ts.createProgram({ rootNames: [workPath], options, host }), host, sourceFile };
}

/** An error in the rewritten text: where it is (an offset of that text) and what it says. */
export interface OutputError {
  offset: number;
  message: string;
}

/**
 * Type-checks `output`, the rewritten version of source file `file`, as if it stood next to it
 * (same `tsconfig.json`, same package resolution). Returns its first error, or `undefined`.
 *
 * @example
 * ```ts
 * const error = checkOutput("main.coro", corofiedText);
 * if (error !== undefined) console.error(error.message);
 * ```
 */
export function checkOutput(file: string, output: string): OutputError | undefined {
  const sourcePath = path.resolve(file);
  const options = compilerOptions(path.dirname(sourcePath));
  const { program, sourceFile } = programOver(`${sourcePath}.corofied.ts`, output, options);
  const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
  const first = diagnostics.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (first === undefined) return undefined;
  return { offset: first.start ?? 0, message: `${ts.flattenDiagnosticMessageText(first.messageText, " ")} (TS${first.code})` };
}

function renameLeftmost(factory: ts.NodeFactory, name: ts.EntityName, typeName: (exported: string) => string): ts.EntityName {
  if (ts.isIdentifier(name)) return factory.createIdentifier(typeName(name.text));
  return factory.createQualifiedName(renameLeftmost(factory, name.left, typeName), name.right.text);
}

function leftmost(name: ts.EntityName): ts.Identifier {
  return ts.isIdentifier(name) ? name : leftmost(name.left);
}

function stripExtension(p: string): string {
  return p.replace(/\.(d\.)?[mc]?[tj]s$/, "");
}

function compilerOptions(dir: string): ts.CompilerOptions {
  const defaults: ts.CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
  };
  const configPath = ts.findConfigFile(dir, (f) => ts.sys.fileExists(f));
  if (configPath === undefined) return { ...defaults, noEmit: true };
  const config = ts.readConfigFile(configPath, (f) => ts.sys.readFile(f));
  if (config.error !== undefined) return { ...defaults, noEmit: true };
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, path.dirname(configPath), undefined, configPath);
  return { ...parsed.options, noEmit: true, skipLibCheck: true, incremental: false, composite: false, declaration: false };
}

/** `wait x` where `x` is not a future is reported here, at `x`, rather than in the generated code. */
function checkWaitOperands(
  program: ts.Program,
  sourceFile: ts.SourceFile,
  waits: Set<ts.CallExpression>,
  file: string,
  text: string,
  edited: EditedText,
): void {
  const diagnostics = program.getSemanticDiagnostics(sourceFile);
  for (const call of waits) {
    const operand = call.arguments[0]!;
    const start = operand.getStart(sourceFile);
    const d = diagnostics.find((d) => d.code === 2345 && d.start === start && d.length === operand.end - start);
    if (d !== undefined) {
      throw errorAt(
        file,
        text,
        edited.toOriginal(start),
        `\`wait\` needs a Future: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`,
      );
    }
  }
}
