/**
 * Starts the TLS test servers (`tls-server-child`) in a child process and resolves to their ports
 * by name. Call `stop()` when done (the child also exits when this process does: its stdin closes).
 *
 * @module
 */
import { spawn } from "node:child_process";
import type { ServerSpec } from "./tls-server-child.js";

export type { ServerSpec } from "./tls-server-child.js";

export interface TlsServers {
  /** Port by server name. */
  port(name: string): number;
  stop(): Promise<void>;
}

export function startTlsServers(specs: ServerSpec[]): Promise<TlsServers> {
  const child = spawn(process.execPath, [new URL("./tls-server-child.js", import.meta.url).pathname, JSON.stringify(specs)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the TLS test servers exited early (code ${code})`)));
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (!out.includes("\n")) return;
      const ports = JSON.parse(out) as Record<string, number>;
      resolve({
        port: (name) => {
          const p = ports[name];
          if (p === undefined) throw new Error(`no TLS test server named ${name}`);
          return p;
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
