#!/usr/bin/env node
/**
 * `npm start`: the book's chapter 8 demo, end to end, with nothing to set up. It starts our delay
 * server on a free port, runs `examples/c-reactor-executor` against it (five requests of 0..4 s,
 * spawned on one executor that parks between responses while the reactor thread waits on epoll),
 * prints its output as it arrives with the time since the start, then the total — about 4 s,
 * not the 10 s the delays add up to — and stops the server.
 *
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

const SERVER = new URL("./delayserver.js", import.meta.url).pathname;
const EXAMPLE = new URL("../../examples/c-reactor-executor.js", import.meta.url).pathname;

function startServer(): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [SERVER, "127.0.0.1", "--port", "0", "--quiet"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the delay server did not start within 10 s")), 10_000);
    child.once("exit", (code) => reject(new Error(`the delay server exited early (code ${code})`)));
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const m = /^Listening on http:\/\/(\S+)$/.exec(line);
      if (m === null) return;
      clearTimeout(timer);
      lines.close();
      child.stdout.resume();
      resolve({ child, address: m[1]! });
    });
  });
}

function stamp(t0: number): string {
  return `[${((performance.now() - t0) / 1000).toFixed(3).padStart(6)} s]`;
}

async function main(): Promise<number> {
  const { child: server, address } = await startServer();
  process.stdout.write(`Delay server listening on ${address} (our own, built on this runtime).\n`);
  process.stdout.write(`Running examples/c-reactor-executor: 5 requests /{i*1000}/HelloWorld{i}, spawned on one executor.\n\n`);
  const t0 = performance.now();
  const example = spawn(process.execPath, [EXAMPLE], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, DELAY_SERVER: address },
  });
  const arrived: string[] = [];
  createInterface({ input: example.stdout }).on("line", (line) => {
    if (/^HelloWorld\d$/.test(line)) arrived.push(`${line} after ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    process.stdout.write(`${stamp(t0)} ${line}\n`);
  });
  const code = await new Promise<number | null>((resolve) => example.once("close", resolve));
  const total = (performance.now() - t0) / 1000;
  server.kill("SIGINT");
  await new Promise((resolve) => server.once("exit", resolve));
  process.stdout.write(`\nResponses in the order they arrived:\n${arrived.map((a) => `  ${a}`).join("\n")}\n`);
  process.stdout.write(`Total: ${total.toFixed(2)} s for delays that add up to 10 s: the requests ran concurrently on one thread.\n`);
  return code ?? 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
