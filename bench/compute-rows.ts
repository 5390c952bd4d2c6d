// Row 1, compute: convlens.featureMaps on VGG16 at 224 px (random weights) for the seed's 5 layers
// and for all 13 conv layers, against Keras model(x) and model.predict on the same layer sets,
// run in the same invocation (Keras in its own process, after convlens, so they never overlap).
import * as tf from "@tensorflow/tfjs-node";
import * as convlens from "../kernel-helpers/src/index";
import { runPythonJson } from "./child";
import { ratioAtMost, row, type Row } from "./report";
import { timeRuns } from "./stats";

export const SEED_LAYERS = [2, 5, 9, 13, 17];

interface KerasResult {
  tf: string;
  results: { spec: string; layers: number[]; call_ms: number[]; predict_ms: number[] }[];
}

export async function computeRows(root: string, runs: number, warmup: number): Promise<Row[]> {
  const model = await convlens.vgg16({ weights: null });
  const conv = convlens.convLayers(model).map((l) => l.index);
  const x = tf.randomNormal([1, 224, 224, 3], 0, 50, "float32", 0);
  const ours: Record<string, number[]> = {};
  try {
    for (const [spec, layers] of [["seed", SEED_LAYERS], ["conv", conv]] as const) {
      // featureMaps returns host Float32Arrays (channel planes), so every run includes the download.
      ours[spec] = await timeRuns(() => convlens.featureMaps(model, x, [...layers]), runs, warmup);
    }
  } finally {
    x.dispose();
    model.dispose();
  }
  const keras = await runPythonJson<KerasResult>(root, "keras_maps.py", [String(runs), String(warmup), SEED_LAYERS.join(","), "conv"]);
  const rows: Row[] = [];
  // keras.results come in the order of the specs passed: seed layers, then all conv layers.
  for (const [i, spec, label] of [[0, "seed", `5 seed layers [${SEED_LAYERS.join(", ")}]`], [1, "conv", "13 conv layers"]] as const) {
    const k = keras.results[i];
    rows.push(
      row({
        measurement: `compute: featureMaps, VGG16 224 px, ${label}`,
        unit: "ms",
        samples: ours[spec],
        baseline: { name: "Keras model(x)", samples: k.call_ms },
        target: ratioAtMost(1, "model(x)"),
      }),
      row({
        measurement: `compute: same vs Keras model.predict`,
        unit: "ms",
        samples: ours[spec],
        baseline: { name: "Keras model.predict", samples: k.predict_ms },
      }),
    );
  }
  return rows;
}
