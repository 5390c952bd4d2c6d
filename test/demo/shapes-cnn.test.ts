// The committed shapes CNN (notebooks/models/shapes-cnn): loads as a tfjs LayersModel with
// Keras's VGG layer names, names held-out shapes far above chance, its first layer finds
// edges (a measure random weights fail), and Grad-CAM lands on the shape.
import { test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import {
  classifyFilters,
  countFilterKinds,
  demoCnn,
  SHAPE_CLASSES,
  SHAPES_MODEL_DIR,
  shapesCnn,
  shapesCnnMetadata,
  showsEdges,
} from "../../kernel-helpers/src/demo";
import { cropBox, seededRandom, TRAIN_FRACTION } from "../../kernel-helpers/src/demo/dataset";
import { pythonPackageDir } from "../../kernel-helpers/src/demo/photos";
import { boxArea, makeShapes, shareInBox } from "../../kernel-helpers/src/demo/shapes";
import { buildShapesCnn, buildShapesTrainer, foldBatchNorm } from "../../kernel-helpers/src/demo/shapes-cnn";
import { gradCam } from "../../kernel-helpers/src/compute/attribution";
import { preprocessingFor } from "../../kernel-helpers/src/models/info";

const MODEL_JSON = join(SHAPES_MODEL_DIR, "model.json");
const SIZE = 64;

/** The backgrounds come from scikit-image and scikit-learn, which the set-up installs: fails (not skips) without them. */
function assertPhotosInstalled(): void {
  for (const name of ["skimage", "sklearn"] as const) {
    assert.doesNotThrow(() => pythonPackageDir(name), `${name} is not in .venv: run npm test's set-up (scripts/setup.sh)`);
  }
}

const boxShare = (box: readonly number[]) => boxArea(box, SIZE);
const mean = (a: readonly number[]) => a.reduce((s, v) => s + v, 0) / a.length;

test("the committed weights are a tfjs LayersModel of at most 5 MB", () => {
  const bytes = ["model.json", "weights.bin"].reduce((s, f) => s + statSync(join(SHAPES_MODEL_DIR, f)).size, 0);
  assert.ok(bytes <= 5 * 1024 * 1024, `${bytes} bytes`);
});

test("tf.loadLayersModel reads it: four VGG blocks of 3×3 convolutions (one in block 1, as VGG11), a small head, softmax over the shapes", async () => {
  const model = await tf.loadLayersModel(`file://${MODEL_JSON}`);
  try {
    const convs = model.layers.filter((l) => l.getClassName() === "Conv2D");
    assert.deepEqual(
      convs.map((l) => l.name),
      ["block1_conv1", ...[2, 3, 4].flatMap((b) => [`block${b}_conv1`, `block${b}_conv2`])],
    );
    // nothing of the training's batch normalisation is left: it was folded into the convolutions
    assert.ok(!model.layers.some((l) => l.getClassName() === "BatchNormalization"));
    for (const conv of convs) assert.deepEqual(conv.getWeights()[0].shape.slice(0, 2), [3, 3], conv.name);
    const pools = model.layers.filter((l) => l.getClassName() === "MaxPooling2D").map((l) => l.name);
    assert.deepEqual(pools, ["block1_pool", "block2_pool", "block3_pool", "block4_pool"]);
    assert.deepEqual(model.layers.slice(-3).map((l) => l.name), ["avg_pool", "fc1", "predictions"]);
    assert.equal((model.getLayer("predictions").getConfig() as { activation: string }).activation, "softmax");
    assert.deepEqual(model.inputs[0].shape, [null, SIZE, SIZE, 3]);
    const meta = shapesCnnMetadata(model);
    assert.deepEqual(meta.classes, [...SHAPE_CLASSES]);
    assert.equal(meta.inputSize, SIZE);
    assert.equal(meta.preprocess, "tf");
    assert.equal(meta.gradCamLayer, "block4_conv2");
    assert.deepEqual(model.outputs[0].shape, [null, SHAPE_CLASSES.length]);
  } finally {
    model.dispose();
  }
});

test("it names held-out shapes (new seed, unseen part of each photo) far above chance, leaking no tensor", async () => {
  assertPhotosInstalled();
  const model = await shapesCnn();
  assert.equal(preprocessingFor(model), "tf");
  // makeShapes keeps no photo it decoded (a kernel that drew sample pictures would hold ~50 MB of
  // them for good): only the set's images and labels remain, every call
  for (const seed of [4242, 4243]) {
    const beforeSet = tf.memory().numTensors;
    const drawn = makeShapes({ split: "test", count: 400, size: SIZE, seed });
    assert.ok(new Set(drawn.scenes.map((s) => s.photo)).size > 1, "the set draws on several photos");
    assert.equal(tf.memory().numTensors - beforeSet, 2, "only the set's images and labels");
    tf.dispose([drawn.xs, drawn.ys]);
  }
  // a seed train-demo never used; backgrounds from the right quarter of each photo
  const set = makeShapes({ split: "test", count: 400, size: SIZE, seed: 4242 });
  const before = tf.memory().numTensors;
  const correct = tf.tidy(() => {
    const predicted = (model.predict(set.xs, { batchSize: 100 }) as tf.Tensor).argMax(-1);
    return predicted.equal(set.ys).sum().dataSync()[0];
  });
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([set.xs, set.ys]);
  model.dispose();
  const accuracy = correct / set.scenes.length;
  assert.ok(accuracy >= 0.9, `held-out accuracy ${accuracy.toFixed(3)}, chance ${(1 / SHAPE_CLASSES.length).toFixed(3)}`);
});

test("Grad-CAM on held-out images puts most of its mass on the shape (its box's share of the image is the chance level)", async () => {
  assertPhotosInstalled();
  const model = await shapesCnn();
  const layer = shapesCnnMetadata(model).gradCamLayer;
  const set = makeShapes({ split: "test", count: 80, size: SIZE, seed: 4243 });
  const shares: number[] = [];
  for (const [i, scene] of set.scenes.entries()) {
    const image = tf.tidy(() => set.xs.slice(i, 1));
    const cam = await gradCam(model, image, { classIndex: scene.label, layer });
    image.dispose();
    assert.equal(cam.width, SIZE);
    shares.push(shareInBox(cam.data, SIZE, scene.box));
  }
  tf.dispose([set.xs, set.ys]);
  model.dispose();
  const inside = mean(shares);
  const chance = mean(set.scenes.map((s) => boxShare(s.box)));
  const above = shares.filter((share, i) => share > boxShare(set.scenes[i].box)).length;
  const figures = `${(inside * 100).toFixed(1)} % inside the box, chance ${(chance * 100).toFixed(1)} %, above chance on ${above}/${shares.length}`;
  assert.ok(inside > 0.5 && inside > 2 * chance, figures);
  assert.ok(above >= 0.9 * shares.length, figures);
});

// Issue 13's target: at least a third oriented or colour-opponent edges and at most a quarter flat
// colour patches (the photo-crops CNN: 6 edges and 22 flat of 32, see the test below).
test("its first layer finds edges: ≥ 1/3 oriented or colour-opponent edges, ≤ 1/4 flat patches", async () => {
  const model = await shapesCnn();
  const kernel = model.getLayer("block1_conv1").getWeights()[0];
  const reports = classifyFilters(kernel);
  const counts = countFilterKinds(reports);
  model.dispose();
  assert.equal(reports.length, 32);
  assert.ok(showsEdges(reports), `block1_conv1: ${JSON.stringify(counts)}`);
  // the figures train-demo stored with the weights are these
  assert.deepEqual(shapesCnnMetadata(model).firstLayerKinds, counts);
});

test("random first layers fail the edge measure (Glorot uniform, and the low-amplitude start train-demo uses)", () => {
  for (let seed = 1; seed <= 8; seed++) {
    for (const init of [
      tf.initializers.glorotUniform({ seed }),
      tf.initializers.varianceScaling({ scale: 0.02, seed }),
    ]) {
      for (const filters of [32, 64]) {
        const kernel = init.apply([3, 3, 3, filters]) as tf.Tensor;
        const reports = classifyFilters(kernel);
        kernel.dispose();
        const counts = countFilterKinds(reports);
        assert.ok(!showsEdges(reports), `seed ${seed}, ${filters} filters: ${JSON.stringify(counts)}`);
        assert.ok(counts.edge + counts["colour-edge"] <= filters / 8, `seed ${seed}: ${JSON.stringify(counts)}`);
      }
    }
  }
});

test("the photo-crops demo CNN (issue 13) fails the edge measure: mostly flat colour patches", async () => {
  const model = await demoCnn();
  const reports = classifyFilters(model.getLayer("block1_conv1").getWeights()[0]);
  model.dispose();
  const counts = countFilterKinds(reports);
  assert.ok(!showsEdges(reports), JSON.stringify(counts));
  assert.ok(counts.flat > reports.length / 2, JSON.stringify(counts));
});

test("the filter measure on hand-made filters: flat, edge, colour-opponent edge, other", () => {
  // kernel [3, 3, 3, 4] from four filters given as [y][x][channel]
  const grid = (f: (y: number, x: number, c: number) => number) =>
    [0, 1, 2].map((y) => [0, 1, 2].map((x) => [0, 1, 2].map((c) => f(y, x, c))));
  const filters = [
    grid((y, x, c) => [0.8, 0.2, -0.3][c] + 0.02 * x), // a flat orange-ish patch
    grid((_y, x) => x - 1), // light on the right, dark on the left: a vertical edge
    grid((y, _x, c) => (y - 1) * [1, -1, 0][c]), // red above ↔ green below: a horizontal colour edge
    grid((y, x) => (y === 1 && x === 1 ? 1 : -0.125)), // a centre spot
  ];
  const kernel = tf.tensor4d(filters, [4, 3, 3, 3]).transpose([1, 2, 3, 0]) as tf.Tensor4D;
  const reports = classifyFilters(kernel);
  kernel.dispose();
  assert.deepEqual(reports.map((r) => r.kind), ["flat", "edge", "colour-edge", "other"]);
  assert.equal(reports[1].angle, 0);
  assert.equal(reports[2].angle, 90);
  assert.ok(reports[1].oriented > 0.99 && reports[2].oriented > 0.99);
});

test("foldBatchNorm: the plain network computes what the batch-normalised trainer computes", () => {
  const trainer = buildShapesTrainer({ classes: SHAPE_CLASSES.length, seed: 3 });
  const plain = buildShapesCnn({ inputSize: 32, classes: SHAPE_CLASSES.length, seed: 3 });
  // moving statistics and scales far from their initial 0 / 1, so the fold has work to do
  const random = seededRandom(5);
  tf.tidy(() => {
    for (const layer of trainer.layers.filter((l) => l.getClassName() === "BatchNormalization")) {
      const [gamma, beta, mean, variance] = layer.getWeights();
      const draw = (t: tf.Tensor, lo: number, hi: number) => tf.tensor1d(Array.from({ length: t.size }, () => lo + (hi - lo) * random()));
      layer.setWeights([draw(gamma, 0.5, 2), draw(beta, -0.5, 0.5), draw(mean, -0.3, 0.3), draw(variance, 0.2, 3)]);
    }
  });
  foldBatchNorm(trainer, plain);
  const x = tf.randomUniform([4, 32, 32, 3], -1, 1, "float32", 9);
  const gap = tf.tidy(() => (trainer.predict(x) as tf.Tensor).sub(plain.predict(x) as tf.Tensor).abs().max().dataSync()[0]);
  x.dispose();
  trainer.dispose();
  plain.dispose();
  assert.ok(gap < 1e-5, `largest difference in a probability: ${gap}`);
});

test("shapes are repeatable, one class in turn, each inside the image with its box", () => {
  assertPhotosInstalled();
  const opts = { split: "test", count: 16, size: SIZE, seed: 7 } as const;
  const [a, b] = [makeShapes(opts), makeShapes(opts)];
  assert.deepEqual(Array.from(a.xs.dataSync()), Array.from(b.xs.dataSync()));
  assert.deepEqual(a.scenes, b.scenes);
  assert.deepEqual(Array.from(a.ys.dataSync()), [...SHAPE_CLASSES.keys(), ...SHAPE_CLASSES.keys()]);
  const [min, max] = tf.tidy(() => [a.xs.min().dataSync()[0], a.xs.max().dataSync()[0]]);
  assert.ok(min >= -1 && max <= 1, `pixels in [${min}, ${max}]`);
  for (const { box } of a.scenes) {
    const [y1, x1, y2, x2] = box;
    assert.ok(0 <= y1 && y1 < y2 && y2 <= SIZE && 0 <= x1 && x1 < x2 && x2 <= SIZE, `box ${box}`);
    // a shape is 0.32–0.68 of the side across (its unit disc); its box is never the whole image
    assert.ok(boxShare(box) > 0.02 && boxShare(box) < 0.5, `box ${box}`);
  }
  tf.dispose([a.xs, a.ys, b.xs, b.ys]);
});

test("held-out backgrounds come from columns training never sees", () => {
  const random = seededRandom(1);
  for (let i = 0; i < 500; i++) {
    for (const split of ["train", "test"] as const) {
      const [, xa, , xb] = cropBox(480, 640, split, random, 0.1, 0.45);
      const [left, right] = [Math.min(xa, xb), Math.max(xa, xb)];
      if (split === "train") assert.ok(right <= Math.floor(640 * TRAIN_FRACTION) / 640 + 1e-9, `${left}–${right}`);
      else assert.ok(left >= Math.ceil(640 * TRAIN_FRACTION) / 640 - 1e-9, `${left}–${right}`);
    }
  }
});

test("shapesCnn({ inputSize: 128 }) runs the same filters on a larger input; a missing folder says how to make one", async () => {
  const small = await shapesCnn();
  const big = await shapesCnn({ inputSize: 128 });
  const before = tf.memory().numTensors;
  assert.deepEqual(big.inputs[0].shape, [null, 128, 128, 3]);
  assert.deepEqual(shapesCnnMetadata(big).classes, shapesCnnMetadata(small).classes);
  assert.equal(preprocessingFor(big), "tf");
  for (const name of ["block1_conv1", "block4_conv2", "predictions"]) {
    const [x, y] = [small.getLayer(name).getWeights()[0], big.getLayer(name).getWeights()[0]];
    assert.deepEqual(Array.from(x.dataSync()), Array.from(y.dataSync()), name);
  }
  const shape = tf.tidy(() => (big.predict(tf.zeros([1, 128, 128, 3])) as tf.Tensor).shape);
  assert.deepEqual(shape, [1, SHAPE_CLASSES.length]);
  assert.equal(tf.memory().numTensors, before);
  small.dispose();
  big.dispose();
  await assert.rejects(shapesCnn({ dir: "/nonexistent/shapes-cnn" }), /no shapes CNN at .*npm run train-demo/);
  await assert.rejects(shapesCnn({ inputSize: 8 }), /inputSize must be an integer ≥ 16/);
});
