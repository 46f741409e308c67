/**
 * One copy of the runtime per thread. The current executor, the wake hub and the reactor are
 * module state, so a second copy of the runtime in the same thread (the package's bundle next to
 * its unbundled `dist/src` modules, or two installed versions) has its own: a task spawned through
 * one finds no executor in the other, and a waker exported by one is woken through a hub the other
 * never attached. That fails far from its cause, so the second copy refuses to load, naming both.
 *
 * @module
 */
import { RuntimeError } from "../errors.js";

const LOADED_FROM = Symbol.for("reactor-executor.loaded-from");
const registry = globalThis as { [LOADED_FROM]?: string };
const first = registry[LOADED_FROM];
if (first !== undefined && first !== import.meta.url) {
  throw new RuntimeError(
    `reactor-executor is loaded twice in this thread (${first} and ${import.meta.url}); ` +
      `import it from one place only (the package name, "reactor-executor")`,
  );
}
registry[LOADED_FROM] = import.meta.url;
