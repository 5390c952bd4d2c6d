// npm run bench: every measurement of issue 7 in one invocation, baselines on the same machine in
// the same run, printed as one table and written to bench-results/<timestamp>.json.
// Environment: BENCH_RUNS (timed runs per row, default 5; compute always at least 15: its ratios
// sit within ~15 % of their target on a shared machine, where a median of 5 moves ±10 %),
// BENCH_SWITCHES (explorer layer switches, default 50), BENCH_ONLY (comma list of
// compute, lab, backends — for working on one part).
import { join } from "node:path";
import { backendRows } from "./backend-rows";
import { startTimingServer, type TimingServer } from "./child";
import { computeRows } from "./compute-rows";
import { labRows, PYTHON_SETS } from "./lab-rows";
import { machine } from "./machine";
import { notMeasured, table, writeResults, type Row } from "./report";

const ROOT = join(__dirname, "..");
const IMAGE = join(ROOT, "notebooks", "images", "cat.png");

async function main(): Promise<void> {
  const startedAt = new Date();
  const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
  const switches = Math.max(2, Number(process.env.BENCH_SWITCHES ?? 50));
  const only = new Set((process.env.BENCH_ONLY ?? "compute,lab,backends").split(",").map((s) => s.trim()));
  const info = machine(ROOT);
  const rows: Row[] = [];
  const step = (name: string) => console.log(`convlens bench: ${name} (${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s)`);

  if (only.has("compute")) {
    step("compute: featureMaps vs Keras");
    rows.push(...(await computeRows(ROOT, Math.max(15, runs), 2).catch((e: unknown) => [notMeasured("compute", "ms", "≤ 1.0× model(x)", String(e))])));
  }
  if (only.has("lab")) {
    step("JupyterLab + Chromium: seed end to end (vs the seed's Python), explorer, bytes, memory");
    let python: TimingServer | null = null;
    try {
      python = await startTimingServer(ROOT, "seed_pipeline.py", [IMAGE, join(ROOT, "bench-results", "seed-pngs"), PYTHON_SETS.seed, PYTHON_SETS.oneLayer]);
      step(`the seed's Python pipeline started in ${python.readyInfo} ms (imports + VGG16)`);
    } catch (error) {
      console.error(error);
    }
    try {
      rows.push(...(await labRows(ROOT, { runs, warmup: 1, switches, pythonRuns: 3 }, python)));
    } finally {
      python?.stop();
    }
  }
  if (only.has("backends")) {
    step("backends: tfjs-node, wasm, cpu");
    rows.push(...(await backendRows(ROOT, 3).catch((e: unknown) => [notMeasured("backends", "ms", "(info)", String(e))])));
  }
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  console.log(`\n${table(info, rows)}\n`);
  console.log(`whole bench: ${seconds.toFixed(0)} s; results: ${writeResults(ROOT, info, rows, startedAt, seconds)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
