/**
 * Starts the test HTTP server (`test-server-child`) in a child process and resolves to its port.
 * Call `stop()` when done (the child also exits when this process does: its stdin closes).
 */
import { spawn } from "node:child_process";

export interface TestServer {
  port: number;
  address: string;
  stop(): Promise<void>;
}

export function startTestServer(): Promise<TestServer> {
  const child = spawn(process.execPath, [new URL("./test-server-child.js", import.meta.url).pathname], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.once("error", reject);
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (!out.includes("\n")) return;
      const port = Number(out.trim());
      resolve({
        port,
        address: `127.0.0.1:${port}`,
        stop: () =>
          new Promise<void>((done) => {
            child.once("exit", () => done());
            child.stdin.end();
          }),
      });
    });
  });
}
