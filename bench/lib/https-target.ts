/**
 * W2s's target: the `node:https` delay server (`contenders/node-delay-server.js` with
 * `--tls-key`/`--tls-cert`) on core 0, with a certificate for `localhost` signed by a throwaway
 * CA, both made once per harness run with the `openssl` command line.
 *
 * @module
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killGroup, spawnPlaced } from "./proc.js";
import { freePort, NODE_SERVER } from "./server.js";

/** The CA and the server's key and certificate, as files. */
export interface TestPki {
  dir: string;
  caFile: string;
  keyFile: string;
  certFile: string;
}

let pki: TestPki | null = null;

/** Why W2s cannot run here, or null. */
export function httpsTargetSkip(): string | null {
  return spawnSync("openssl", ["version"]).error ? "the openssl command line is not installed (it makes the test certificates)" : null;
}

/** Makes (once) a CA and a `localhost` certificate signed by it. */
export function testPki(): TestPki {
  if (pki !== null) return pki;
  const dir = mkdtempSync(join(tmpdir(), "bench-tls-"));
  const run = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  };
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  run(
    "req",
    "-x509",
    ...newKey,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "30",
    "-subj",
    "/CN=bench CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  );
  writeFileSync(
    join(dir, "leaf.ext"),
    "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
  );
  run("req", ...newKey, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost");
  run(
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "leaf.pem",
    "-days",
    "30",
    "-extfile",
    "leaf.ext",
  );
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  pki = { dir, caFile: join(dir, "ca.pem"), keyFile: join(dir, "leaf.key"), certFile: join(dir, "leaf.pem") };
  return pki;
}

/** A running https target. */
export interface HttpsTarget {
  port: number;
  caFile: string;
  stop(): Promise<void>;
}

/** Starts the https delay server on a free port (core 0 when pinning) and waits until it listens. */
export async function startHttpsTarget(pin: boolean): Promise<HttpsTarget> {
  const { caFile, keyFile, certFile } = testPki();
  const port = await freePort();
  const argv = [
    process.execPath,
    NODE_SERVER,
    "127.0.0.1",
    "--port",
    String(port),
    "--quiet",
    "--tls-key",
    keyFile,
    "--tls-cert",
    certFile,
  ];
  const child = spawnPlaced(argv, { core: pin ? 0 : null, raiseFd: true }, process.env);
  child.stdout!.resume();
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-5000)));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const deadline = performance.now() + 15_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || performance.now() > deadline) {
      killGroup(child);
      throw new Error(`the https target did not listen on ${port}: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    caFile,
    stop: async () => {
      if (child.exitCode !== null) return;
      killGroup(child, "SIGTERM");
      await exited;
    },
  };
}
