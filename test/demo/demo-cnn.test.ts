// The committed demo CNN (notebooks/models/demo-cnn): loads as a tfjs LayersModel,
// has Keras's VGG layer names, and recognises held-out crops of its training photos.
import { test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import { DEMO_MODEL_DIR, demoCnn, demoCnnMetadata, TRAINING_PHOTOS } from "../../kernel-helpers/src/demo";
import { makeCrops } from "../../kernel-helpers/src/demo/dataset";
import { preprocessingFor } from "../../kernel-helpers/src/models/info";
import { pythonPackageDir } from "../../kernel-helpers/src/demo/photos";

const MODEL_JSON = join(DEMO_MODEL_DIR, "model.json");

/** The photos come from scikit-image and scikit-learn, which the set-up installs: fails (not skips) without them. */
function assertPhotosInstalled(): void {
  for (const name of ["skimage", "sklearn"] as const) {
    assert.doesNotThrow(() => pythonPackageDir(name), `${name} is not in .venv: run npm test's set-up (scripts/setup.sh)`);
  }
}

test("the committed weights are a tfjs LayersModel of at most 5 MB", () => {
  const bytes = ["model.json", "weights.bin"].reduce((s, f) => s + statSync(join(DEMO_MODEL_DIR, f)).size, 0);
  assert.ok(bytes <= 5 * 1024 * 1024, `${bytes} bytes`);
});

test("tf.loadLayersModel reads it, with Keras's VGG layer names and an RGB input", async () => {
  const model = await tf.loadLayersModel(`file://${MODEL_JSON}`);
  try {
    const convs = model.layers.filter((l) => l.getClassName() === "Conv2D").map((l) => l.name);
    assert.deepEqual(convs, ["block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2", "block3_conv1", "block3_conv2"]);
    const pools = model.layers.filter((l) => l.getClassName() === "MaxPooling2D").map((l) => l.name);
    assert.deepEqual(pools, ["block1_pool", "block2_pool", "block3_pool"]);
    assert.deepEqual(model.inputs[0].shape, [null, 32, 32, 3]);
    // 3×3 kernels over the 3 colour channels, as in VGG16's block1_conv1
    assert.deepEqual(model.getLayer("block1_conv1").getWeights()[0].shape, [3, 3, 3, 32]);
    const meta = demoCnnMetadata(model);
    assert.deepEqual(meta.classes, TRAINING_PHOTOS.map((p) => p.name));
    assert.equal(meta.preprocess, "tf");
    assert.deepEqual(model.outputs[0].shape, [null, meta.classes.length]);
  } finally {
    model.dispose();
  }
});

test("its first-layer filters are colour structure, not random noise", async () => {
  // Share of each 3×3 kernel slice's energy in its spatial mean (a flat colour patch):
  // 1/9 for independent random weights, far more for filters tuned to colours.
  const flatShare = (kernel: tf.Tensor4D) =>
    tf.tidy(() => kernel.mean([0, 1]).square().mul(9).sum().div(kernel.square().sum()).dataSync()[0]);
  const model = await demoCnn();
  const trained = flatShare(model.getLayer("block1_conv1").getWeights()[0] as tf.Tensor4D);
  const random = tf.tidy(() => flatShare(tf.randomNormal([3, 3, 3, 32], 0, 1, "float32", 1) as tf.Tensor4D));
  model.dispose();
  assert.ok(random < 0.2, `random flat share ${random}`);
  assert.ok(trained > 2 * random, `trained flat share ${trained.toFixed(3)} vs random ${random.toFixed(3)}`);
});

test("it classifies held-out crops far better than chance, leaking no tensor", async () => {
  assertPhotosInstalled();
  const model = await demoCnn();
  const before = tf.memory().numTensors;
  // a seed train-demo never used: fresh crops from the held-out right quarter of each photo
  const crops = makeCrops({ split: "test", perPhoto: 15, size: 32, seed: 4242 });
  const correct = tf.tidy(() => {
    const predicted = (model.predict(crops.xs) as tf.Tensor).argMax(-1);
    return predicted.equal(crops.ys).sum().dataSync()[0];
  });
  tf.dispose([crops.xs, crops.ys]);
  assert.equal(tf.memory().numTensors, before);
  model.dispose();

  const accuracy = correct / (15 * TRAINING_PHOTOS.length);
  const chance = 1 / TRAINING_PHOTOS.length;
  assert.ok(accuracy >= 4 * chance, `held-out accuracy ${accuracy.toFixed(3)}, chance ${chance.toFixed(3)}`);
});

test("demoCnn({ inputSize: 224 }) runs the same filters on a VGG-sized input", async () => {
  const small = await demoCnn();
  const big = await demoCnn({ inputSize: 224 });
  const before = tf.memory().numTensors;
  assert.deepEqual(big.inputs[0].shape, [null, 224, 224, 3]);
  assert.deepEqual(demoCnnMetadata(big).classes, demoCnnMetadata(small).classes);
  // images fed through loadImage/featureMaps are scaled as in training, at either size
  assert.equal(preprocessingFor(small), "tf");
  assert.equal(preprocessingFor(big), "tf");
  for (const name of ["block1_conv1", "block3_conv2", "predictions"]) {
    const [a, b] = [small.getLayer(name).getWeights()[0], big.getLayer(name).getWeights()[0]];
    assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()), name);
  }
  const shape = tf.tidy(() => (big.predict(tf.zeros([1, 224, 224, 3])) as tf.Tensor).shape);
  assert.deepEqual(shape, [1, TRAINING_PHOTOS.length]);
  assert.equal(tf.memory().numTensors, before);
  small.dispose();
  big.dispose();
});

test("a missing model folder says how to make one", async () => {
  await assert.rejects(demoCnn({ dir: "/nonexistent/demo-cnn" }), /no demo CNN at .*npm run train-demo/);
  await assert.rejects(demoCnn({ inputSize: 4 }), /inputSize must be an integer ≥ 8/);
});

test("crops are repeatable: the same seed gives the same pixels", () => {
  assertPhotosInstalled();
  const opts = { split: "test", perPhoto: 2, size: 32, seed: 7 } as const;
  const [a, b] = [makeCrops(opts), makeCrops(opts)];
  assert.deepEqual(Array.from(a.xs.dataSync()), Array.from(b.xs.dataSync()));
  assert.deepEqual(Array.from(a.ys.dataSync()), Array.from(b.ys.dataSync()));
  tf.dispose([a.xs, a.ys, b.xs, b.ys]);
});
