/**
 * Starts the `node:http`/`node:https` test servers (`node-http-child`) in a child process and
 * resolves to their ports by name. Call `stop()` when done (the child also exits when this
 * process does: its stdin closes).
 *
 * @module
 */
import { spawn } from "node:child_process";
import type { NodeServerSpec } from "./node-http-child.js";

export type { NodeServerSpec } from "./node-http-child.js";

export interface NodeServers {
  /** Port by server name. */
  port(name: string): number;
  /** `http://127.0.0.1:port` or `https://localhost:port` by server name (https certificates name localhost). */
  url(name: string): string;
  stop(): Promise<void>;
}

export function startNodeServers(specs: NodeServerSpec[]): Promise<NodeServers> {
  const child = spawn(process.execPath, [new URL("./node-http-child.js", import.meta.url).pathname, JSON.stringify(specs)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the node:http test servers exited early (code ${code})`)));
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (!out.includes("\n")) return;
      const ports = JSON.parse(out) as Record<string, number>;
      const port = (name: string): number => {
        const p = ports[name];
        if (p === undefined) throw new Error(`no node:http test server named ${name}`);
        return p;
      };
      resolve({
        port,
        url: (name) => {
          const spec = specs.find((s) => s.name === name)!;
          return spec.kind === "https" ? `https://localhost:${port(name)}` : `http://127.0.0.1:${port(name)}`;
        },
        stop: () =>
          new Promise<void>((done) => {
            child.removeAllListeners("exit");
            child.once("exit", () => done());
            child.stdin.end();
          }),
      });
    });
  });
}
