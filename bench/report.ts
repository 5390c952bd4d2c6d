// Bench rows, the printed table and the JSON results file.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Machine } from "./machine";
import { spread, type Spread } from "./stats";

export type Unit = "ms" | "bytes" | "MB" | "%" | "count";

export interface Baseline {
  name: string;
  unit: Unit;
  samples: number[];
  value: Spread;
}

export interface Row {
  measurement: string;
  unit: Unit;
  samples: number[];
  /** null when not measured */
  value: Spread | null;
  baseline: Baseline | null;
  /** median / baseline median */
  ratio: number | null;
  target: string;
  /** null: no target (for information) or not measured */
  pass: boolean | null;
  /** what limits it, the phases, or why it was not measured */
  note: string;
}

export interface Target {
  text: string;
  check(median: number, ratio: number | null): boolean;
}

export interface RowSpec {
  measurement: string;
  unit: Unit;
  samples: number[];
  baseline?: { name: string; unit?: Unit; samples: number[] } | null;
  target?: Target | null;
  note?: string;
}

export function row(spec: RowSpec): Row {
  const value = spread(spec.samples);
  const baseline = spec.baseline ? { name: spec.baseline.name, unit: spec.baseline.unit ?? spec.unit, samples: spec.baseline.samples, value: spread(spec.baseline.samples) } : null;
  const ratio = baseline ? value.median / baseline.value.median : null;
  return {
    measurement: spec.measurement,
    unit: spec.unit,
    samples: spec.samples,
    value,
    baseline,
    ratio,
    target: spec.target?.text ?? "(info)",
    pass: spec.target ? spec.target.check(value.median, ratio) : null,
    note: spec.note ?? "",
  };
}

export function notMeasured(measurement: string, unit: Unit, target: string, why: string): Row {
  return { measurement, unit, samples: [], value: null, baseline: null, ratio: null, target, pass: null, note: `not measured: ${why}` };
}

export const atMostMs = (ms: number): Target => ({ text: `≤ ${formatValue(ms, "ms")}`, check: (m) => m <= ms });
export const ratioAtMost = (r: number, of: string): Target => ({ text: `≤ ${r.toFixed(1)}× ${of}`, check: (_m, ratio) => ratio !== null && ratio <= r });

export function formatValue(v: number, unit: Unit): string {
  switch (unit) {
    case "ms":
      return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`;
    case "bytes":
      return `${Math.round(v).toLocaleString("en-US")} B`;
    case "MB":
      return `${v.toFixed(0)} MB`;
    case "%":
      return `${v >= 0 ? "+" : ""}${v.toFixed(1)} %`;
    case "count":
      return Number.isInteger(v) ? String(v) : v.toFixed(1);
  }
}

function cells(r: Row): string[] {
  const v = r.value;
  const result = r.value === null ? "not measured" : r.pass === null ? "—" : r.pass ? "pass" : "MISS";
  return [
    r.measurement,
    v ? formatValue(v.median, r.unit) : "—",
    v ? (v.min === v.max ? `(n=${r.samples.length})` : `${formatValue(v.min, r.unit)} – ${formatValue(v.max, r.unit)} (n=${r.samples.length})`) : "—",
    r.baseline ? `${r.baseline.name} ${formatValue(r.baseline.value.median, r.baseline.unit)}` : "—",
    r.ratio === null ? "—" : `${r.ratio.toFixed(2)}×`,
    r.target,
    result,
  ];
}

export function table(machine: Machine, rows: Row[]): string {
  const head = ["measurement", "median", "min – max", "baseline (median)", "ratio", "target", "result"];
  const body = rows.map(cells);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(" | ")} |`;
  const out = [
    `machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.ramGB.toFixed(1)} GB RAM, load average at start ${machine.loadAverage.map((l) => l.toFixed(2)).join(" ")}`,
    `versions: ${Object.entries(machine.versions).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    "",
    line(head),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...body.map(line),
  ];
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.measurement}: ${r.note}`);
  if (notes.length) out.push("", "notes:", ...notes);
  return out.join("\n");
}

/** Writes bench-results/<timestamp>.json (git-ignored) and returns its path. */
export function writeResults(root: string, machine: Machine, rows: Row[], startedAt: Date, seconds: number): string {
  const dir = join(root, "bench-results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ started: startedAt.toISOString(), seconds, machine, rows }, null, 1));
  return file;
}
