/**
 * Runs a Node program in a child process with a time limit and returns what it printed: for
 * behaviour that only shows at process level (stderr reports, exit codes, the process exiting by
 * itself).
 */
import { spawn } from "node:child_process";

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Options of {@link runNode}. */
export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** A shell command run before node in the same shell, e.g. `ulimit -n 64`. */
  shell?: string;
}

/** Runs `node ...args` from the repo root (through bash when `shell` is given). */
export function runNode(args: string[], options: RunOptions = {}): Promise<ChildResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const cwd = options.cwd ?? new URL("../../../", import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const env = { ...process.env, ...options.env };
    const child =
      options.shell === undefined
        ? spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
        : spawn("bash", ["-c", `${options.shell} && exec "$0" "$@"`, process.execPath, ...args], {
            cwd,
            env,
            stdio: ["ignore", "pipe", "pipe"],
          });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    // A read error on the child's output ends that stream, and the child's exit still comes: it
    // is said in stderr, where the test's assertions show it, rather than thrown as an uncaught
    // 'error' that fails the test whatever the child did.
    const streamError = (which: string) => (e: Error) => (stderr += `\n[runNode: reading the child's ${which}: ${e.message}]\n`);
    child.stdout.on("error", streamError("stdout"));
    child.stderr.on("error", streamError("stderr"));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0, timedOut });
    });
  });
}

/** Runs an ES module source text in a child Node process (imports of "reactor-executor" resolve to the build). */
export function runModule(source: string, options: RunOptions = {}): Promise<ChildResult> {
  return runNode(["--input-type=module", "-e", source], options);
}
