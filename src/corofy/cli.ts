#!/usr/bin/env node
/**
 * The `corofy` command: `corofy <src> [dest]` rewrites the `coroutine function`s of `src` into state
 * machines and writes the result to `dest` (default: `<name>_corofied.ts` next to the source).
 * Input it cannot rewrite is reported on stderr as `file:line:col: reason`, with exit code 1;
 * wrong usage exits with 2.
 *
 * @module
 */
import { CorofyError, corofyFile } from "./transform.js";

const USAGE =
  "usage: corofy <src> [dest]\n  rewrites `coroutine function` / `wait` source into state machines (default dest: <name>_corofied.ts next to src)";

function main(args: string[]): number {
  if (args[0] === "-h" || args[0] === "--help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.length < 1 || args.length > 2 || args.some((a) => a.startsWith("-"))) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const dest = corofyFile(args[0]!, args[1]);
    process.stdout.write(`corofy: wrote ${dest}\n`);
    return 0;
  } catch (e) {
    if (e instanceof CorofyError) {
      process.stderr.write(`corofy: ${e.message}\n`);
      return 1;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") {
      process.stderr.write(`corofy: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
