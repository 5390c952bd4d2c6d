// Row 1, compute: convlens.featureMaps on VGG16 at 224 px (random weights) for the seed's 5 layers
// and for all 13 conv layers, against Keras model(x) and model.predict on the same layer sets.
// Runs are interleaved with a persistent Keras process (bench/keras_maps.py), so both sides
// see the same load on the shared machine.
import * as tf from "@tensorflow/tfjs-node";
import * as convlens from "../kernel-helpers/src/index";
import { startTimingServer } from "./child";
import { ratioAtMost, row, type Row } from "./report";

export const SEED_LAYERS = [2, 5, 9, 13, 17];

export async function computeRows(root: string, runs: number, warmup: number): Promise<Row[]> {
  const model = await convlens.vgg16({ weights: null });
  const conv = convlens.convLayers(model).map((l) => l.index);
  const x = tf.randomNormal([1, 224, 224, 3], 0, 50, "float32", 0);
  const sets = [
    { label: `5 seed layers [${SEED_LAYERS.join(",")}]`, layers: SEED_LAYERS, arg: SEED_LAYERS.join(",") },
    { label: "13 conv layers", layers: conv, arg: "conv" },
  ];
  const keras = await startTimingServer(root, "keras_maps.py", sets.map((s) => s.arg));
  // The LayersModel's own eager forward pass (what featureMaps falls back to for layers its graph cannot run), without any transpose or download.
  const bare = sets.map((set) => tf.model({ inputs: model.inputs, outputs: set.layers.map((i) => model.layers[i].output as tf.SymbolicTensor) }));
  const samples = sets.map(() => ({ ours: [] as number[], bare: [] as number[], call: [] as number[], predict: [] as number[] }));
  let engines: string[] = [];
  try {
    for (let i = 0; i < warmup + runs; i++) {
      for (const [n, set] of sets.entries()) {
        // featureMaps returns host Float32Arrays (channel planes): every run includes the download.
        const start = performance.now();
        await convlens.featureMaps(model, x, set.layers);
        const ours = performance.now() - start;
        const bareStart = performance.now();
        tf.dispose(bare[n].predict(x));
        const bareMs = performance.now() - bareStart;
        const call = await keras.time(`${n} call`);
        const predict = await keras.time(`${n} predict`);
        if (i < warmup) continue; // Keras warmed up before "ready"; these warm convlens
        samples[n].ours.push(ours);
        samples[n].bare.push(bareMs);
        samples[n].call.push(call);
        samples[n].predict.push(predict);
      }
    }
    // after the runs, while the model is alive: a run that fell back to the LayersModel shows here
    engines = sets.map((set) => {
      const engine = convlens.featureMapsEngine(model, set.layers);
      return engine.engine === "graph" ? "featureMaps ran its TensorFlow graph" : `featureMaps ran the LayersModel: ${engine.reason}`;
    });
  } finally {
    keras.stop();
    x.dispose();
    model.dispose();
  }
  return sets.flatMap((set, n) => [
    row({
      measurement: `compute, ${set.label}: featureMaps, VGG16 224 px`,
      unit: "ms",
      samples: samples[n].ours,
      baseline: { name: "Keras model(x)", samples: samples[n].call },
      target: ratioAtMost(0.9, "model(x)"), // issue 15 (issue 4 asked ≤ 1.0×)
      note: engines[n],
    }),
    row({ measurement: `compute, ${set.label}: featureMaps vs model.predict`, unit: "ms", samples: samples[n].ours, baseline: { name: "Keras model.predict", samples: samples[n].predict } }),
    row({
      measurement: `compute, ${set.label}: tfjs predict alone`,
      unit: "ms",
      samples: samples[n].bare,
      baseline: { name: "Keras model(x)", samples: samples[n].call },
      note: n === 0 ? "" : "the LayersModel's eager forward pass alone (featureMaps' fallback), outputs left as tensors like Keras model(x); featureMaps runs one TF graph instead (conv, bias and relu fused) and still transposes to channel planes and copies them into JS",
    }),
  ]);
}
