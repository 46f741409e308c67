import fs from "node:fs"; globalThis.__fs = fs;
import { init, coroutine, wait, spawn, Http } from "reactor-executor";
const mode = process.argv[2];
const mu = (l) => { const m = process.memoryUsage(); console.log(l, Object.entries(m).map(([k, v]) => `${k}=${(v / 1048576).toFixed(1)}`).join(" ")); };
mu("start");
const ex = init(mode === "inline" ? { reactor: "inline" } : {});
mu("init");
const n = +(process.argv[3] ?? 10000), conc = 1000;
let next = 0;
ex.blockOn(coroutine(function* () {
  const hs = [];
  for (let w = 0; w < conc; w++) hs.push(spawn(coroutine(function* () { while (next < n) { const i = next++; yield* wait(Http.get(`/0/hello${i}`, { host: "127.0.0.1", port: 18080 })); } })));
  for (const h of hs) yield* wait(h);
}));
mu("end");
const s = require_status(); console.log(s);
function require_status() { return (await_fs()).readFileSync("/proc/self/status", "utf8").split("\n").filter(l => /VmHWM|VmRSS|RssAnon|RssFile/.test(l)).join(" | "); }
function await_fs() { return globalThis.__fs; }
