/**
 * The benchmark harness: `npm run bench -- [W1 W2 ...] [--rounds N] [--quick] [options]`
 * (`node dist/bench/run.js ...`). See bench/README.md.
 *
 * Each contender runs in its own process (clients on core 1, servers on core 0 when `taskset`
 * exists), interleaved A B C, A B C, ... for several rounds; the table shows medians and the
 * ratios ours/alternative; raw runs go to bench/results/<date>-<workload>.json. Progress lines go
 * to stderr, tables to stdout. A failed run (a wrong body, a crash, a timeout) is printed loudly,
 * marked in the table and makes the exit code 1.
 *
 * @module
 */
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describeMachine, machineLine, tuneBacklog, type Machine } from "./lib/machine.js";
import { killAll, taskset } from "./lib/proc.js";
import { oursServerBuilt, ROOT, serverLabel, startServer, type ServerKind } from "./lib/server.js";
import { median } from "./lib/stats.js";
import { fmt, fmtRatio, table } from "./lib/table.js";
import { WORKLOADS, type Contender, type Ctx, type Metrics, type Options, type Workload } from "./workloads.js";

const HELP = `usage: node dist/bench/run.js [W1 W2 W2k W2s W2d W3 W4 W5 W6 W7 W8 W9 ...] [options]

  (no workload)      all of them, in that order
  --rounds N         rounds per workload (default 5; 2 with --quick)
  --quick            fewer rounds (2) and 5 s wrk runs instead of 10 s
  --server ours|node the delay server W1/W2/W2k/W2d/W6 target (default: ours when
                     dist/src/bin/delayserver.js is built, else node)
  --only a,b         only these contenders (e.g. --only ours-inline,net)
  --effect-dir DIR   where to find the effect package when it is not in node_modules
                     (a project dir or node_modules/effect itself)
  --wrk-seconds S    wrk duration for W7 (default 10, 5 with --quick)
  --no-pin           do not pin processes to cores with taskset
  --baseline DIR     another build of this repository (a checkout with dist/ built):
                     each of our contenders also runs from it, as old:<name>, in the
                     same interleaved rounds (W2, W3, W7 before/after a change)
  --help             this text
`;

interface RunRecord {
  contender: string;
  round: number;
  ok: boolean;
  metrics: Metrics | null;
  error: string | null;
  elapsedMs: number;
  /** 1-minute load average when the run started (other work on the machine skews wall times). */
  loadAvg1: number;
}

interface WorkloadResult {
  workload: Workload;
  skipped: string | null;
  notes: string[];
  contenders: { name: string; ours: boolean; skipped: string | null }[];
  runs: RunRecord[];
  medians: Record<string, Metrics>;
  okRuns: Record<string, number>;
  ratios: Record<string, Record<string, Record<string, number>>>;
  targets: { text: string; value: number; met: boolean | null }[];
  table: string;
}

/** Checks that `dir` holds a built copy of this repository; returns it as an absolute path ending in `/`. */
function baselineRoot(dir: string): string {
  const root = path.resolve(dir) + "/";
  for (const f of ["dist/bench/http-fanout.js", "dist/src/bin/delayserver.js"]) {
    if (!existsSync(root + f))
      throw new Error(`--baseline ${dir}: ${f} is missing (clone the old commit there and run npm ci, which builds it)`);
  }
  return root;
}

function parseCli(argv: string[]): { ids: string[]; opts: Options; only: Set<string> | null } {
  const ids: string[] = [];
  let rounds: number | null = null;
  let quick = false;
  let pin = true;
  let server: ServerKind | null = null;
  let only: Set<string> | null = null;
  let effectDir: string | null = null;
  let wrkSeconds: number | null = null;
  let baseline: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--help" || a === "-h") {
      process.stdout.write(HELP);
      process.exit(0);
    } else if (a === "--rounds") rounds = Number(value());
    else if (a === "--quick") quick = true;
    else if (a === "--no-pin") pin = false;
    else if (a === "--server") {
      const v = value();
      if (v !== "ours" && v !== "node") throw new Error(`--server must be ours or node, got ${v}`);
      server = v;
    } else if (a === "--only") only = new Set(value().split(","));
    else if (a === "--effect-dir") effectDir = value();
    else if (a === "--wrk-seconds") wrkSeconds = Number(value());
    else if (a === "--baseline") baseline = baselineRoot(value());
    else if (/^w\d+[dks]?$/i.test(a)) ids.push(a.toUpperCase().replace(/[DKS]$/, (x) => x.toLowerCase()));
    else throw new Error(`unknown argument ${a}\n\n${HELP}`);
  }
  for (const id of ids)
    if (!WORKLOADS.some((w) => w.id === id)) throw new Error(`unknown workload ${id}; known: ${WORKLOADS.map((w) => w.id).join(" ")}`);
  if (rounds !== null && !(Number.isInteger(rounds) && rounds >= 1)) throw new Error("--rounds must be a whole number >= 1");
  const effect = resolveEffect(effectDir);
  return {
    ids,
    only,
    opts: {
      rounds: rounds ?? (quick ? 2 : 5),
      quick,
      pin: pin && taskset() !== null,
      server: server ?? (oursServerBuilt() ? "ours" : "node"),
      wrkSeconds: wrkSeconds ?? (quick ? 5 : 10),
      effectUrl: effect?.url ?? null,
      baseline,
      effectVersion: effect?.version ?? null,
    },
  };
}

/** Finds effect (the project's node_modules, or --effect-dir) and its version, without loading it. */
function resolveEffect(dir: string | null): { url: string; version: string } | null {
  const base = dir === null ? ROOT : path.resolve(dir) + path.sep;
  try {
    const file = createRequire(path.join(base, "noop.js")).resolve("effect");
    let d = path.dirname(file);
    while (d !== path.dirname(d)) {
      const pj = path.join(d, "package.json");
      if (existsSync(pj)) {
        const p = JSON.parse(readFileSync(pj, "utf8")) as { name?: string; version?: string };
        if (p.name === "effect") return { url: pathToFileURL(file).href, version: p.version ?? "?" };
      }
      d = path.dirname(d);
    }
    return { url: pathToFileURL(file).href, version: "?" };
  } catch {
    return null;
  }
}

const log = (s: string): void => void process.stderr.write(s + "\n");
const out = (s: string): void => void process.stdout.write(s + "\n");

function runLine(w: Workload, m: Metrics): string {
  return (
    w.metrics.map((x) => `${x.label} ${fmt(m[x.key])}`).join(", ") + (m["hungAtExit"] ? "  [did not exit after reporting: killed]" : "")
  );
}

function loud(title: string, body: string): void {
  const bar = "!".repeat(78);
  log(
    `\n${bar}\n!! ${title}\n${body
      .split("\n")
      .map((l) => `!!   ${l}`)
      .join("\n")}\n${bar}\n`,
  );
}

async function runWorkload(w: Workload, opts: Options, only: Set<string> | null, notes: string[]): Promise<WorkloadResult> {
  const res: WorkloadResult = {
    workload: w,
    skipped: null,
    notes: [...notes],
    contenders: [],
    runs: [],
    medians: {},
    okRuns: {},
    ratios: {},
    targets: [],
    table: "",
  };
  const ctx: Ctx = { opts, server: null, env: { ...process.env, ...(opts.effectUrl ? { BENCH_EFFECT_URL: opts.effectUrl } : {}) } };
  log(`\n=== ${w.id} ${w.title}`);
  const skip = w.skip?.(ctx) ?? null;
  if (skip !== null) {
    res.skipped = skip;
    log(`${w.id}: skipped: ${skip}`);
    return res;
  }
  const active: Contender[] = [];
  const base = opts.baseline;
  const contenders =
    base === null
      ? w.contenders
      : w.contenders.flatMap((c) => (c.ours && c.fromBuild !== undefined ? [c, c.fromBuild(base, `old:${c.name}`)] : [c]));
  for (const c of contenders) {
    let why = only !== null && !only.has(c.name) ? "not in --only" : null;
    why ??= c.skip?.(ctx) ?? null;
    res.contenders.push({ name: c.name, ours: c.ours, skipped: why });
    if (why === null) active.push(c);
    else {
      log(`${w.id}: skip ${c.name}: ${why}`);
      if (why !== "not in --only") res.notes.push(`${c.name} skipped: ${why}`);
    }
  }
  if (w.usesServer) {
    try {
      ctx.server = await startServer(opts.server, opts.pin);
    } catch (e) {
      res.skipped = `the ${opts.server} delay server did not start: ${(e as Error).message}`;
      loud(`${w.id}: cannot start the delay server`, (e as Error).message);
      return res;
    }
    res.notes.push(`target server: ${ctx.server.label}`);
    log(`${w.id}: target server ${ctx.server.label} on port ${ctx.server.port}`);
  }
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      for (const c of active) {
        if (ctx.server !== null && !ctx.server.alive()) {
          const msg = `${w.id}: the delay server died before round ${round} ${c.name}; restarting it`;
          loud(msg, "");
          res.notes.push(msg);
          ctx.server = await startServer(opts.server, opts.pin);
        }
        const t0 = performance.now();
        const loadAvg1 = os.loadavg()[0]!;
        const tag = `[${w.id} ${round}/${opts.rounds}] ${c.name.padEnd(16)}`;
        try {
          const m = await c.run(ctx);
          res.runs.push({ contender: c.name, round, ok: true, metrics: m, error: null, elapsedMs: performance.now() - t0, loadAvg1 });
          log(`${tag} ${runLine(w, m)}  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
          if (m["hungAtExit"]) res.notes.push(`${c.name} round ${round}: reported its result but did not exit within 15 s (killed)`);
        } catch (e) {
          const msg = (e as Error).message;
          res.runs.push({ contender: c.name, round, ok: false, metrics: null, error: msg, elapsedMs: performance.now() - t0, loadAvg1 });
          log(`${tag} FAILED`);
          loud(`${w.id} ${c.name} round ${round} FAILED`, msg);
        }
        // Let the server finish closing the last connections before the next contender starts.
        if (ctx.server !== null) await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await ctx.server?.stop();
  }
  summarise(res, active);
  return res;
}

function summarise(res: WorkloadResult, active: Contender[]): void {
  const w = res.workload;
  for (const c of active) {
    const ok = res.runs.filter((r) => r.contender === c.name && r.ok).map((r) => r.metrics!);
    res.okRuns[c.name] = ok.length;
    const med: Metrics = {};
    for (const m of w.metrics) med[m.key] = median(ok.map((x) => x[m.key]!).filter((v) => typeof v === "number"));
    const prim = ok.map((x) => x[w.primary]!).filter((v) => typeof v === "number");
    med["spreadPct"] = prim.length > 1 ? ((Math.max(...prim) - Math.min(...prim)) / Math.abs(median(prim))) * 100 : NaN;
    res.medians[c.name] = med;
  }
  const ours = active.filter((c) => c.ours).map((c) => c.name);
  const alts = active.filter((c) => !c.ours).map((c) => c.name);
  for (const o of ours) {
    res.ratios[o] = {};
    for (const m of w.metrics.filter((x) => x.ratio)) {
      res.ratios[o][m.key] = {};
      for (const a of alts) res.ratios[o][m.key]![a] = res.medians[o]![m.key]! / res.medians[a]![m.key]!;
    }
  }
  for (const t of w.targets) {
    const label = w.metrics.find((m) => m.key === t.metric)?.label ?? t.metric;
    for (const o of ours) {
      const v = t.vs === null ? res.medians[o]?.[t.metric] : res.ratios[o]?.[t.metric]?.[t.vs];
      const known = v !== undefined && Number.isFinite(v);
      const met = known ? (t.op === "<=" ? v <= t.value : v >= t.value) : null;
      const what = t.vs === null ? `${o} ${label}` : `${o}/${t.vs} ${label}`;
      res.targets.push({ text: `${what} ${t.op} ${t.value}`, value: v ?? NaN, met });
    }
  }
  res.table = render(res, ours, alts);
}

function render(res: WorkloadResult, ours: string[], alts: string[]): string {
  const w = res.workload;
  const lines: string[] = [];
  const rounds = Math.max(0, ...Object.values(res.okRuns), ...res.runs.map((r) => r.round));
  lines.push(`${w.id} ${w.title}`);
  for (const n of res.notes) lines.push(`  ${n}`);
  const primLabel = w.metrics.find((m) => m.key === w.primary)!.label;
  const header = ["contender", ...w.metrics.map((m) => m.label), `spread ${primLabel.split(" ")[0]}`, "runs ok"];
  const rows: string[][] = [];
  for (const name of [...ours, ...alts]) {
    const med = res.medians[name]!;
    const okN = res.okRuns[name] ?? 0;
    const total = res.runs.filter((r) => r.contender === name).length;
    rows.push([
      name,
      ...w.metrics.map((m) => fmt(med[m.key])),
      Number.isNaN(med["spreadPct"]!) ? "-" : `${med["spreadPct"]!.toFixed(0)}%`,
      `${okN}/${total}${okN < total ? " FAIL" : ""}`,
    ]);
  }
  lines.push(table(header, rows));
  if (ours.length > 0 && alts.length > 0) {
    lines.push("");
    lines.push(
      `ratio ours/alternative (medians of ${rounds} rounds; ${w.metrics.some((m) => m.better === "higher") ? "req/s: above 1 is better; the rest" : "all"}: below 1 is better)`,
    );
    const rrows: string[][] = [];
    for (const o of ours)
      for (const m of w.metrics.filter((x) => x.ratio))
        rrows.push([`${o} ${m.label}`, ...alts.map((a) => fmtRatio(res.ratios[o]?.[m.key]?.[a]))]);
    lines.push(table(["", ...alts.map((a) => `vs ${a}`)], rrows));
  }
  if (res.targets.length > 0) {
    lines.push("");
    lines.push("targets (issue 7):");
    for (const t of res.targets)
      lines.push(`  ${t.text.padEnd(44)} ${fmtTarget(t.value).padStart(7)}  ${t.met === null ? "n/a" : t.met ? "met" : "MISSED"}`);
  }
  return lines.join("\n");
}

/** Ratios with 3 decimals (so 1.996 does not print as a met "2.00"), absolute values as usual. */
function fmtTarget(v: number): string {
  if (!Number.isFinite(v)) return "-";
  return Math.abs(v) < 10 ? v.toFixed(3) : fmt(v);
}

function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/:/g, "-")
    .replace(/\.\d+Z$/, "Z");
}

function save(res: WorkloadResult, machine: Machine, opts: Options, when: Date): string {
  const dir = `${ROOT}bench/results`;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/${stamp(when)}-${res.workload.id}.json`;
  const w = res.workload;
  writeFileSync(
    file,
    JSON.stringify(
      {
        workload: w.id,
        title: w.title,
        command: `node dist/bench/run.js ${process.argv.slice(2).join(" ")}`.trim(),
        machine,
        options: {
          rounds: opts.rounds,
          quick: opts.quick,
          pinned: opts.pin,
          server: opts.server,
          wrkSeconds: opts.wrkSeconds,
          effect: opts.effectVersion,
        },
        skipped: res.skipped,
        notes: res.notes,
        contenders: res.contenders,
        metrics: w.metrics,
        medians: res.medians,
        ratios: res.ratios,
        targets: res.targets,
        runs: res.runs,
      },
      null,
      2,
    ) + "\n",
  );
  return path.relative(ROOT, file);
}

async function main(): Promise<void> {
  const { ids, opts, only } = parseCli(process.argv.slice(2));
  const selected = ids.length === 0 ? WORKLOADS : WORKLOADS.filter((w) => ids.includes(w.id));
  const when = new Date();
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
  process.on("exit", killAll);

  const notes: string[] = [];
  const needsNet = selected.some((w) => w.usesServer || w.id === "W7");
  if (needsNet) for (const n of tuneBacklog()) notes.push(n);
  const machine = describeMachine(opts.pin);
  const effectNote = opts.effectVersion ? `effect ${opts.effectVersion}` : "effect not installed (its contenders are skipped)";
  log(`bench: ${selected.map((w) => w.id).join(" ")}, ${opts.rounds} rounds${opts.quick ? " (--quick)" : ""}`);
  log(`machine: ${machineLine(machine)}`);
  log(`${effectNote}; wrk: ${machine.wrk ?? "not installed (apt-get install wrk)"}`);
  if (selected.some((w) => w.usesServer))
    log(`delay server for W1/W2/W2d/W6: ${serverLabel(opts.server)}${!oursServerBuilt() ? " (ours is not built yet)" : ""}`);
  for (const n of notes) log(n);
  if (machine.loadAvg1 > 0.5 * machine.cores)
    log(
      `WARNING: load average ${machine.loadAvg1.toFixed(2)} on ${machine.cores} cores: something else is running; wall times will be noisy (CPU columns are steadier)`,
    );
  if (!opts.pin) log(taskset() === null ? "taskset not found (util-linux): processes are not pinned" : "not pinned (--no-pin)");
  if (selected.some((w) => w.id === "W2d") && machine.fdLimit < 10_100)
    log(`WARNING: fd limit ${machine.fdLimit} < 10,100: W2d cannot hold 10,000 connections`);

  const results: WorkloadResult[] = [];
  for (const w of selected) {
    const res = await runWorkload(w, opts, only, w.usesServer || w.id === "W7" ? notes.filter((n) => !n.startsWith("raised")) : []);
    results.push(res);
    const file = save(res, machine, opts, when);
    if (res.skipped === null) {
      out(`\n${res.table}`);
      log(`${w.id}: raw runs in ${file}`);
    }
  }

  // Everything again in one place.
  const failed = results.flatMap((r) =>
    r.runs.filter((x) => !x.ok).map((x) => `${r.workload.id} ${x.contender} round ${x.round}: ${x.error!.split("\n")[0]}`),
  );
  out(
    `\n${"=".repeat(78)}\nSUMMARY  ${when.toISOString().slice(0, 10)}  node dist/bench/run.js ${process.argv.slice(2).join(" ")}`.trimEnd(),
  );
  out(`machine: ${machineLine(machine)}`);
  out(`${effectNote}; rounds ${opts.rounds}; medians; CPU = user+sys of the measured part, all threads; RSS = peak of the process`);
  for (const n of notes) out(n);
  if (machine.loadAvg1 > 0.5 * machine.cores)
    out(
      `WARNING: load average ${machine.loadAvg1.toFixed(2)} on ${machine.cores} cores at start: other work was running; wall times and req/s are noisy, CPU columns steadier`,
    );
  for (const r of results) out(r.skipped !== null ? `\n${r.workload.id} ${r.workload.title}: skipped: ${r.skipped}` : `\n${r.table}`);
  const allTargets = results.flatMap((r) => r.targets.map((t) => ({ ...t, id: r.workload.id })));
  if (allTargets.length > 0 && results.length > 1) {
    out("\ntargets (issue 7):");
    for (const t of allTargets)
      out(
        `  ${t.id.padEnd(4)} ${t.text.padEnd(44)} ${fmtTarget(t.value).padStart(7)}  ${t.met === null ? "n/a" : t.met ? "met" : "MISSED"}`,
      );
  }
  if (failed.length > 0) {
    out(`\nFAILED RUNS (${failed.length}):`);
    for (const f of failed) out(`  ${f}`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  log(`bench: ${(e as Error).message}`);
  killAll();
  process.exit(2);
});
