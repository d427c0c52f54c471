// Summarises bench-load results (JSON lines from scripts/bench.sh): per case and metric, the
// median and spread (min-max) of each server over the repeats, the ratio ours/node of the
// medians and, where the benchmark issue sets one, the target and whether it is met.
//   node bench/report.js RESULTS.jsonl [--markdown OUT.md]
"use strict";

const fs = require("fs");

const args = process.argv.slice(2);
const file = args[0];
const mdIndex = args.indexOf("--markdown");
const markdownOut = mdIndex >= 0 ? args[mdIndex + 1] : null;
if (!file) {
  console.error("usage: node bench/report.js RESULTS.jsonl [--markdown OUT.md]");
  process.exit(2);
}

// ratio ours/node that meets the target; "max": ratio must be <= value, "min": >= value
const targets = {
  "connect server_cpu_us_per_conn": { max: 1 / 3 },
  "connect rss_kb_per_conn": { max: 1 / 2 },
  "fanout-burst server_cpu_us_per_delivery": { max: 1 / 4 },
  "fanout-burst deliveries_per_s": { min: 1 },
  "fanout-rate-20k p99_ms": { max: 1 / 2 },
  "fanout-rate-50k p99_ms": { max: 1 / 2 },
  "echo-closed server_cpu_us_per_ack": { max: 1 / 3 },
  "polling server_cpu_us_per_delivery": { max: 1 },
  "binary server_cpu_us_per_delivery": { max: 1 },
};
const hidden = new Set(["wall_s"]);

const rows = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
const cases = new Map();   // case -> {params, metrics: Map(metric -> {label -> [values]})}
for (const r of rows) {
  if (!cases.has(r.case)) cases.set(r.case, { params: r.params, metrics: new Map() });
  const c = cases.get(r.case);
  for (const [k, v] of Object.entries(r.metrics)) {
    if (hidden.has(k)) continue;
    if (!c.metrics.has(k)) c.metrics.set(k, {});
    (c.metrics.get(k)[r.label] ??= []).push(v);
  }
}

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
function fmt(x) {
  if (x === undefined || Number.isNaN(x)) return "-";
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString("en-US");
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}
function cell(v) {
  if (!v || !v.length) return "-";
  if (v.length === 1) return fmt(v[0]);
  return `${fmt(median(v))} (${fmt(Math.min(...v))}–${fmt(Math.max(...v))})`;
}

// columns: ours, node, then any variant (e.g. ours-noglib); ratios of every non-node label to node
const labelSet = new Set(rows.map((r) => r.label));
const labels = ["ours", "node", ...[...labelSet].filter((l) => l !== "ours" && l !== "node").sort()].filter((l) =>
  labelSet.has(l));
const ratioLabels = labelSet.has("node") ? labels.filter((l) => l !== "node") : [];

const lines = [];
lines.push("| case | metric | " + labels.map((l) => `${l}: median (min–max)`).join(" | ") + " | " +
  ratioLabels.map((l) => `${l}/node`).join(" | ") + (ratioLabels.length ? " | " : "") + "target (ours/node) |");
lines.push("| --- | --- | " + labels.map(() => "---").join(" | ") + " | " + ratioLabels.map(() => "---").join(" | ") +
  (ratioLabels.length ? " | " : "") + "--- |");
let missed = 0;
for (const [name, c] of cases) {
  for (const [metric, byLabel] of c.metrics) {
    const node = byLabel.node;
    const ratios = ratioLabels.map((l) => {
      const v = byLabel[l];
      if (metric === "lost" || !v || !node || median(node) === 0) return "-";
      return (median(v) / median(node)).toFixed(2);
    });
    let target = "";
    const ours = byLabel.ours;
    const t = targets[`${name} ${metric}`];
    if (t && ours && node && median(node) !== 0) {
      const q = median(ours) / median(node);
      const ok = t.max !== undefined ? q <= t.max : q >= t.min;
      const bound = t.max !== undefined ? `<= ${t.max.toFixed(2)}` : `>= ${t.min.toFixed(2)}`;
      target = `${bound}: ${ok ? "met" : "MISSED"}`;
      if (!ok) missed++;
    }
    if (metric === "lost") {
      const total = labels.flatMap((l) => byLabel[l] || []).reduce((a, b) => a + b, 0);
      target = total === 0 ? "none lost: met" : "MESSAGES LOST";
    }
    lines.push(`| ${name} | ${metric} | ` + labels.map((l) => cell(byLabel[l])).join(" | ") + " | " +
      ratios.join(" | ") + (ratioLabels.length ? " | " : "") + `${target} |`);
  }
}
const params = [...cases].map(([n, c]) => `- \`${n}\`: ${c.params}`);
const text = lines.join("\n") + "\n\nParameters:\n" + params.join("\n") + "\n";
console.log(text);
if (missed) console.log(`${missed} target(s) missed.`);
if (markdownOut) {
  let info = "";
  try { info = fs.readFileSync(file + ".info", "utf8"); } catch (e) { /* no machine info */ }
  fs.writeFileSync(markdownOut, (info ? "```\n" + info + "```\n\n" : "") + text);
  console.log(`written to ${markdownOut}`);
}
