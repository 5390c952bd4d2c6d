import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import * as convlens from "../../kernel-helpers/src/index";
import { jpegBytes, pngBytes, tempDir, tinyCnn } from "./fixtures";

test("summary: Keras-style rows, parameter counts and text", () => {
  const model = tinyCnn({ classes: 10 });
  const s = convlens.summary(model);
  // conv_a 3*3*3*4+4 = 112, conv_b 3*3*4*6+6 = 222, dense 8*8*6*10+10 = 3850
  assert.deepEqual(s.rows.map((r) => [r.index, r.name, r.type, r.params]), [
    [0, "input_1", "InputLayer", 0],
    [1, "conv_a", "Conv2D", 112],
    [2, "pool_a", "MaxPooling2D", 0],
    [3, "conv_b", "Conv2D", 222],
    [4, "flatten", "Flatten", 0],
    [5, "dense", "Dense", 3850],
  ]);
  assert.deepEqual(s.rows[1].outputShape, [null, 16, 16, 4]);
  assert.equal(s.totalParams, 4184);
  assert.equal(s.trainableParams, 4184);
  assert.equal(s.nonTrainableParams, 0);
  assert.match(s.text, /^Model: "tiny"/);
  assert.match(s.text, / 3 {2}conv_b \(Conv2D\) +\(None, 8, 8, 6\) +222\n/);
  assert.match(s.text, /Total params: 4184 \(16\.34 KB\)/);
  model.dispose();
});

test("convLayers lists conv layers with filter and bias shapes", () => {
  const model = tinyCnn();
  assert.deepEqual(convlens.convLayers(model), [
    { name: "conv_a", index: 1, filterShape: [3, 3, 3, 4], biasShape: [4] },
    { name: "conv_b", index: 3, filterShape: [3, 3, 4, 6], biasShape: [6] },
  ]);
  model.dispose();
});

test("filters: FilterStack layout, ranges and the three normalisations", () => {
  const model = tinyCnn();
  const kernel = model.layers[3].weights[0].read().arraySync() as number[][][][]; // [kh][kw][in][out]
  const flat = kernel.flat(3);
  const [lo, hi] = [Math.min(...flat), Math.max(...flat)];
  const absMax = Math.max(...flat.map(Math.abs));
  const raw = convlens.filters(model, "conv_b", { normalise: "raw", filters: [2, 5], channels: [1, 3] });
  assert.equal(raw.filters, 3);
  assert.equal(raw.inChannels, 2);
  assert.equal(raw.totalFilters, 6);
  assert.equal(raw.totalInChannels, 4);
  assert.equal(raw.data.length, 3 * 2 * 3 * 3);
  const at = (d: Float32Array, f: number, c: number, y: number, x: number) => d[((f * 2 + c) * 3 + y) * 3 + x];
  for (let f = 0; f < 3; f++)
    for (let c = 0; c < 2; c++)
      for (let y = 0; y < 3; y++)
        for (let x = 0; x < 3; x++) assert.equal(at(raw.data, f, c, y, x), Math.fround(kernel[y][x][c + 1][f + 2]));
  assert.equal(raw.rawMin, Math.min(...raw.data));
  assert.equal(raw.rawMax, Math.max(...raw.data));

  const minmax = convlens.filters(model, 3, { filters: [2, 5], channels: [1, 3] });
  assert.equal(minmax.normalisation, "minmax");
  minmax.data.forEach((v, i) => assert.ok(Math.abs(v - (raw.data[i] - lo) / (hi - lo)) < 1e-6));
  const whole = convlens.filters(model, "conv_b");
  assert.ok(Math.abs(Math.min(...whole.data)) < 1e-7 && Math.abs(Math.max(...whole.data) - 1) < 1e-6, "the whole layer spans [0, 1]");

  const symmetric = convlens.filters(model, "conv_b", { normalise: "symmetric", filters: 6, channels: 4 });
  assert.ok(Math.abs(Math.max(...symmetric.data.map(Math.abs)) - 1) < 1e-6);
  const rawAll = convlens.filters(model, "conv_b", { normalise: "raw" });
  symmetric.data.forEach((v, i) => assert.ok(Math.abs(v - rawAll.data[i] / absMax) < 1e-6));
  assert.ok(Math.abs(symmetric.data[0] - Math.fround(kernel[0][0][0][0]) / absMax) < 1e-6);
  model.dispose();
});

test("biases returns the stored bias vector", () => {
  const model = tinyCnn();
  assert.deepEqual(Array.from(convlens.biases(model, "conv_a") ?? []), Array.from(model.layers[1].weights[1].read().dataSync()));
  model.dispose();
});

test("featureMaps: one pass, channel planes equal an independent conv, min/max right", async () => {
  const model = tinyCnn();
  const input = tf.randomNormal([1, 16, 16, 3], 0, 1, "float32", 3);
  const [a, b] = await convlens.featureMaps(model, input, ["conv_a", 3]);
  assert.deepEqual(a.layer, { name: "conv_a", index: 1 });
  assert.deepEqual([a.height, a.width, a.channels, a.data.length], [16, 16, 4, 16 * 16 * 4]);
  assert.deepEqual([b.height, b.width, b.channels], [8, 8, 6]);
  const [kernel, bias] = model.layers[1].weights.map((w) => w.read());
  const expected = tf.tidy(() => tf.relu(tf.conv2d(input as tf.Tensor4D, kernel as tf.Tensor4D, 1, "same").add(bias)).arraySync() as number[][][][]);
  for (let c = 0; c < 4; c++)
    for (let y = 0; y < 16; y++)
      for (let x = 0; x < 16; x++) assert.ok(Math.abs(a.data[c * 256 + y * 16 + x] - expected[0][y][x][c]) < 1e-5);
  assert.equal(a.min, Math.min(...a.data));
  assert.equal(a.max, Math.max(...a.data));
  input.dispose();
  model.dispose();
});

test("no tensor survives 100 featureMaps calls (tensor, image and path inputs)", async () => {
  const model = tinyCnn();
  const input = tf.randomNormal([16, 16, 3], 0, 1, "float32", 4);
  const image = await convlens.loadImage(Buffer.from(await pngBytes(20, 30, 3)));
  assert.deepEqual(convlens.featureMapsEngine(model, [1, 2, 3]), { engine: "graph" }); // the fallback's leaks: feature-graph.test.ts
  await convlens.featureMaps(model, input, [1, 2, 3]); // warm-up builds and caches the graph
  await convlens.featureMaps(model, image, [1, 2, 3]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 100; i++) {
    await convlens.featureMaps(model, i % 2 ? input : image, [1, 2, 3]);
  }
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(convlens.featureMapsEngine(model, [1, 2, 3]), { engine: "graph" }, "no run fell back");
  input.dispose();
  model.dispose();
});

test("images: PNG gray / RGB / RGBA and JPEG become uint8 RGB, originals kept", async () => {
  const gray = await pngBytes(5, 7, 1, 11);
  const img = await convlens.loadImage(Buffer.from(gray));
  assert.deepEqual([img.height, img.width, img.rgb.length], [5, 7, 5 * 7 * 3]);
  const decodedGray = tf.node.decodePng(gray, 1);
  const g = decodedGray.dataSync();
  decodedGray.dispose();
  for (let i = 0; i < 35; i++) assert.deepEqual([img.rgb[i * 3], img.rgb[i * 3 + 1], img.rgb[i * 3 + 2]], [g[i], g[i], g[i]]);

  const rgba = await pngBytes(4, 4, 4, 12);
  const withAlpha = await convlens.loadImage(rgba);
  const decodedRgba = tf.node.decodePng(rgba, 4);
  const r = decodedRgba.dataSync();
  decodedRgba.dispose();
  assert.deepEqual(Array.from(withAlpha.rgb.subarray(0, 3)), Array.from(r.subarray(0, 3)));
  assert.equal(withAlpha.rgb.length, 4 * 4 * 3);

  const jpeg = await convlens.loadImage(Buffer.from(await jpegBytes(9, 11)));
  assert.deepEqual([jpeg.height, jpeg.width, jpeg.rgb.length], [9, 11, 9 * 11 * 3]);
});

test("preprocessing modes caffe, tf, torch, none, unit and resizing to the model's input", async () => {
  const model = tinyCnn();
  const image: convlens.LoadedImage = { kind: "convlens.image", source: "test", width: 1, height: 1, rgb: Uint8Array.from([10, 20, 30]) };
  const one = (mode: convlens.Preprocessing) => {
    const x = convlens.imageToInput(model, image, { preprocess: mode });
    const values = Array.from(x.dataSync().subarray(0, 3));
    assert.deepEqual(x.shape, [1, 16, 16, 3], "resized to the model's input");
    x.dispose();
    return values;
  };
  const close = (a: number[], b: number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-4, `${a} vs ${b}`));
  close(one("caffe"), [30 - 103.939, 20 - 116.779, 10 - 123.68]);
  close(one("tf"), [10 / 127.5 - 1, 20 / 127.5 - 1, 30 / 127.5 - 1]);
  close(one("torch"), [(10 / 255 - 0.485) / 0.229, (20 / 255 - 0.456) / 0.224, (30 / 255 - 0.406) / 0.225]);
  close(one("none"), [10, 20, 30]);
  close(one("unit"), [10 / 255, 20 / 255, 30 / 255]);
  model.dispose();
});

test("predict: any number of classes, labels from the call, a JSON file or the model; logits get a softmax", async () => {
  const dir = tempDir();
  const model = tinyCnn({ classes: 4 });
  const input = tf.randomNormal([16, 16, 3], 0, 1, "float32", 6);
  const probs = tf.tidy(() => Array.from((model.predict(input.expandDims(0)) as tf.Tensor).dataSync()));
  const order = [0, 1, 2, 3].sort((i, j) => probs[j] - probs[i]);
  const names = ["cat", "dog", "<b>bird</b>", "fish"];
  const top = await convlens.predict(model, input, { k: 4, labels: names });
  assert.deepEqual(top.map((p) => [p.classIndex, p.label, p.probability]), order.map((i) => [i, names[i], probs[i]]));
  assert.deepEqual((await convlens.predict(model, input)).map((p) => p.label), order.map((i) => `class ${i}`), "no labels: class N");
  writeFileSync(join(dir, "list.json"), JSON.stringify(names));
  writeFileSync(join(dir, "keras.json"), JSON.stringify(Object.fromEntries(names.map((n, i) => [String(i), [`n0${i}`, n]]))));
  for (const file of ["list.json", "keras.json"]) {
    assert.deepEqual((await convlens.predict(model, input, { labels: join(dir, file) })).map((p) => p.label), order.map((i) => names[i]), file);
  }
  convlens.setLabels(model, ["w", "x", "y", "z"]);
  assert.equal((await convlens.predict(model, input, 1))[0].label, "wxyz"[order[0]]);
  // a model ending in logits: the probabilities are their softmax
  const logits = tf.model({ inputs: model.inputs, outputs: tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.randomNormal({ seed: 3 }) }).apply(model.getLayer("flatten").output) as tf.SymbolicTensor });
  const z = tf.tidy(() => Array.from((logits.predict(input.expandDims(0)) as tf.Tensor).dataSync()));
  const e = z.map((v) => Math.exp(v - Math.max(...z)));
  const softmax = e.map((v) => v / e.reduce((a, b) => a + b, 0));
  const best = await convlens.predict(logits, input, { k: 3 });
  best.forEach((p) => assert.ok(Math.abs(p.probability - softmax[p.classIndex]) < 1e-6, `class ${p.classIndex}: ${p.probability} vs ${softmax[p.classIndex]}`));
  input.dispose();
  model.dispose();
});

test("loadModel picks up a labels.json beside the model; one that does not fit is a clear error", async () => {
  const dir = tempDir();
  const saved = tinyCnn({ classes: 3, seed: 4 });
  await saved.save(`file://${join(dir, "m")}`);
  writeFileSync(join(dir, "m", "labels.json"), JSON.stringify(["circle", "square", "star"]));
  const model = await convlens.loadModel(join(dir, "m"));
  const input = tf.randomNormal([16, 16, 3], 0, 1, "float32", 8);
  const probs = tf.tidy(() => Array.from((saved.predict(input.expandDims(0)) as tf.Tensor).dataSync()));
  const best = probs.indexOf(Math.max(...probs));
  assert.equal((await convlens.predict(model, input, 1))[0].label, ["circle", "square", "star"][best]);
  writeFileSync(join(dir, "m", "labels.json"), JSON.stringify(["circle", "square"]));
  await assert.rejects(convlens.loadModel(join(dir, "m", "model.json")), /labels\.json names 2 classes but model ".*" has 3 outputs; fix the labels file or remove it/);
  input.dispose();
  model.dispose();
  saved.dispose();
});

test("predict: top-k ImageNet classes with names, sorted", async () => {
  const model = tinyCnn({ classes: 1000 });
  const input = tf.randomNormal([16, 16, 3], 0, 1, "float32", 5);
  const top = await convlens.predict(model, input, 3);
  const probs = tf.tidy(() => (model.predict(input.expandDims(0)) as tf.Tensor).dataSync());
  const best = Array.from(probs.keys()).sort((i, j) => probs[j] - probs[i]).slice(0, 3);
  assert.deepEqual(top.map((p) => p.classIndex), best);
  assert.deepEqual(top.map((p) => p.rank), [1, 2, 3]);
  top.forEach((p) => assert.equal(p.label, convlens.imagenetLabel(p.classIndex)));
  assert.equal(convlens.imagenetLabel(0), "tench, Tinca tinca");
  assert.equal(convlens.imagenetLabel(999), "toilet tissue, toilet paper, bathroom tissue");
  input.dispose();
  model.dispose();
});
