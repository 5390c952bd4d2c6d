// npm run bench: every measurement of issues 7 and 16 in one invocation, baselines on the same machine in
// the same run, printed as one table and written to bench-results/<timestamp>.json.
// Environment: BENCH_RUNS (timed runs per row, default 5; compute always at least 15: its ratios
// sit within ~15 % of their target on a shared machine, where a median of 5 moves ±10 %),
// BENCH_SWITCHES (explorer layer switches, default 50), BENCH_ONLY (comma list of
// compute, lab, backends, interpret — for working on one part). For interpret (issue 16):
// BENCH_MAXIMIZE_STEPS (steps per round of the step rows, default 4), BENCH_HOVERS (receptive-field
// hovers, default 60), BENCH_ONE_CHANNEL_RUNS (one block5_conv3 channel, 128 steps, default 1; 0 skips it).
// BENCH_ONLY=class (issue 18): 16 students at once in a local JupyterHub (bench/class_load.py); not in the
// default set: about 5–8 minutes, most of it spawning 16 servers and waiting for the idle culler.
// BENCH_CLASS_STUDENTS (default 16), BENCH_CLASS_SWITCHES (per student, default 6), BENCH_CLASS_CULL_AFTER (s, default 60).
import { join } from "node:path";
import { attributionRows } from "./attribution-rows";
import { backendRows } from "./backend-rows";
import { classRows } from "./class-rows";
import { startTimingServer, type TimingServer } from "./child";
import { computeRows } from "./compute-rows";
import { hoverRows } from "./hover-rows";
import { labRows, PYTHON_SETS } from "./lab-rows";
import { machine } from "./machine";
import { maximizeRows } from "./maximize-rows";
import { notMeasured, table, writeResults, type Row } from "./report";

const ROOT = join(__dirname, "..");
const IMAGE = join(ROOT, "notebooks", "images", "cat.png");

async function main(): Promise<void> {
  const startedAt = new Date();
  const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
  const switches = Math.max(2, Number(process.env.BENCH_SWITCHES ?? 50));
  const only = new Set((process.env.BENCH_ONLY ?? "compute,lab,backends,interpret").split(",").map((s) => s.trim()));
  const info = machine(ROOT);
  const rows: Row[] = [];
  const step = (name: string) => console.log(`convlens bench: ${name} (${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s)`);

  if (only.has("compute")) {
    step("compute: featureMaps vs Keras");
    rows.push(...(await computeRows(ROOT, Math.max(15, runs), 2).catch((e: unknown) => [notMeasured("compute", "ms", "≤ 0.9× model(x)", String(e))])));
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
  if (only.has("interpret")) {
    const steps = Math.max(1, Number(process.env.BENCH_MAXIMIZE_STEPS ?? 4));
    const oneChannelRuns = Math.max(0, Number(process.env.BENCH_ONE_CHANNEL_RUNS ?? 1));
    const hovers = Math.max(3, Number(process.env.BENCH_HOVERS ?? 60));
    step("interpret: activation maximisation vs GradientTape (eager and tf.function), the demo page, one VGG16 channel");
    const maximize = { rounds: runs, steps, demoRuns: runs, oneChannelRuns };
    rows.push(
      ...(await maximizeRows(ROOT, maximize).catch((e: unknown) => [notMeasured("maximizeActivation", "ms", "≤ 1.0× GradientTape", String(e))])),
    );
    step("interpret: Grad-CAM and saliency vs GradientTape");
    rows.push(
      ...(await attributionRows(ROOT, IMAGE, runs, 1).catch((e: unknown) => [notMeasured("gradCam", "ms", "≤ 1.0× GradientTape", String(e))])),
    );
    step("interpret: receptive-field hover in JupyterLab + Chromium");
    rows.push(...(await hoverRows(ROOT, hovers, 3)));
  }
  if (only.has("class")) {
    const students = Math.max(2, Number(process.env.BENCH_CLASS_STUDENTS ?? 16));
    const cullAfter = Math.max(10, Number(process.env.BENCH_CLASS_CULL_AFTER ?? 60));
    step(`class: ${students} students at once in a local JupyterHub, then the idle culler (--cull-after ${cullAfter})`);
    rows.push(...(await classRows(ROOT, { students, switches: Math.max(1, Number(process.env.BENCH_CLASS_SWITCHES ?? 6)), cullAfter })));
  }
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  console.log(`\n${table(info, rows)}\n`);
  console.log(`whole bench: ${seconds.toFixed(0)} s; results: ${writeResults(ROOT, info, rows, startedAt, seconds)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
