// Activation maximisation (issue 16): milliseconds per gradient-ascent step of
// convlens.maximizeActivation on VGG16 (seeded random weights) at 128 px, a page of 8 channels of
// block5_conv3, against the same step with TensorFlow's GradientTape on Keras's VGG16
// (bench/maximize_step.py), op by op and inside a tf.function. Rounds alternate between the two,
// so both see the same load on a shared machine. Then, with Keras stopped: one block5_conv3
// channel at 128 px and 128 steps (beside tf-keras-vis's published time), and a page of 16
// channels of the demo network's last conv layer, end to end.
import { loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs-node";
import { maximizeActivation } from "../kernel-helpers/src/compute/maximize";
import * as convlens from "../kernel-helpers/src/index";
import { startTimingServer } from "./child";
import { loadNote } from "./machine";
import { atMostMs, notMeasured, ratioAtMost, row, type Row } from "./report";
import { seededVgg16 } from "./seeded-vgg";

const SIZE = 128;
const LAYER = "block5_conv3";
const CHANNELS = 8;
const DEMO_CHANNELS = 16;
const ONE_CHANNEL_STEPS = 128;
// tf-keras-vis's example notebook (docs/examples/visualize_conv_filters.ipynb), as issue 16 quotes it
const TF_KERAS_VIS = { ms: 131_000, size: 224, steps: 200 };

export interface MaximizeBench {
  /** timed rounds of the step rows, after one warm-up round */
  rounds: number;
  /** steps per round and side */
  steps: number;
  /** timed runs of the demo page, each on a freshly loaded network */
  demoRuns: number;
  /** runs of the one-channel row (128 steps each: 1–3 min apiece on 2 busy cores); 0 skips it */
  oneChannelRuns: number;
}

export async function maximizeRows(root: string, bench: MaximizeBench): Promise<Row[]> {
  const model = await seededVgg16({ inputShape: [SIZE, SIZE, 3] }, 16);
  const rows: Row[] = [];
  try {
    rows.push(...(await stepRows(root, model, bench.rounds, bench.steps)));
    rows.push(...(await oneChannelRows(model, bench.oneChannelRuns)));
  } finally {
    model.dispose();
  }
  rows.push(await demoPageRow(bench.demoRuns).catch((e: unknown) => notMeasured(DEMO_MEASUREMENT, "ms", "≤ 10.00 s", String(e))));
  return rows;
}

/**
 * `rounds` rounds of `steps` steps each side (plus one warm-up round); each sample is a round's mean
 * step time. Ours is the gap between progress calls (it includes the yield to the event loop).
 */
async function stepRows(root: string, model: tf.LayersModel, rounds: number, steps: number): Promise<Row[]> {
  const keras = await startTimingServer(root, "maximize_step.py", [String(SIZE), LAYER, String(CHANNELS)]);
  const ours: number[] = [];
  const eager: number[] = [];
  const compiled: number[] = [];
  const channels = Array.from({ length: CHANNELS }, (_, i) => i);
  try {
    for (let round = 0; round < rounds + 1; round++) {
      const times: number[] = [];
      let last = performance.now();
      await maximizeActivation(model, LAYER, channels, {
        steps: steps + 1,
        seed: round,
        onProgress: () => {
          const now = performance.now();
          times.push(now - last);
          last = now;
        },
      });
      const kerasEager = await keras.time(`eager ${steps}`);
      const kerasFunction = await keras.time(`function ${steps}`);
      if (round === 0) continue; // warms tfjs up (Keras warmed up before "ready")
      // the first gap also holds the set-up and the starting image's pass; like Keras's, a round's mean
      ours.push(times.slice(1).reduce((a, b) => a + b, 0) / steps);
      eager.push(kerasEager);
      compiled.push(kerasFunction);
    }
  } finally {
    keras.stop();
  }
  const what = `maximizeActivation step, VGG16 ${SIZE} px, ${CHANNELS} channels of ${LAYER}`;
  return [
    row({
      measurement: `${what} vs GradientTape, eager`,
      unit: "ms",
      samples: ours,
      baseline: { name: "Keras + GradientTape, eager", samples: eager },
      target: ratioAtMost(1, "GradientTape"),
      note:
        `tfjs-node ${tf.version.tfjs}: Fourier image, random shift/scale/rotation, pre-ReLU objective, Adam; ${steps} steps a round. ` +
        "The target is against GradientTape run op by op (eager), as issue 16 words it and as tf-keras-vis runs it; " +
        "the row below is the same step traced into a tf.function (for information)",
    }),
    row({
      measurement: `${what} vs GradientTape in tf.function`,
      unit: "ms",
      samples: ours,
      baseline: { name: "Keras + GradientTape in tf.function", samples: compiled },
    }),
  ];
}

const ONE_CHANNEL_MEASUREMENT = `maximizeActivation, one ${LAYER} channel, VGG16 ${SIZE} px, ${ONE_CHANNEL_STEPS} steps`;

async function oneChannelRows(model: tf.LayersModel, runs: number): Promise<Row[]> {
  if (runs === 0) return [notMeasured(ONE_CHANNEL_MEASUREMENT, "ms", "(info)", "skipped (BENCH_ONE_CHANNEL_RUNS=0)")];
  const samples: number[] = [];
  const load = [loadavg()[0]];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    await maximizeActivation(model, LAYER, 0, { steps: ONE_CHANNEL_STEPS, seed: run });
    samples.push(performance.now() - start);
  }
  load.push(loadavg()[0]);
  const ratio = (TF_KERAS_VIS.size / SIZE) ** 2 * (TF_KERAS_VIS.steps / ONE_CHANNEL_STEPS);
  return [
    row({
      measurement: ONE_CHANNEL_MEASUREMENT,
      unit: "ms",
      samples,
      note: `the whole call (set-up, steps, the final 8-bit image and its activation) on the warmed-up model of the rows above; ${loadNote(load)}`,
    }),
    row({
      measurement: `reference: tf-keras-vis, one ${LAYER} filter, ${TF_KERAS_VIS.size} px, ${TF_KERAS_VIS.steps} steps, CPU`,
      unit: "ms",
      samples: [TF_KERAS_VIS.ms],
      note:
        "published in tf-keras-vis's visualize_conv_filters example (as issue 16 quotes it), not measured here: " +
        `another machine, and ~${ratio.toFixed(1)}× the work of the row above (${((TF_KERAS_VIS.size / SIZE) ** 2).toFixed(1)}× the pixels, ` +
        `${(TF_KERAS_VIS.steps / ONE_CHANNEL_STEPS).toFixed(2)}× the steps)`,
    }),
  ];
}

const DEMO_STEPS = 128; // maximizeActivation's default
const DEMO_MEASUREMENT = `maximizeActivation, a page of ${DEMO_CHANNELS} channels of the demo network's last conv layer, end to end`;

/** Each run on a freshly loaded network, as a student's first call in a notebook (after one untimed call warms tfjs). */
async function demoPageRow(runs: number): Promise<Row> {
  const channels = Array.from({ length: DEMO_CHANNELS }, (_, i) => i);
  const samples: number[] = [];
  const loads: number[] = [];
  const load = [loadavg()[0]];
  let what = "";
  for (let run = 0; run < runs + 1; run++) {
    const loadStart = performance.now();
    const model = await convlens.shapesCnn();
    const loaded = performance.now() - loadStart;
    try {
      const layer = convlens.convLayers(model).pop();
      if (!layer) throw new Error("shapesCnn() has no conv layer");
      const start = performance.now();
      const result = await maximizeActivation(model, layer.name, channels, { seed: run });
      if (result.steps !== DEMO_STEPS) throw new Error(`maximizeActivation's default is ${result.steps} steps now, not ${DEMO_STEPS}: update the bench`);
      const ms = performance.now() - start;
      what = `shapesCnn() "${layer.name}" (${result.totalChannels} channels), ${result.height}×${result.width} px, ${result.steps} steps (the default)`;
      if (run === 0) continue;
      samples.push(ms);
      loads.push(loaded);
    } finally {
      model.dispose();
    }
  }
  load.push(loadavg()[0]);
  const loading = loads.length ? ` Loading the network before each run (not counted): ${Math.round(Math.min(...loads))}–${Math.round(Math.max(...loads))} ms.` : "";
  const perStep = samples.length ? ` ${(Math.min(...samples) / DEMO_STEPS).toFixed(0)}–${(Math.max(...samples) / DEMO_STEPS).toFixed(0)} ms a step;` : "";
  return row({
    measurement: DEMO_MEASUREMENT,
    unit: "ms",
    samples,
    target: atMostMs(10_000),
    note: `${what}; the call from start to the images returned, on a network just loaded;${perStep} ${loadNote(load)}.${loading}`,
  });
}
