// Grad-CAM, saliency and occlusion: behaviours, bad input, and no tensor left behind. Numbers are
// checked against TensorFlow in test_attribution_parity.py; here against what a hand-built
// model's maths says they must be.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-node";
import { gradCam } from "../../kernel-helpers/src/compute/attribution/gradcam";
import { occlusion, patchPositions } from "../../kernel-helpers/src/compute/attribution/occlusion";
import { saliency, smoothGradCopies } from "../../kernel-helpers/src/compute/attribution/saliency";
import { ConvlensError } from "../../kernel-helpers/src/errors";
import { setPreprocessing } from "../../kernel-helpers/src/models/info";
import { buildDemoCnn } from "../../kernel-helpers/src/demo/architecture";
import { loadImage } from "../../kernel-helpers/src/compute/images";
import { pngBytes, tinyCnn } from "./fixtures";

const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor) => layer.apply(x) as tf.SymbolicTensor;

/** Class 0's logit per unit of the quadrant's mean: small, so softmax does not saturate at 0–255 inputs. */
const GAIN = 0.01;

/**
 * [16, 16, 3] → the top-left 8×8 quadrant → its mean per channel → class 0's logit is GAIN × the
 * mean of the three (class 1's is 0) → softmax. So class 0 depends on the top-left quadrant only,
 * with d logit / d pixel = GAIN / (8 · 8 · 3) there.
 */
function quadrantModel(): tf.LayersModel {
  const input = tf.input({ shape: [16, 16, 3], name: "input_1" });
  let x = apply(tf.layers.cropping2D({ cropping: [[0, 8], [0, 8]], name: "top_left" }), input);
  x = apply(tf.layers.globalAveragePooling2d({ name: "mean" }), x);
  const dense = tf.layers.dense({ units: 2, activation: "softmax", name: "predictions" });
  x = apply(dense, x);
  dense.setWeights([tf.tensor2d([[GAIN / 3, 0], [GAIN / 3, 0], [GAIN / 3, 0]]), tf.zeros([2])]);
  const model = tf.model({ inputs: input, outputs: x, name: "quadrant" });
  setPreprocessing(model, "none");
  return model;
}

/** conv (5 filters) → global average pooling → dense (3 classes, softmax): Grad-CAM's weights are CAM's. */
function gapModel(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.randomNormal({ mean: 0, stddev: 0.5, seed });
  const input = tf.input({ shape: [12, 10, 3], name: "input_1" });
  const conv = tf.layers.conv2d({
    filters: 5,
    kernelSize: 3,
    activation: "relu",
    name: "conv",
    kernelInitializer: init(1),
    biasInitializer: init(2),
  });
  let x = apply(conv, input);
  x = apply(tf.layers.globalAveragePooling2d({ name: "gap" }), x);
  const dense = tf.layers.dense({
    units: 3,
    activation: "softmax",
    name: "predictions",
    kernelInitializer: init(3),
    biasInitializer: init(4),
  });
  x = apply(dense, x);
  const model = tf.model({ inputs: input, outputs: x, name: "gap" });
  setPreprocessing(model, "none");
  return model;
}

const image = () => tf.randomNormal([16, 16, 3], 0, 1, "float32", 5) as tf.Tensor3D;

function topClass(model: tf.LayersModel, x: tf.Tensor): { top: number; output: Float32Array } {
  const out = tf.tidy(() => model.predict(x.reshape([1, ...x.shape.slice(-3)])) as tf.Tensor);
  const output = out.dataSync() as Float32Array;
  out.dispose();
  return { top: output.indexOf(Math.max(...output)), output };
}

const close = (a: number, b: number, tolerance = 1e-5) => Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b));

test("gradCam: by default the last conv and the top class; the map spans [0, 1] at the input's size", async () => {
  const model = tinyCnn();
  const x = image();
  const cam = await gradCam(model, x);
  const { top, output } = topClass(model, x);
  assert.deepEqual(cam.layer, { name: "conv_b", index: 3 });
  assert.equal(cam.method, "gradcam");
  assert.equal(cam.classIndex, top);
  assert.deepEqual([cam.height, cam.width, cam.data.length], [16, 16, 256]);
  assert.deepEqual([cam.layerHeight, cam.layerWidth, cam.channelWeights.length], [8, 8, 6]);
  assert.ok(cam.data.every((v) => v >= 0 && v <= 1));
  assert.equal(cam.max, 1);
  assert.ok(cam.scale > 0);
  assert.equal(cam.min, Math.min(...cam.data));
  // the scores are the model's: its softmax of the logits is its own output
  assert.ok(cam.probabilities);
  cam.probabilities.forEach((p, i) => assert.ok(close(p, output[i]), `probability ${i}`));
  const z = Math.max(...cam.logits);
  const e = Array.from(cam.logits, (l) => Math.exp(l - z));
  e.forEach((v, i) => assert.ok(close(v / e.reduce((a, b) => a + b), output[i], 1e-4), `softmax of logit ${i}`));
  assert.equal(cam.score, cam.logits[top]);
  x.dispose();
  model.dispose();
});

test("gradCam: a pooling layer after the last conv is not the default; any conv/pool layer can be asked for", async () => {
  const input = tf.input({ shape: [16, 16, 3] });
  const seeded = (seed: number) => tf.initializers.glorotNormal({ seed });
  const conv = tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: "relu", name: "c1", kernelInitializer: seeded(1) });
  let y = apply(conv, input);
  y = apply(tf.layers.maxPooling2d({ poolSize: 2, name: "p1" }), y);
  y = apply(tf.layers.flatten({ name: "f" }), y);
  y = apply(tf.layers.dense({ units: 4, activation: "softmax", name: "out", kernelInitializer: seeded(2) }), y);
  const model = tf.model({ inputs: input, outputs: y });
  const x = image();
  assert.deepEqual((await gradCam(model, x)).layer, { name: "c1", index: 1 });
  const pooled = await gradCam(model, x, { layer: "p1" });
  assert.deepEqual([pooled.layer.index, pooled.layerHeight, pooled.layerWidth], [2, 7, 7]);
  assert.deepEqual((await gradCam(tinyCnn(), x, { layer: 2 })).layer, { name: "pool_a", index: 2 });
  x.dispose();
  model.dispose();
});

test("gradCam: on a global-average-pooling model the channel weights are CAM's, W[k, c] / (h · w)", async () => {
  const model = gapModel();
  const x = tf.randomUniform([12, 10, 3], 0, 2, "float32", 9);
  const kernel = model.getLayer("predictions").getWeights()[0].arraySync() as number[][];
  for (const classIndex of [0, 2]) {
    const cam = await gradCam(model, x, { classIndex });
    assert.deepEqual([cam.layerHeight, cam.layerWidth], [10, 8]);
    cam.channelWeights.forEach((w, k) => assert.ok(close(w, kernel[k][classIndex] / 80, 1e-5), `channel ${k}`));
  }
  x.dispose();
  model.dispose();
});

test("gradCam: another class gives another map", async () => {
  const model = tinyCnn();
  const x = image();
  const a = await gradCam(model, x, { classIndex: 0 });
  const b = await gradCam(model, x, { classIndex: 1 });
  assert.deepEqual([a.classIndex, b.classIndex], [0, 1]);
  assert.notDeepEqual(Array.from(a.channelWeights), Array.from(b.channelWeights));
  assert.ok(a.data.some((v, i) => Math.abs(v - b.data[i]) > 1e-3));
  assert.equal(a.score, a.logits[0]);
  x.dispose();
  model.dispose();
});

test("gradCam: a Sequential with dropout (the demo CNN) from a PNG file's bytes", async () => {
  const model = buildDemoCnn({ inputSize: 32, classes: 3, seed: 1 });
  const cam = await gradCam(model, Buffer.from(await pngBytes(40, 30, 3)));
  assert.equal(cam.layer.name, "block3_conv2");
  assert.deepEqual([cam.height, cam.width, cam.layerHeight], [32, 32, 8]);
  assert.ok(cam.data.every((v) => v >= 0 && v <= 1));
  model.dispose();
});

test("saliency: the gradient of class 0's logit is GAIN / 192 on the top-left quadrant and 0 elsewhere", async () => {
  const model = quadrantModel();
  const x = image();
  const map = await saliency(model, x, { classIndex: 0 });
  assert.equal(map.method, "saliency");
  assert.deepEqual([map.height, map.width, map.data.length, map.seed, map.smoothSamples], [16, 16, 256, null, 0]);
  assert.ok(close(map.scale, GAIN / 192));
  for (let y = 0; y < 16; y++) {
    for (let x0 = 0; x0 < 16; x0++) assert.ok(close(map.data[y * 16 + x0], y < 8 && x0 < 8 ? 1 : 0), `pixel ${y}, ${x0}`);
  }
  // the logit is the quadrant's mean, read before softmax
  const mean = tf.tidy(() => x.slice([0, 0, 0], [8, 8, 3]).mean().dataSync()[0]);
  assert.ok(close(map.score, GAIN * mean) && close(map.logits[1], 0));
  x.dispose();
  model.dispose();
});

test("saliency: SmoothGrad is deterministic with a seed; the noise has σ = noise × the input's range", async () => {
  const model = tinyCnn();
  const x = image();
  const a = await saliency(model, x, { smoothSamples: 6, seed: 11, batchSize: 4 });
  const b = await saliency(model, x, { smoothSamples: 6, seed: 11, batchSize: 6 });
  const c = await saliency(model, x, { smoothSamples: 6, seed: 12 });
  const vanilla = await saliency(model, x);
  assert.equal(a.method, "smoothgrad");
  assert.deepEqual([a.seed, a.noise, a.smoothSamples], [11, 0.2, 6]);
  const again = await saliency(model, x, { smoothSamples: 6, seed: 11, batchSize: 4 });
  assert.deepEqual(Array.from(a.data), Array.from(again.data), "same seed: the same map");
  // the same noisy copies in other batches: only the order of summing differs
  a.data.forEach((v, i) => assert.ok(Math.abs(v - b.data[i]) < 1e-5, "same seed, other batch size"));
  assert.notDeepEqual(Array.from(a.data), Array.from(c.data));
  assert.notDeepEqual(Array.from(a.data), Array.from(vanilla.data));
  assert.equal(a.classIndex, vanilla.classIndex, "the class is the clean image's top one");
  const unseeded = await saliency(model, x, { smoothSamples: 2 });
  assert.ok(Number.isInteger(unseeded.seed), "a random seed is returned so the map can be made again");

  const input = x.reshape([1, 16, 16, 3]) as tf.Tensor4D;
  const stats = tf.tidy(() => {
    const copies = smoothGradCopies(input, 0.5, 3, 0, 40);
    const noise = copies.sub(input);
    const range = input.max().sub(input.min());
    return tf.stack([noise.mean(), tf.moments(noise).variance.sqrt(), range.mul(0.5)]);
  });
  const [mean, std, sigma] = stats.dataSync();
  const stated = `noise mean ${mean}, std ${std}, σ ${sigma}`;
  assert.ok(Math.abs(mean) < 0.02 * sigma && Math.abs(std / sigma - 1) < 0.02, stated);
  tf.dispose([stats, input, x]);
  model.dispose();
});

test("occlusion: a model that looks only at the top-left quadrant drops only where the patch covers it", async () => {
  const model = quadrantModel();
  const x = tf.fill([16, 16, 3], 255);
  const result = await occlusion(model, x, { classIndex: 0, patch: 4, stride: 3 });
  assert.deepEqual([result.method, result.measure, result.rows, result.cols], ["occlusion", "probability", 5, 5]);
  assert.deepEqual(result.ys, [0, 3, 6, 9, 12]);
  assert.deepEqual(result.xs, [0, 3, 6, 9, 12]);
  assert.deepEqual(result.fill, [128, 128, 128]);
  const p = (mean: number) => 1 / (1 + Math.exp(-GAIN * mean)); // class 0 of softmax([GAIN × mean, 0])
  assert.ok(close(result.baseline, p(255)), `baseline ${result.baseline} vs ${p(255)}`);
  result.ys.forEach((y0, i) =>
    result.xs.forEach((x0, j) => {
      // pixels of the 8×8 quadrant the patch hides, each 255 → 128
      const hidden = Math.max(0, Math.min(8, y0 + 4) - y0) * Math.max(0, Math.min(8, x0 + 4) - x0);
      const want = p(255) - p(255 - (hidden * 127) / 64);
      const got = result.grid[i * 5 + j];
      assert.ok(Math.abs(got - want) < 1e-6, `patch at ${y0}, ${x0}: ${got} vs ${want}`);
    }),
  );
  assert.ok(result.data.slice(12 * 16).every((v) => Math.abs(v) < 1e-6), "no drop in the bottom rows");
  assert.ok(result.data[0] > 0.01);
  // a pixel covered by two patches (rows 0 and 3 overlap on row 3) holds their mean
  assert.ok(close(result.data[3 * 16], (result.grid[0] + result.grid[5]) / 2));
  x.dispose();
  model.dispose();
});

test("occlusion: patch positions cover every pixel; the default patch is a seventh of the side", async () => {
  assert.deepEqual(patchPositions(28, 8, 6), [0, 6, 12, 18, 20]);
  assert.deepEqual(patchPositions(16, 16, 1), [0]);
  assert.deepEqual(patchPositions(10, 3, 3), [0, 3, 6, 7]);
  const model = tinyCnn();
  const x = image();
  const result = await occlusion(model, x);
  assert.deepEqual([result.patch, result.stride, result.rows, result.cols], [[2, 2], [2, 2], 8, 8]);
  assert.equal(result.classIndex, topClass(model, x).top);
  assert.equal(result.measure, "probability");
  x.dispose();
  model.dispose();
});

/** Runs `call`, expects a ConvlensError matching `pattern`, and that no tensor was left behind. */
async function refuses(call: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof ConvlensError, `a ConvlensError, not ${String(error)}`);
    assert.match(error.message, /^convlens: /);
    assert.match(error.message, pattern);
    return true;
  });
  assert.equal(tf.memory().numTensors, before, `no tensor left after: ${pattern}`);
}

test("bad layers: the input, a layer after the flatten, an unknown name, a shared layer", async () => {
  const model = tinyCnn();
  const x = image();
  await refuses(
    () => gradCam(model, x, { layer: "input_1" }),
    /layer 0 "input_1" \(InputLayer\) is the model's input, not a conv or pooling layer.*saliency/,
  );
  await refuses(
    () => gradCam(model, x, { layer: "dense" }),
    /layer 5 "dense" \(Dense\) comes after layer 4 "flatten" \(Flatten\), where the feature maps end.*\[null, 10\].*"conv_b"/,
  );
  await refuses(() => gradCam(model, x, { layer: "flatten" }), /"flatten" \(Flatten\) is where the feature maps end/);
  await refuses(() => gradCam(model, x, { layer: "conv_c" }), /no layer named "conv_c"/);
  // one conv applied twice: which of its two outputs would be meant?
  const input = tf.input({ shape: [16, 16, 3] });
  const twice = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: "same", name: "twice" });
  const flat = apply(tf.layers.flatten({}), apply(twice, apply(twice, input)));
  const shared = tf.model({ inputs: input, outputs: apply(tf.layers.dense({ units: 2, activation: "softmax" }), flat) });
  await refuses(() => gradCam(shared, x, { layer: "twice" }), /layer 1 "twice" \(Conv2D\) is applied 2 times on the way/);
  shared.dispose();
  x.dispose();
  model.dispose();
});

test("bad class indices: out of range, negative, not an integer", async () => {
  const model = tinyCnn();
  const x = image();
  for (const classIndex of [10, -1, 1.5]) {
    const given = String(classIndex).replace(".", "\\.");
    const pattern = new RegExp(`classIndex ${given} is not a class of this model; it has 10 classes, so give .* 0 to 9`);
    await refuses(() => gradCam(model, x, { classIndex }), pattern);
    await refuses(() => saliency(model, x, { classIndex }), pattern);
    await refuses(() => occlusion(model, x, { classIndex }), pattern);
  }
  await refuses(() => gradCam(model, x, { classIndex: "2" as unknown as number }), /classIndex "2" is not a class/);
  x.dispose();
  model.dispose();
});

test("a model without a classifier head is refused by all three", async () => {
  const full = tinyCnn();
  const maps = full.getLayer("conv_b").output as tf.SymbolicTensor;
  const model = tf.model({ inputs: full.inputs, outputs: maps, name: "no_top" });
  const x = image();
  const pattern = /needs a model that ends in class scores \[batch, classes\], but "no_top" outputs \[null, 8, 8, 6\]/;
  await refuses(() => gradCam(model, x), pattern);
  await refuses(() => saliency(model, x), pattern);
  await refuses(() => occlusion(model, x), pattern);
  x.dispose();
  full.dispose();
});

test("images with the wrong channel count, NaN, or too small for the model", async () => {
  const model = tinyCnn();
  const rgba = tf.zeros([16, 16, 4]);
  const gray = tf.zeros([1, 16, 16, 1]);
  for (const bad of [rgba, gray]) {
    await refuses(() => gradCam(model, bad), /an input tensor must have shape \[16, 16, 3\] or \[1, 16, 16, 3\]/);
    await refuses(() => saliency(model, bad), /an input tensor must have shape/);
    await refuses(() => occlusion(model, bad), /an input tensor must have shape/);
  }
  const nan = tf.fill([16, 16, 3], NaN);
  await refuses(() => gradCam(model, nan), /the image tensor holds NaN or infinite values/);
  // any size in, global pooling out: a 3×3 image has no pixels left after two 2×2 poolings
  const input = tf.input({ shape: [null, null, 3] });
  let y = apply(tf.layers.maxPooling2d({ poolSize: 2, name: "p1" }), input);
  y = apply(tf.layers.conv2d({ filters: 2, kernelSize: 2, name: "c1" }), y);
  y = apply(tf.layers.globalAveragePooling2d({}), y);
  y = apply(tf.layers.dense({ units: 2, activation: "softmax" }), y);
  const anySize = tf.model({ inputs: input, outputs: y });
  const tiny = tf.zeros([3, 3, 3]);
  await refuses(() => gradCam(anySize, tiny), /layer 2 "c1" has no pixels left \(0×0\) for a 3×3 image/);
  await refuses(() => saliency(anySize, tiny), /has no pixels left/);
  tf.dispose([rgba, gray, nan, tiny]);
  anySize.dispose();
  model.dispose();
});

test("NaN weights are refused, also after a call that found the weights good", async () => {
  const model = tinyCnn();
  const x = image();
  await gradCam(model, x);
  const layer = model.getLayer("conv_b");
  const good = layer.getWeights().map((w) => w.clone());
  const broken = tf.tidy(() => [good[0].where(tf.onesLike(good[0]).cumsum(0).notEqual(1), NaN), good[1]]);
  layer.setWeights(broken);
  const pattern = /model "tiny" has NaN or infinite weights \(conv_b\/kernel\), so every score would be NaN; load good/;
  await refuses(() => gradCam(model, x), pattern);
  await refuses(() => saliency(model, x), pattern);
  await refuses(() => occlusion(model, x), pattern);
  layer.setWeights(good);
  assert.ok((await gradCam(model, x)).scale > 0, "good weights again: it runs");
  tf.dispose([...good, ...broken, x]);
  model.dispose();
});

test("occlusion: a patch larger than the image, a stride of 0 or less, bad fill; unknown options", async () => {
  const model = tinyCnn();
  const x = image();
  await refuses(() => occlusion(model, x, { patch: 17 }), /the patch \(17×17\) is larger than the 16×16 input/);
  await refuses(() => occlusion(model, x, { patch: [4, 20] }), /the patch \(4×20\) is larger/);
  await refuses(
    () => occlusion(model, x, { stride: 0 }),
    /stride must be a positive integer or a pair \[height, width\] of them, not number 0/,
  );
  await refuses(() => occlusion(model, x, { stride: -2 }), /stride must be a positive integer/);
  await refuses(() => occlusion(model, x, { patch: 2.5 }), /patch must be a positive integer/);
  await refuses(() => occlusion(model, x, { fill: [1, 2] }), /fill is one number or 3 numbers/);
  await refuses(() => saliency(model, x, { smoothSamples: -1 }), /smoothSamples must be an integer ≥ 0/);
  await refuses(() => saliency(model, x, { smoothSamples: 2, seed: 1.5 }), /seed must be an integer/);
  await refuses(() => saliency(model, x, { noise: -0.1 }), /noise is the noise's standard deviation/);
  await refuses(
    () => gradCam(model, x, { class: 3 } as never),
    /gradCam\(\) has no option "class"; its options are classIndex, layer, preprocess, resize/,
  );
  await refuses(() => gradCam(model, undefined as never), /gradCam\(\) needs an image/);
  await refuses(() => gradCam(Promise.resolve(model) as never, x), /add await/);
  x.dispose();
  model.dispose();
});

test("no tensor survives 20 calls of each (tensor and image inputs)", async () => {
  const model = tinyCnn();
  const x = image();
  const loaded = await loadImage(Buffer.from(await pngBytes(20, 24, 3)));
  // warm-up: tfjs keeps a few tensors of its own on a first use (none of them ours)
  await gradCam(model, x);
  await saliency(model, x, { smoothSamples: 3, seed: 1 });
  await occlusion(model, x);
  const calls: [string, (i: number) => Promise<unknown>][] = [
    ["gradCam", (i) => gradCam(model, i % 2 ? x : loaded, { classIndex: i % 10, layer: i % 3 ? 3 : "pool_a" })],
    ["saliency", (i) => saliency(model, i % 2 ? x : loaded, { classIndex: i % 10 })],
    ["SmoothGrad", (i) => saliency(model, i % 2 ? x : loaded, { smoothSamples: 3, seed: i, batchSize: 2 })],
    ["occlusion", (i) => occlusion(model, i % 2 ? x : loaded, { patch: 5, stride: 4, batchSize: 3 })],
  ];
  for (const [name, call] of calls) {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) await call(i);
    assert.equal(tf.memory().numTensors, before, name);
  }
  x.dispose();
  model.dispose();
});
