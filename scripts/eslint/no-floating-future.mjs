// `local/no-floating-future`: an expression statement whose value is a `Future` is a bug. Futures
// are lazy (nothing happens until an executor polls them), so `sleep(100);` or
// `stream.writeAll(buf);` on its own line does nothing at all; `no-floating-promises` cannot see
// it, since a future is not a thenable. What to write instead: `yield* wait(f)` inside a
// coroutine, or `spawn(f)` to run it as a task.
//
// A `JoinHandle` is a future too, but dropping one is meaningful (the task keeps running,
// detached), so `spawn(f);` is allowed: a type with `abort` besides `poll` is a handle.
/** @param {import("typescript").Type} type */
function isFuture(checker, type) {
  if (type.isUnion()) return type.types.some((t) => isFuture(checker, t));
  const poll = type.getProperty("poll");
  if (poll === undefined) return false;
  if (type.getProperty("abort") !== undefined) return false;
  const decl = poll.valueDeclaration ?? poll.declarations?.[0];
  if (decl === undefined) return false;
  const pollType = checker.getTypeOfSymbolAtLocation(poll, decl);
  return pollType.getCallSignatures().some((s) => s.getParameters().length === 1);
}

/** @type {import("eslint").Rule.RuleModule} */
export default {
  meta: {
    type: "problem",
    messages: {
      floating:
        "This Future is created and dropped: futures are lazy, so it never runs. Write `yield* wait(...)` inside a coroutine, or `spawn(...)` it.",
    },
    schema: [],
  },
  create(context) {
    const services = context.sourceCode.parserServices;
    if (services?.program == null) throw new Error("local/no-floating-future needs type information (parserOptions.projectService)");
    const checker = services.program.getTypeChecker();
    return {
      ExpressionStatement(node) {
        const e = node.expression;
        if (e.type === "AssignmentExpression" || e.type === "UpdateExpression" || e.type === "YieldExpression") return;
        if (e.type === "UnaryExpression" && e.operator === "void") return;
        const type = services.getTypeAtLocation(e);
        if (isFuture(checker, type)) context.report({ node, messageId: "floating" });
      },
    };
  },
};
