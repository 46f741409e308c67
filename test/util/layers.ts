/**
 * The layer check (DESIGN: "layers point one way"): reads every source file's imports, type-only
 * ones included, and reports
 *
 * - an import that points up a layer (`future/` importing `runtime/`, say);
 * - a circle between files, within a layer or across (found as strongly connected components);
 * - `koffi` imported outside `src/sys/` (the only code that touches libc);
 * - a file in no known layer, and corofy mixed with the runtime (it stands apart: it imports none
 *   of the runtime and none of the runtime imports it).
 *
 * Imports are read with TypeScript's own pre-processor (`ts.preProcessFile`), which lists
 * `import`, `import type`, `export ... from` and `import("...")` alike.
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import ts from "typescript";

/** Bottom first: a file may import its own layer (without circles) and the layers below it. */
export const LAYERS = ["errors", "future", "sys", "runtime", "time", "sync", "net", "tls", "http", "server", "index", "bin"] as const;
/** Stands apart from the layers: imports none of them, and none of them imports it. */
export const APART = "corofy";

/** One broken rule, with the file (relative to the source root) it is in. */
export interface Violation {
  file: string;
  message: string;
}

function layerOf(file: string): string | null {
  const parts = file.split(sep);
  if (parts.length === 1) return parts[0] === "errors.ts" ? "errors" : parts[0] === "index.ts" ? "index" : null;
  return parts[0]!;
}

function sourceFiles(root: string): string[] {
  return readdirSync(root, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .sort();
}

/** Checks the tree under `root` (the `src` folder); returns every violation, none when it holds. */
export function checkLayers(root: string): Violation[] {
  const files = sourceFiles(root);
  const known = new Set(files);
  const violations: Violation[] = [];
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const layer = layerOf(file);
    const rank = LAYERS.indexOf(layer as (typeof LAYERS)[number]);
    if (layer !== APART && rank < 0) {
      violations.push({ file, message: `is in no layer (${layer ?? "top level"}): add its folder to LAYERS in test/util/layers.ts` });
    }
    const info = ts.preProcessFile(readFileSync(join(root, file), "utf8"), true, true);
    const targets: string[] = [];
    for (const ref of info.importedFiles) {
      const spec = ref.fileName;
      if (spec === "koffi" && layer !== "sys") violations.push({ file, message: `imports koffi: only src/sys/ touches libc` });
      if (!spec.startsWith(".")) continue;
      const target = normalize(join(dirname(file), spec)).replace(/\.js$/, ".ts");
      if (!known.has(target)) continue;
      targets.push(target);
      const to = layerOf(target);
      if ((layer === APART) !== (to === APART)) {
        violations.push({ file, message: `imports ${target}: ${APART} stands apart from the runtime's layers` });
        continue;
      }
      if (layer === APART) continue;
      const toRank = LAYERS.indexOf(to as (typeof LAYERS)[number]);
      if (toRank > rank) violations.push({ file, message: `imports ${target}: ${layer} may not import ${to} (a layer above it)` });
    }
    edges.set(file, targets);
  }
  for (const cycle of circles(files, edges)) {
    violations.push({ file: cycle[0]!, message: `is in an import circle with ${cycle.slice(1).join(", ")}` });
  }
  return violations;
}

/** The strongly connected components of more than one file (Tarjan), each as its files, sorted. */
function circles(files: string[], edges: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return out;
}

/** Formats violations one per line, paths relative to the repository. */
export function formatViolations(root: string, violations: Violation[]): string {
  const base = relative(process.cwd(), root) || ".";
  return violations.map((v) => `${join(base, v.file)}: ${v.message}`).join("\n");
}
