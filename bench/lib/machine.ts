/**
 * What the machine is (printed with every table and saved with every result), and the one system
 * setting the HTTP workloads depend on: the listen backlog. 10,000 simultaneous connects (W2d)
 * against an accept queue of 4,096 drop SYNs, and each dropped SYN costs a 1 s retransmit, which
 * would swamp the overhead being measured. As root the harness raises `net.core.somaxconn` and
 * `net.ipv4.tcp_max_syn_backlog` to 65535 (the same as `sysctl -w`; the change lasts until reboot,
 * in this network namespace) and says so; otherwise it warns.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { raisedFdLimit, taskset } from "./proc.js";

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memGiB: number;
  kernel: string;
  node: string;
  taskset: boolean;
  pinned: boolean;
  fdLimit: number;
  somaxconn: number | null;
  tcpMaxSynBacklog: number | null;
  wrk: string | null;
  /** 1-minute load average when the run started: above ~0.5 on 2 cores, wall times are noisy. */
  loadAvg1: number;
}

function readNumber(path: string): number | null {
  try {
    return Number(readFileSync(path, "utf8").trim());
  } catch {
    return null;
  }
}

export function wrkVersion(): string | null {
  const r = spawnSync("wrk", ["--version"], { encoding: "utf8" });
  if (r.error) return null;
  const first = `${r.stdout}${r.stderr}`.split("\n")[0]!.trim();
  return first.replace(/ Copyright.*$/, "") || "wrk";
}

export function describeMachine(pin: boolean): Machine {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    taskset: taskset() !== null,
    pinned: pin,
    fdLimit: raisedFdLimit(),
    somaxconn: readNumber("/proc/sys/net/core/somaxconn"),
    tcpMaxSynBacklog: readNumber("/proc/sys/net/ipv4/tcp_max_syn_backlog"),
    wrk: wrkVersion(),
    loadAvg1: os.loadavg()[0]!,
  };
}

export function machineLine(m: Machine): string {
  return (
    `${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, ${m.kernel}, Node ${m.node}; ` +
    `${m.pinned ? "server on core 0, client on core 1 (taskset)" : "not pinned"}; fd limit ${m.fdLimit}; ` +
    `somaxconn ${m.somaxconn ?? "?"}, tcp_max_syn_backlog ${m.tcpMaxSynBacklog ?? "?"}; load average ${m.loadAvg1.toFixed(2)} at start`
  );
}

const BACKLOG = 65535;
const KNOBS: ReadonlyArray<readonly [string, string]> = [
  ["net.core.somaxconn", "/proc/sys/net/core/somaxconn"],
  ["net.ipv4.tcp_max_syn_backlog", "/proc/sys/net/ipv4/tcp_max_syn_backlog"],
];

/** Raises the listen backlog limits when low (root only); returns what was done or what is wrong. */
export function tuneBacklog(): string[] {
  const notes: string[] = [];
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  for (const [name, path] of KNOBS) {
    const v = readNumber(path);
    if (v === null) {
      notes.push(`${name}: cannot read ${path}; 10,000 simultaneous connects may drop SYNs`);
      continue;
    }
    if (v >= BACKLOG) continue;
    if (root) {
      try {
        writeFileSync(path, `${BACKLOG}\n`);
        notes.push(`raised ${name} from ${v} to ${BACKLOG} (as sysctl -w ${name}=${BACKLOG}; lasts until reboot)`);
        continue;
      } catch (e) {
        notes.push(`${name} is ${v} and could not be raised (${(e as Error).message})`);
        continue;
      }
    }
    notes.push(
      `WARNING ${name} is ${v}: W2d's 10,000 simultaneous connects may drop SYNs (1 s retransmits); run as root or: sysctl -w ${name}=${BACKLOG}`,
    );
  }
  return notes;
}
