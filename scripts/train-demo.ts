// npm run train-demo [-- --model shapes|photo-crops --out DIR --rounds-scale F (shapes) --epochs N (photo-crops)]
// Trains one of the demo CNNs that convlens commits (see notebooks/models/README.md), prints
// its held-out figures, saves it as a tfjs LayersModel and draws its first-layer filters to
// test-artifacts/.
//   shapes (default): which shape (circle, square, star…) is drawn on a photo crop, 64 px;
//     notebooks/models/shapes-cnn.
//   photo-crops: which of 12 photos a 32 px crop is from; notebooks/models/demo-cnn.
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-node";
import { buildDemoCnn } from "../kernel-helpers/src/demo/architecture";
import { makeCrops, shuffled } from "../kernel-helpers/src/demo/dataset";
import type { DemoCnnMetadata, ShapesCnnMetadata } from "../kernel-helpers/src/demo";
import { classifyFilters, countFilterKinds, showsEdges } from "../kernel-helpers/src/demo/filter-kinds";
import { convlensRoot, TRAINING_PHOTOS } from "../kernel-helpers/src/demo/photos";
import { buildShapesCnn, buildShapesTrainer, foldBatchNorm } from "../kernel-helpers/src/demo/shapes-cnn";
import { boxArea, makeShapes, shareInBox, SHAPE_CLASSES, type ShapeSet } from "../kernel-helpers/src/demo/shapes";
import { gradCam } from "../kernel-helpers/src/compute/attribution";

const MODELS = join(convlensRoot(), "notebooks", "models");

// photo-crops (notebooks/models/demo-cnn)
const INPUT_SIZE = 32;
const SEED = 20240601;
const HELD_OUT_PER_PHOTO = 100;

/**
 * The shapes CNN's run. Rounds of new images (seed SHAPES.seed + 1000 + round), 20 steps of 64
 * each; the first rounds at 32 px (a step takes about a third of a 64 px one: global average
 * pooling lets the network take any size), the last at 64 px, the size it is saved for. Adam, its
 * rate dropping in steps; block1_conv1 at 3× the rate, its kernel shrunk by `firstLayerDecay`
 * after every step (decoupled weight decay, as AdamW, but not scaled down with the rate, so it
 * keeps cleaning at the end): what the task does not keep pushing for fades, so the filters show
 * what was learned. (The photo-crops CNN takes SGD steps; here, in 32 px trials, SGD on
 * block1_conv1 left 0–1 edges of 16.)
 */
export const SHAPES = {
  inputSize: 64,
  seed: 20261201,
  perRound: 1280,
  batchSize: 64,
  schedule: [
    { rounds: 30, size: 32, learningRate: 2e-3 },
    { rounds: 12, size: 64, learningRate: 1e-3 },
    { rounds: 8, size: 64, learningRate: 5e-4 },
    { rounds: 5, size: 64, learningRate: 1e-4 },
  ],
  /** block1_conv1's learning rate, as a multiple of the others' */
  firstLayerRate: 3,
  /** share of block1_conv1's kernel taken away after every step */
  firstLayerDecay: 2e-3,
  /** held-out images (another seed, backgrounds from the photos' right quarter) */
  heldOut: 800,
  /** the layer whose maps Grad-CAM weighs: the last convolution */
  gradCamLayer: "block4_conv2",
} as const;

/** Sends block1_conv1's gradients to one optimizer and every other variable's to another. */
class SplitOptimizer extends tf.Optimizer {
  static className = "ConvlensSplitOptimizer";
  constructor(
    private readonly firstNames: ReadonlySet<string>,
    readonly first: tf.AdamOptimizer,
    readonly rest: tf.AdamOptimizer,
  ) {
    super();
  }
  applyGradients(gradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const list = Array.isArray(gradients) ? gradients : Object.entries(gradients).map(([name, tensor]) => ({ name, tensor }));
    this.first.applyGradients(list.filter((g) => this.firstNames.has(g.name)));
    this.rest.applyGradients(list.filter((g) => !this.firstNames.has(g.name)));
  }
  setLearningRate(rate: number): void {
    // AdamOptimizer reads its (protected) rate at every step and has no setter
    (this.first as unknown as { learningRate: number }).learningRate = SHAPES.firstLayerRate * rate;
    (this.rest as unknown as { learningRate: number }).learningRate = rate;
  }
  override dispose(): void {
    this.first.dispose();
    this.rest.dispose();
  }
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "shapes" },
    epochs: { type: "string" },
    "per-photo": { type: "string", default: "500" },
    "rounds-scale": { type: "string", default: "1" },
    out: { type: "string" },
  },
});

/** Share of the images whose arg-max class is their label, overall and per class. */
export function accuracy(model: tf.LayersModel, xs: tf.Tensor4D, ys: tf.Tensor1D, classes: number): { overall: number; perClass: number[] } {
  const [predicted, labels] = tf.tidy(() => {
    const p = (model.predict(xs, { batchSize: 128 }) as tf.Tensor).argMax(-1);
    return [p.dataSync(), ys.dataSync()];
  });
  const hits = new Array<number>(classes).fill(0);
  const totals = new Array<number>(classes).fill(0);
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

async function drawFilters(model: tf.LayersModel, file: string): Promise<string> {
  const artifacts = join(convlensRoot(), "test-artifacts");
  mkdirSync(artifacts, { recursive: true });
  const path = join(artifacts, file);
  writeFileSync(path, await filterMontage(model));
  return path;
}

async function save(model: tf.LayersModel, out: string): Promise<string> {
  mkdirSync(out, { recursive: true });
  await model.save(`file://${out}`);
  const bytes = ["model.json", "weights.bin"].reduce((s, f) => s + statSync(join(out, f)).size, 0);
  return `saved ${out} (${(bytes / 1e6).toFixed(2)} MB, ${model.countParams()} parameters)`;
}

/** convlens's Grad-CAM for each image's own class: the share of its map inside the shape's box. */
async function gradCamShares(model: tf.LayersModel, set: ShapeSet, layer: string): Promise<number[]> {
  const size = set.xs.shape[1];
  const shares: number[] = [];
  for (const [i, scene] of set.scenes.entries()) {
    const image = tf.tidy(() => set.xs.slice(i, 1));
    const cam = await gradCam(model, image, { classIndex: scene.label, layer });
    image.dispose();
    shares.push(shareInBox(cam.data, size, scene.box));
  }
  return shares;
}

const mean = (a: readonly number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const percent = (v: number) => `${(v * 100).toFixed(1)} %`;

async function trainShapes(roundsScale: number, out: string): Promise<void> {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  const classes = SHAPE_CLASSES.length;
  const size = SHAPES.inputSize;
  const schedule = SHAPES.schedule.map((phase) => ({ ...phase, rounds: Math.max(1, Math.round(phase.rounds * roundsScale)) }));
  const rounds = schedule.reduce((sum, phase) => sum + phase.rounds, 0);
  console.log(`train-demo: shapes: ${classes} classes (${SHAPE_CLASSES.join(", ")}), ${rounds} rounds of ${SHAPES.perRound} new images, ${schedule.map((p) => `${p.rounds} at ${p.size} px`).join(", ")}`);
  const tests = new Map(
    [...new Set(schedule.map((p) => p.size))].map((s) => [s, makeShapes({ split: "test", count: SHAPES.heldOut, size: s, seed: SHAPES.seed + 1 })]),
  );

  const trainer = buildShapesTrainer({ classes, seed: SHAPES.seed });
  const firstKernel = trainer.getLayer("block1_conv1").trainableWeights[0];
  const firstNames = new Set(trainer.getLayer("block1_conv1").trainableWeights.map((w) => w.name));
  const optimizer = new SplitOptimizer(firstNames, tf.train.adam(1), tf.train.adam(1));
  trainer.compile({ optimizer, loss: "sparseCategoricalCrossentropy", metrics: ["accuracy"] });
  const decay = {
    onBatchEnd: async () => {
      tf.tidy(() => {
        firstKernel.write(firstKernel.read().mul(1 - SHAPES.firstLayerDecay));
      });
    },
  };

  let round = 0;
  for (const phase of schedule) {
    optimizer.setLearningRate(phase.learningRate);
    const test = tests.get(phase.size)!;
    for (let r = 0; r < phase.rounds; r++, round++) {
      const drawing = Date.now();
      const train = makeShapes({ split: "train", count: SHAPES.perRound, size: phase.size, seed: SHAPES.seed + 1000 + round });
      const drawn = (Date.now() - drawing) / 1000;
      const labels = train.ys.toFloat();
      // classes take turns in every set, so each batch of 64 holds 8 of each: no shuffle needed
      const history = await trainer.fit(train.xs, labels, { epochs: 1, batchSize: SHAPES.batchSize, shuffle: false, verbose: 0, callbacks: decay });
      tf.dispose([train.xs, train.ys, labels]);
      if ((round + 1) % 5 === 0 || r === phase.rounds - 1) {
        const loss = Number(history.history.loss[0]).toFixed(3);
        const acc = Number(history.history.acc?.[0] ?? history.history.accuracy?.[0]).toFixed(3);
        const heldOut = accuracy(trainer, test.xs, test.ys, classes).overall.toFixed(3);
        const kinds = countFilterKinds(classifyFilters(trainer.getLayer("block1_conv1").getWeights()[0]));
        console.log(`train-demo: round ${round + 1}/${rounds} (${phase.size} px, rate ${phase.learningRate}): loss ${loss}, training accuracy ${acc}, held-out ${heldOut}; block1_conv1 ${kinds.edge + kinds["colour-edge"]} edges, ${kinds.flat} flat (${elapsed()}, ${drawn.toFixed(1)} s of it drawing the last round)`);
      }
    }
  }

  const model = buildShapesCnn({ inputSize: size, classes, seed: SHAPES.seed });
  foldBatchNorm(trainer, model);
  const test = tests.get(size)!;
  const gap = tf.tidy(() => (trainer.predict(test.xs) as tf.Tensor).sub(model.predict(test.xs) as tf.Tensor).abs().max().dataSync()[0]);
  console.log(`train-demo: batch norm folded into the convolutions (largest change in a held-out probability: ${gap.toExponential(1)})`);
  optimizer.dispose();
  trainer.dispose();

  const { overall, perClass } = accuracy(model, test.xs, test.ys, classes);
  console.log(`train-demo: held-out accuracy ${percent(overall)} on ${SHAPES.heldOut} images (chance ${percent(1 / classes)})`);
  console.log(`train-demo: per class: ${SHAPE_CLASSES.map((name, c) => `${name} ${(perClass[c] * 100).toFixed(0)} %`).join(", ")}`);

  const kinds = classifyFilters(model.getLayer("block1_conv1").getWeights()[0]);
  const counts = countFilterKinds(kinds);
  const verdict = showsEdges(kinds) ? "meets" : "MISSES";
  console.log(`train-demo: block1_conv1's ${kinds.length} filters: ${counts.edge} edges, ${counts["colour-edge"]} colour-opponent edges, ${counts.flat} flat, ${counts.other} other (${verdict} ≥ 1/3 edges, ≤ 1/4 flat)`);

  const shares = await gradCamShares(model, test, SHAPES.gradCamLayer);
  const areas = test.scenes.map((s) => boxArea(s.box, size));
  const chance = mean(areas);
  const above = shares.filter((share, i) => share > areas[i]).length;
  console.log(`train-demo: Grad-CAM (${SHAPES.gradCamLayer}, own class) inside the shape's box: ${percent(mean(shares))} of the map on average (the box covers ${percent(chance)} of the image); above the box's share on ${above} of ${shares.length} images`);

  const metadata: ShapesCnnMetadata = {
    classes: [...SHAPE_CLASSES],
    inputSize: size,
    preprocess: "tf",
    heldOutAccuracy: Number(overall.toFixed(4)),
    seed: SHAPES.seed,
    gradCamLayer: SHAPES.gradCamLayer,
    gradCamInBox: Number(mean(shares).toFixed(4)),
    gradCamChance: Number(chance.toFixed(4)),
    firstLayerKinds: counts,
  };
  model.setUserDefinedMetadata({ ...metadata });
  console.log(`train-demo: ${await save(model, out)}`);
  const montage = await drawFilters(model, "shapes-cnn-block1-filters.png");
  console.log(`train-demo: first-layer filters drawn to ${montage}; done in ${elapsed()}`);
  for (const set of tests.values()) tf.dispose([set.xs, set.ys]);
  model.dispose();
}

async function trainPhotoCrops(epochs: number, perPhoto: number, out: string): Promise<void> {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  console.log(`train-demo: photo-crops: ${TRAINING_PHOTOS.length} classes, ${perPhoto} training crops per photo, ${epochs} epochs, ${INPUT_SIZE}×${INPUT_SIZE} RGB`);

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
    console.log(`train-demo: epoch ${epoch + 1}/${epochs}: loss ${loss}, training accuracy ${acc}, held-out accuracy ${accuracy(model, test.xs, test.ys, TRAINING_PHOTOS.length).overall.toFixed(3)} (${elapsed()})`);
  }

  const { overall, perClass } = accuracy(model, test.xs, test.ys, TRAINING_PHOTOS.length);
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
  console.log(`train-demo: ${await save(model, out)}`);

  const montage = await drawFilters(model, "demo-cnn-block1-filters.png");
  console.log(`train-demo: first-layer filters drawn to ${montage}; done in ${elapsed()}`);

  tf.dispose([train.xs, train.ys, test.xs, test.ys]);
  model.dispose();
}

async function main(): Promise<void> {
  if (values.model === "photo-crops") {
    await trainPhotoCrops(Number(values.epochs ?? 5), Number(values["per-photo"]), values.out ?? join(MODELS, "demo-cnn"));
  } else if (values.model === "shapes") {
    await trainShapes(Number(values["rounds-scale"]), values.out ?? join(MODELS, "shapes-cnn"));
  } else {
    throw new Error(`train-demo: --model is "shapes" (the default) or "photo-crops", not "${values.model}"`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
