// npm run train-demo [-- --epochs N --per-photo N --out DIR]
// Trains the demo CNN on crops of photos that scikit-image and scikit-learn ship
// (see notebooks/models/README.md), prints its held-out accuracy, saves it as a tfjs
// LayersModel and renders its first-layer filters to test-artifacts/.
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-node";
import { buildDemoCnn } from "../kernel-helpers/src/demo/architecture";
import { makeCrops, shuffled, type CropSet } from "../kernel-helpers/src/demo/dataset";
import type { DemoCnnMetadata } from "../kernel-helpers/src/demo";
import { convlensRoot, TRAINING_PHOTOS } from "../kernel-helpers/src/demo/photos";

const INPUT_SIZE = 32;
const SEED = 20240601;
const HELD_OUT_PER_PHOTO = 100;

const { values } = parseArgs({
  options: {
    epochs: { type: "string", default: "5" },
    "per-photo": { type: "string", default: "500" },
    out: { type: "string", default: join(convlensRoot(), "notebooks", "models", "demo-cnn") },
  },
});
const epochs = Number(values.epochs);
const perPhoto = Number(values["per-photo"]);

/** Fraction of crops whose arg-max class is their label. */
export function accuracy(model: tf.LayersModel, set: CropSet): { overall: number; perClass: number[] } {
  const [predicted, labels] = tf.tidy(() => {
    const p = (model.predict(set.xs, { batchSize: 128 }) as tf.Tensor).argMax(-1);
    return [p.dataSync(), set.ys.dataSync()];
  });
  const hits = new Array<number>(set.photos.length).fill(0);
  const totals = new Array<number>(set.photos.length).fill(0);
  labels.forEach((label, i) => {
    totals[label]++;
    if (predicted[i] === label) hits[label]++;
  });
  const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
  return { overall: sum(hits) / sum(totals), perClass: hits.map((h, c) => h / totals[c]) };
}

/** First-layer kernels as one PNG: 8 filters a row, min–max scaled over the layer, RGB as RGB. */
export async function filterMontage(model: tf.LayersModel, scale = 16, perRow = 8): Promise<Uint8Array> {
  const image = tf.tidy(() => {
    const kernel = model.getLayer("block1_conv1").getWeights()[0]; // [3, 3, 3, n]
    const n = kernel.shape[3]!;
    const filters = kernel.transpose([3, 0, 1, 2]); // [n, 3, 3, 3]
    // one scale for the whole layer, as the seed tutorial does: weak filters look grey
    const min = filters.min();
    const max = filters.max();
    const unit = filters.sub(min).div(max.sub(min).add(1e-8));
    const big = tf.image.resizeNearestNeighbor(unit as tf.Tensor4D, [3 * scale, 3 * scale]);
    const tile = tf.pad(big, [[0, 0], [2, 2], [2, 2], [0, 0]], 1); // white gaps
    const rows = Math.ceil(n / perRow);
    const padded = tf.pad(tile, [[0, rows * perRow - n], [0, 0], [0, 0], [0, 0]], 1);
    const side = 3 * scale + 4;
    const grid = padded
      .reshape([rows, perRow, side, side, 3])
      .transpose([0, 2, 1, 3, 4])
      .reshape([rows * side, perRow * side, 3]);
    return grid.mul(255).round().clipByValue(0, 255).toInt() as tf.Tensor3D;
  });
  const png = await tf.node.encodePng(image);
  image.dispose();
  return png;
}

async function main(): Promise<void> {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  console.log(`train-demo: ${TRAINING_PHOTOS.length} classes, ${perPhoto} training crops per photo, ${epochs} epochs, ${INPUT_SIZE}×${INPUT_SIZE} RGB`);

  const train = makeCrops({ split: "train", perPhoto, size: INPUT_SIZE, seed: SEED });
  const test = makeCrops({ split: "test", perPhoto: HELD_OUT_PER_PHOTO, size: INPUT_SIZE, seed: SEED + 1 });
  console.log(`train-demo: ${train.ys.shape[0]} training crops, ${test.ys.shape[0]} held-out crops (${elapsed()})`);

  const model = buildDemoCnn({ inputSize: INPUT_SIZE, classes: TRAINING_PHOTOS.length, seed: SEED });
  // SGD with momentum, not Adam: Adam's per-weight step sizes leave the 3×3 first-layer
  // filters as pixel noise; plain gradient steps keep them smooth and readable.
  model.compile({ optimizer: tf.train.momentum(0.02, 0.9), loss: "sparseCategoricalCrossentropy", metrics: ["accuracy"] });

  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = shuffled(train, SEED + 100 + epoch);
    const labels = order.ys.toFloat();
    const history = await model.fit(order.xs, labels, { epochs: 1, batchSize: 64, shuffle: false, verbose: 0 });
    tf.dispose([order.xs, order.ys, labels]);
    const loss = Number(history.history.loss[0]).toFixed(3);
    const acc = Number(history.history.acc?.[0] ?? history.history.accuracy?.[0]).toFixed(3);
    console.log(`train-demo: epoch ${epoch + 1}/${epochs}: loss ${loss}, training accuracy ${acc}, held-out accuracy ${accuracy(model, test).overall.toFixed(3)} (${elapsed()})`);
  }

  const { overall, perClass } = accuracy(model, test);
  console.log(`train-demo: held-out accuracy ${(overall * 100).toFixed(1)} % on ${test.ys.shape[0]} crops (chance ${(100 / TRAINING_PHOTOS.length).toFixed(1)} %)`);
  console.log(`train-demo: per class: ${TRAINING_PHOTOS.map((p, c) => `${p.name} ${(perClass[c] * 100).toFixed(0)} %`).join(", ")}`);

  const metadata: DemoCnnMetadata = {
    classes: TRAINING_PHOTOS.map((p) => p.name),
    inputSize: INPUT_SIZE,
    preprocess: "tf",
    heldOutAccuracy: Number(overall.toFixed(4)),
    seed: SEED,
  };
  model.setUserDefinedMetadata({ ...metadata });
  mkdirSync(values.out!, { recursive: true });
  await model.save(`file://${values.out}`);
  const bytes = ["model.json", "weights.bin"].reduce((s, f) => s + statSync(join(values.out!, f)).size, 0);
  console.log(`train-demo: saved ${values.out} (${(bytes / 1e6).toFixed(2)} MB, ${model.countParams()} parameters)`);

  const artifacts = join(convlensRoot(), "test-artifacts");
  mkdirSync(artifacts, { recursive: true });
  const montage = join(artifacts, "demo-cnn-block1-filters.png");
  writeFileSync(montage, await filterMontage(model));
  console.log(`train-demo: first-layer filters drawn to ${montage}; done in ${elapsed()}`);

  tf.dispose([train.xs, train.ys, test.xs, test.ys]);
  model.dispose();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
