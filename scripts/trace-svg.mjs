// Renders a trace written by the runtime (`init({ trace })`, `REACTOR_EXECUTOR_TRACE`) as an SVG
// picture, without a browser: one lane per thread in the trace's order, the executor lanes opened
// up into one row per task. A task's row is a line from its first poll to its last (alive,
// mostly pending) with a mark at each poll; the executor's parks and the reactor's waits in
// epoll_wait are light bars; an arrow goes from each wake (a reactor event, another thread) to the
// poll it caused.
//
//   node scripts/trace-svg.mjs trace.json out.svg [--title "..."] [--zoom-ms 20]
//
// `--zoom-ms` adds a second panel with the run's first milliseconds, close up.
//
// It reads a file by the JSON Array format's rule (the closing ] is optional, and the last line
// of a killed process's file may be cut short). Exported: `parseTrace(text)`,
// `renderTrace(events, { title, zoomMs })`.
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const WIDTH = 960;
const LEFT = 150;
const RIGHT = 24;
const ROW = 18;
const LANE_GAP = 14;
/** Executors with more tasks than this are drawn as one row. */
const MAX_TASK_ROWS = 12;
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

/** Parses trace text, strictly or by the optional-] rule. */
export function parseTrace(text) {
  const trimmed = text.trimEnd();
  if (trimmed.endsWith("]")) return JSON.parse(trimmed);
  const lines = trimmed.split("\n");
  try {
    return JSON.parse(lines.join("\n") + "\n]");
  } catch {
    lines.pop();
    return JSON.parse(lines.join("\n") + "\n]");
  }
}

function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function fmt(n) {
  return Number(n.toFixed(1)).toString();
}

/** A tick step (ms) giving 4 to 10 ticks over `span` ms. */
function tickStep(span) {
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 30000, 60000];
  return steps.find((s) => span / s <= 10) ?? 60000;
}

/** The lanes, the window of the executors' runs (or of everything) and the data a panel draws. */
function layout(events) {
  const names = new Map();
  const order = new Map();
  for (const e of events) {
    if (e.ph === "M" && e.name === "thread_name") names.set(e.tid, e.args.name);
    if (e.ph === "M" && e.name === "thread_sort_index") order.set(e.tid, e.args.sort_index);
  }
  const timed = events.filter((e) => e.ph !== "M" && typeof e.ts === "number" && names.has(e.tid));
  const slices = timed.filter((e) => e.ph === "X");
  const runs = slices.filter((e) => e.cat === "executor");
  const span = (runs.length > 0 ? runs : timed).map((e) => [e.ts, e.ts + (e.dur ?? 0)]);
  const t0 = Math.min(...span.map((s) => s[0]));
  const t1 = Math.max(...span.map((s) => s[1]));
  // Lanes: threads in the trace's order; an executor thread gets a row per task.
  const tids = [...names.keys()].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  const rows = []; // { dy, label, kind, tid, task, color }
  let dy = 0;
  let tasks = 0;
  for (const tid of tids) {
    if (!slices.some((e) => e.tid === tid)) continue;
    rows.push({ dy, label: names.get(tid), kind: "thread", tid });
    dy += ROW;
    const polled = [...new Set(slices.filter((e) => e.tid === tid && e.cat === "poll").map((p) => p.name))];
    if (polled.length > 0 && polled.length <= MAX_TASK_ROWS) {
      for (const task of polled) {
        rows.push({ dy, label: task, kind: "task", tid, task, color: COLORS[tasks++ % COLORS.length] });
        dy += ROW;
      }
    }
    dy += LANE_GAP;
  }
  const flows = [];
  const starts = new Map(timed.filter((e) => e.ph === "s").map((e) => [e.id, e]));
  for (const f of timed.filter((e) => e.ph === "f")) {
    const s = starts.get(f.id);
    if (s !== undefined) flows.push({ s, f });
  }
  return { t0, t1, rows, height: dy, slices, flows };
}

/** One panel: the lanes over the window [a, b] (µs), its top at `top`; returns its SVG lines. */
function panel(l, a, b, top, caption) {
  const out = [];
  const scale = (WIDTH - LEFT - RIGHT) / Math.max(b - a, 1);
  const x = (ts) => LEFT + (Math.min(Math.max(ts, a), b) - a) * scale;
  const inside = (s, e) => e >= a && s <= b;
  const y0 = top + 40;
  const rowOf = (tid) => l.rows.find((r) => r.kind === "thread" && r.tid === tid);
  const taskRow = (tid, name) => l.rows.find((r) => r.kind === "task" && r.tid === tid && r.task === name);
  const yOf = (r) => y0 + r.dy;
  const bottom = y0 + l.height;
  out.push(`<text x="12" y="${top + 12}" font-weight="bold" fill="#333">${esc(caption)}</text>`);

  // Time axis, in ms from the window's start of the whole trace's run.
  const spanMs = (b - a) / 1000;
  const step = tickStep(spanMs);
  const first = Math.ceil((a - l.t0) / 1000 / step) * step;
  out.push(`<g stroke="#ddd">`);
  for (let t = first; l.t0 + t * 1000 <= b + 1e-6; t += step)
    out.push(`<line x1="${fmt(x(l.t0 + t * 1000))}" y1="${y0 - 8}" x2="${fmt(x(l.t0 + t * 1000))}" y2="${bottom}"/>`);
  out.push(`</g><g fill="#555" text-anchor="middle">`);
  for (let t = first; l.t0 + t * 1000 <= b + 1e-6; t += step) {
    const label = step >= 1000 ? `${Number((t / 1000).toFixed(3))} s` : `${Number(t.toFixed(3))} ms`;
    out.push(`<text x="${fmt(x(l.t0 + t * 1000))}" y="${y0 - 12}">${label}</text>`);
  }
  out.push(`</g>`);

  // Row labels and task lifelines (first poll to last).
  for (const r of l.rows) {
    const y = yOf(r);
    const bold = r.kind === "thread" ? ` font-weight="bold"` : "";
    out.push(`<text x="${r.kind === "thread" ? 12 : 24}" y="${y + 12}"${bold}>${esc(r.label)}</text>`);
    if (r.kind === "thread") out.push(`<line x1="${LEFT}" y1="${y + 9}" x2="${WIDTH - RIGHT}" y2="${y + 9}" stroke="#eee"/>`);
    if (r.kind === "task") {
      const polls = l.slices.filter((e) => e.tid === r.tid && e.cat === "poll" && e.name === r.task);
      const s = Math.min(...polls.map((p) => p.ts));
      const e = Math.max(...polls.map((p) => p.ts + p.dur));
      if (inside(s, e))
        out.push(
          `<line x1="${fmt(x(s))}" y1="${y + 9}" x2="${fmt(x(e))}" y2="${y + 9}" stroke="${r.color}" stroke-width="2" stroke-opacity="0.45"/>`,
        );
    }
  }

  // Waits: parks and epoll_wait, light bars on the thread's row.
  for (const s of l.slices) {
    if (!(s.cat === "park" || s.name === "epoll_wait") || !inside(s.ts, s.ts + s.dur)) continue;
    const r = rowOf(s.tid);
    if (r === undefined) continue;
    const w = Math.max(x(s.ts + s.dur) - x(s.ts), 0.5);
    const fill = s.cat === "park" ? "#cfe3f3" : "#e6e6e6";
    out.push(
      `<rect x="${fmt(x(s.ts))}" y="${yOf(r) + 3}" width="${fmt(w)}" height="12" fill="${fill}"><title>${esc(s.name)} ${fmt(s.dur / 1000)} ms</title></rect>`,
    );
  }

  // Work: polls on the thread's row and their task's row; the reactor handing out events.
  for (const s of l.slices) {
    const r = rowOf(s.tid);
    if (r === undefined || !inside(s.ts, s.ts + s.dur)) continue;
    const px = x(s.ts);
    const w = Math.max(x(s.ts + s.dur) - px, 2);
    if (s.cat === "poll") {
      const tr = taskRow(s.tid, s.name);
      const color = tr?.color ?? "#333";
      out.push(
        `<rect x="${fmt(px)}" y="${yOf(r) + 3}" width="${fmt(w)}" height="12" fill="${color}"><title>${esc(s.name)}: ${esc(s.args.result)}</title></rect>`,
      );
      if (tr !== undefined) {
        const done = s.args.result === "ready" || s.args.result === "threw";
        out.push(
          `<rect x="${fmt(px)}" y="${yOf(tr) + 4}" width="${fmt(Math.max(w, 3))}" height="10" fill="${done ? color : "#fff"}" stroke="${color}" stroke-width="1.5"/>`,
        );
      }
    } else if (s.cat === "reactor" && s.name !== "epoll_wait") {
      out.push(`<rect x="${fmt(px)}" y="${yOf(r) + 3}" width="${fmt(w)}" height="12" fill="#444"><title>${esc(s.name)}</title></rect>`);
    }
  }

  // Arrows: from a wake to the poll it caused, on the task's row when it has one.
  out.push(`<g fill="none" stroke="#555" stroke-width="1" stroke-opacity="0.8">`);
  for (const { s, f } of l.flows) {
    if (!inside(s.ts, f.ts)) continue;
    const from = rowOf(s.tid);
    const poll = l.slices.find((p) => p.tid === f.tid && p.cat === "poll" && p.ts <= f.ts && f.ts <= p.ts + p.dur);
    const to = (poll !== undefined ? taskRow(f.tid, poll.name) : undefined) ?? rowOf(f.tid);
    if (from === undefined || to === undefined) continue;
    const up = yOf(to) < yOf(from);
    const x1 = x(s.ts);
    const y1 = yOf(from) + (up ? 3 : 15);
    const x2 = x(poll?.ts ?? f.ts) + 1;
    const y2 = yOf(to) + (up ? 15 : 3);
    const bend = Math.max(12, Math.abs(y2 - y1) * 0.4);
    out.push(
      `<path d="M${fmt(x1)},${fmt(y1)} C${fmt(x1)},${fmt(up ? y1 - bend : y1 + bend)} ${fmt(x2)},${fmt(up ? y2 + bend : y2 - bend)} ${fmt(x2)},${fmt(y2)}" marker-end="url(#arrow)"/>`,
    );
  }
  out.push(`</g>`);
  return { out, bottom };
}

/**
 * The SVG text of the trace `events`. Options: `title`; `zoomMs`, the length of a second panel
 * showing the start of the run close up (0: none).
 */
export function renderTrace(events, options = {}) {
  const l = layout(events);
  const parts = [];
  let y = options.title ? 36 : 8;
  const whole = panel(l, l.t0, l.t1, y, "The whole run");
  parts.push(...whole.out);
  y = whole.bottom + 16;
  const zoom = options.zoomMs ?? 0;
  if (zoom > 0) {
    const close = panel(l, l.t0, Math.min(l.t0 + zoom * 1000, l.t1), y, `Its first ${zoom} ms, close up`);
    parts.push(...close.out);
    y = close.bottom + 16;
  }
  const height = y + 24;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
  ];
  if (options.title) out.push(`<text x="12" y="20" font-size="14" font-weight="bold">${esc(options.title)}</text>`);
  out.push(...parts);
  // Legend.
  const ly = y;
  out.push(`<g font-size="10" fill="#333">`);
  out.push(
    `<rect x="12" y="${ly}" width="12" height="10" fill="#1f77b4"/><text x="28" y="${ly + 9}">a task poll (on its row: hollow pending, filled ready)</text>`,
  );
  out.push(`<rect x="300" y="${ly}" width="12" height="10" fill="#cfe3f3"/><text x="316" y="${ly + 9}">executor parked</text>`);
  out.push(`<rect x="410" y="${ly}" width="12" height="10" fill="#e6e6e6"/><text x="426" y="${ly + 9}">reactor in epoll_wait</text>`);
  out.push(`<rect x="546" y="${ly}" width="12" height="10" fill="#444"/><text x="562" y="${ly + 9}">reactor hands out events</text>`);
  out.push(
    `<path d="M696,${ly + 5} L726,${ly + 5}" stroke="#555" marker-end="url(#arrow)"/><text x="732" y="${ly + 9}">a wake → the poll it caused</text>`,
  );
  out.push(`</g>`);
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  const option = (name) => {
    const at = args.indexOf(name);
    return at >= 0 ? args.splice(at, 2)[1] : undefined;
  };
  const title = option("--title");
  const zoomMs = Number(option("--zoom-ms") ?? 0);
  const [input, output] = args;
  if (input === undefined || output === undefined || !(zoomMs >= 0)) {
    console.error("usage: node scripts/trace-svg.mjs trace.json out.svg [--title TEXT] [--zoom-ms MS]");
    process.exit(2);
  }
  writeFileSync(output, renderTrace(parseTrace(readFileSync(input, "utf8")), { title, zoomMs }));
  console.log(`wrote ${output}`);
}
