/**
 * Loading `effect` in a contender process. The harness resolves it (from the project's
 * node_modules, or `--effect-dir`) and passes its file URL in `BENCH_EFFECT_URL`; without it the
 * contender is skipped by the harness before it is ever started. Typed loosely on purpose: the
 * package is optional and not a dependency of the runtime.
 *
 * @module
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Any = any;

export async function loadEffect(): Promise<{ Effect: Any; Fiber: Any }> {
  const url = process.env["BENCH_EFFECT_URL"];
  const mod: Any = await import(url ?? "effect");
  return { Effect: mod.Effect, Fiber: mod.Fiber };
}

/** `Effect.forkChild` (4.x) or `Effect.fork` (3.x). */
export function forkOf(Effect: Any): (e: Any) => Any {
  return Effect.forkChild ?? Effect.fork;
}
