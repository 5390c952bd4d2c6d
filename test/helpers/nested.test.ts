// Nested models (an inner CNN as one layer of an outer model, as tfjs loads a Keras transfer-learning
// model): their layers by path in featureMaps, filters, convLayers and summary, through the model's
// flat view (layers-view.ts), which leaves the user's model as it was.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-node";
import * as convlens from "../../kernel-helpers/src/index";
import { layersView } from "../../kernel-helpers/src/layers-view";
import { layerNodes } from "../../kernel-helpers/src/tfjs-layers-internals";
import { resolveLayer } from "../../kernel-helpers/src/layers";

type Symbolic = tf.SymbolicTensor;
const init = (seed: number) => tf.initializers.randomNormal({ mean: 0, stddev: 0.3, seed });

/** inner_in [16,16,3] → c1 (relu) → bn → p1 → c2: a small CNN, BatchNormalization with random statistics. */
function innerCnn(name = "backbone", seed = 1): tf.LayersModel {
  const input = tf.input({ shape: [16, 16, 3], name: `${name}_in` });
  let x = tf.layers
    .conv2d({
      filters: 4,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      name: "c1",
      kernelInitializer: init(seed),
      biasInitializer: init(seed + 1),
    })
    .apply(input) as Symbolic;
  x = tf.layers
    .batchNormalization({
      name: "bn",
      gammaInitializer: init(seed + 2),
      betaInitializer: init(seed + 3),
      movingMeanInitializer: init(seed + 4),
      movingVarianceInitializer: "ones",
    })
    .apply(x) as Symbolic;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: "p1" }).apply(x) as Symbolic;
  x = tf.layers
    .conv2d({
      filters: 6,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      name: "c2",
      kernelInitializer: init(seed + 5),
      biasInitializer: init(seed + 6),
    })
    .apply(x) as Symbolic;
  return tf.model({ inputs: input, outputs: x, name });
}

/** image → stem (1×1 conv, the outer model's own preprocessing) → backbone → side conv → GAP → head. */
function transferModel(): { model: tf.LayersModel; inner: tf.LayersModel } {
  const inner = innerCnn();
  const image = tf.input({ shape: [16, 16, 3], name: "image" });
  const stem = tf.layers
    .conv2d({ filters: 3, kernelSize: 1, name: "stem", kernelInitializer: init(20), biasInitializer: init(21) })
    .apply(image) as Symbolic;
  const features = inner.apply(stem) as Symbolic;
  const side = tf.layers
    .conv2d({ filters: 5, kernelSize: 1, activation: "relu", name: "side", kernelInitializer: init(22) })
    .apply(features) as Symbolic;
  const pooled = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(side) as Symbolic;
  const head = tf.layers
    .dense({ units: 3, activation: "softmax", name: "head", kernelInitializer: init(23) })
    .apply(pooled) as Symbolic;
  return { model: tf.model({ inputs: image, outputs: head, name: "transfer" }), inner };
}

const image = () => tf.randomNormal([16, 16, 3], 0, 1, "float32", 7) as tf.Tensor3D;

/** What the inner layer computes for `x`, straight from the inner model: the stem's output fed to its sub-model. */
function reference(model: tf.LayersModel, inner: tf.LayersModel, layer: string, x: tf.Tensor3D): Float32Array {
  return tf.tidy(() => {
    const stemmed = model.getLayer("stem").apply(x.expandDims(0)) as tf.Tensor;
    const sub = tf.model({ inputs: inner.inputs, outputs: inner.getLayer(layer).output as Symbolic });
    const out = sub.predict(stemmed) as tf.Tensor4D;
    const [, h, w, c] = out.shape;
    return out
      .reshape([h * w, c])
      .transpose()
      .dataSync() as Float32Array; // channel planes
  });
}

function assertClose(mine: Float32Array, want: Float32Array, what: string): void {
  assert.equal(mine.length, want.length, what);
  const scale = Math.max(...want.map(Math.abs));
  const worst = Math.max(...mine.map((v, i) => Math.abs(v - want[i])));
  assert.ok(scale > 0 && worst <= 1e-5 * scale, `${what}: off by ${worst} (largest |value| ${scale})`);
}

test("the flat view: same output as the model, inner layers by path, the user's model untouched", () => {
  const { model, inner } = transferModel();
  const view = layersView(model);
  assert.notEqual(view, model);
  assert.equal(layersView(model), view, "built once");
  assert.deepEqual(
    view.layers.map((l) => l.name),
    ["image", "stem", "backbone/c1", "backbone/bn", "backbone/p1", "backbone/c2", "side", "gap", "head"],
  );
  assert.equal(view.inputs[0], model.inputs[0], "the model's own input");
  assert.ok(
    view.weights.every((w) => model.weights.includes(w)) && view.weights.length === model.weights.length,
    "the model's own weights",
  );
  const x = tf.randomNormal([2, 16, 16, 3], 0, 1, "float32", 3);
  const [a, b] = [model.predict(x) as tf.Tensor, view.predict(x) as tf.Tensor];
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  // tfjs refuses `layer.output` for a layer applied twice: the view never applies the model's layers again
  for (const layer of [...inner.layers, ...model.layers.filter((l) => l !== inner)])
    assert.equal(layerNodes(layer).length, 1, layer.name);
  assert.ok(inner.getLayer("c2").output, "still usable on its own");
  assert.equal(layersView(inner), inner, "a model without nested models is its own view");
  tf.dispose([a, b, x]);
  model.dispose();
});

test("featureMaps by path equals the inner model's own output for the stem's tensor", async () => {
  const { model, inner } = transferModel();
  const x = image();
  const paths = ["backbone/c1", "backbone/bn", "backbone/c2", "side"];
  const maps = await convlens.featureMaps(model, x, paths);
  assert.deepEqual(
    maps.map((m) => m.layer),
    [
      { name: "backbone/c1", index: 2 },
      { name: "backbone/bn", index: 3 },
      { name: "backbone/c2", index: 5 },
      { name: "side", index: 6 },
    ],
  );
  for (const name of ["c1", "bn", "c2"])
    assertClose(maps[paths.indexOf(`backbone/${name}`)].data, reference(model, inner, name, x), name);
  assert.deepEqual([maps[2].height, maps[2].width, maps[2].channels], [8, 8, 6]);
  // the graph stops at BatchNormalization (feature-graph.ts has no translation for it); before it, it runs
  const engine = convlens.featureMapsEngine(model, paths);
  assert.match(
    engine.engine === "layers" ? engine.reason : "graph",
    /layer 3 "backbone\/bn" \(BatchNormalization\): no graph translation/,
  );
  assert.deepEqual(convlens.featureMapsEngine(model, ["stem", "backbone/c1"]), { engine: "graph" });
  const [onGraph] = await convlens.featureMaps(model, x, "backbone/c1");
  assertClose(onGraph.data, reference(model, inner, "c1", x), "c1 on the graph");
  assert.deepEqual(convlens.featureMapsEngine(model, "backbone/c1"), { engine: "graph" }, "the run did not fall back");
  x.dispose();
  model.dispose();
});

test("by the inner name alone, by the nested model's name, by index; the LayersModel path agrees", async () => {
  const { model, inner } = transferModel();
  const x = image();
  const [alone, whole, byIndex] = await convlens.featureMaps(model, x, ["c2", "backbone", 5]);
  for (const map of [alone, whole, byIndex]) assert.deepEqual(map.layer, { name: "backbone/c2", index: 5 });
  // the same on tfjs's own eager path (the graph is per backend: the cpu backend has none)
  const backend = tf.getBackend();
  await tf.setBackend("cpu");
  try {
    const [eager] = await convlens.featureMaps(model, x, "backbone/c2");
    assertClose(eager.data, reference(model, inner, "c2", x), "c2 on the cpu backend");
  } finally {
    await tf.setBackend(backend);
  }
  x.dispose();
  model.dispose();
});

test("filters and biases by path are the inner layer's weights; convLayers and summary list the inner layers", () => {
  const { model, inner } = transferModel();
  const raw = convlens.filters(model, "backbone/c2", { normalise: "raw" });
  const kernel = inner.getLayer("c2").getWeights()[0].arraySync() as number[][][][]; // [kh][kw][in][out]
  assert.deepEqual([raw.layer, raw.totalFilters, raw.totalInChannels], [{ name: "backbone/c2", index: 5 }, 6, 4]);
  assert.equal(raw.data[((5 * 4 + 3) * 3 + 2) * 3 + 1], Math.fround(kernel[2][1][3][5]));
  assert.deepEqual(
    Array.from(convlens.biases(model, "backbone/c1") ?? []),
    Array.from(inner.getLayer("c1").getWeights()[1].dataSync()),
  );
  const convs = convlens.convLayers(model);
  assert.deepEqual(
    convs.map((c) => [c.index, c.name]),
    [
      [1, "stem"],
      [2, "backbone/c1"],
      [5, "backbone/c2"],
      [6, "side"],
    ],
  );
  // the explorer hands those indices back
  for (const c of convs) assert.equal(convlens.filters(model, c.index).layer.name, c.name);
  const s = convlens.summary(model);
  assert.deepEqual(
    s.rows.map((r) => r.name),
    layersView(model).layers.map((l) => l.name),
  );
  assert.equal(s.totalParams, model.countParams());
  assert.match(s.text, / 5 {2}backbone\/c2 \(Conv2D\) +\(None, 8, 8, 6\) +222\n/);
  model.dispose();
});

test("a path to a missing layer, an ambiguous inner name and an index out of range are clear errors", () => {
  const inner = innerCnn("left", 1);
  const other = innerCnn("right", 9);
  const pixels = tf.input({ shape: [16, 16, 3], name: "pixels" });
  const both = tf.layers
    .concatenate({ name: "both" })
    .apply([inner.apply(pixels), other.apply(pixels)] as Symbolic[]) as Symbolic;
  const model = tf.model({ inputs: pixels, outputs: both, name: "twins" });
  assert.throws(
    () => convlens.filters(model, "left/c3"),
    /convlens: model "twins" has no layer named "left\/c3"; nearest names: left\/c1, left\/c2/,
  );
  assert.throws(
    () => convlens.filters(model, "c2"),
    /more than one nested model has a layer "c2": left\/c2, right\/c2; give its path/,
  );
  assert.throws(
    () => convlens.filters(model, 11),
    /layer index 11 is out of range: model "twins" has 10 layers \(the layers inside its nested models counted/,
  );
  assert.equal(
    resolveLayer(model, "right/c2").layer.getWeights()[0].dataSync()[0],
    other.getLayer("c2").getWeights()[0].dataSync()[0],
  );
  model.dispose();
});

test("a Sequential nested in a model, and a nested model inside a nested model, by path", async () => {
  const inner = innerCnn("core", 3);
  const middleIn = tf.input({ shape: [16, 16, 3], name: "middle_in" });
  const middle = tf.model({ inputs: middleIn, outputs: inner.apply(middleIn) as Symbolic, name: "middle" });
  const block = tf.sequential({
    name: "block",
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 6], filters: 2, kernelSize: 1, name: "mix", kernelInitializer: init(40) }),
    ],
  });
  const pixels = tf.input({ shape: [16, 16, 3], name: "pixels" });
  const model = tf.model({ inputs: pixels, outputs: block.apply(middle.apply(pixels)) as Symbolic, name: "deep" });
  assert.deepEqual(
    convlens.convLayers(model).map((c) => c.name),
    ["middle/core/c1", "middle/core/c2", "block/mix"],
  );
  const x = image();
  const [maps] = await convlens.featureMaps(model, x, "block/mix");
  const want = tf.tidy(() => {
    const out = model.predict(x.expandDims(0)) as tf.Tensor4D;
    return out.reshape([64, 2]).transpose().dataSync() as Float32Array;
  });
  assertClose(maps.data, want, "block/mix is the model's output");
  x.dispose();
  model.dispose();
});

test("no tensor survives repeated featureMaps calls on a nested model, graph or not", async () => {
  const { model } = transferModel();
  const x = image();
  await convlens.featureMaps(model, x, ["backbone/c1", "side"]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) await convlens.featureMaps(model, x, ["backbone/c1", "backbone/p1", "side"]);
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  model.dispose();
});

test("a model nested in a Sequential, by path; a Sequential that changes gets a new view", () => {
  const inner = innerCnn("base", 5);
  const stem = tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 3, kernelSize: 1, name: "stem" });
  const model = tf.sequential({ name: "stack", layers: [stem, inner, tf.layers.flatten({ name: "flat" })] });
  const names = () => convlens.summary(model).rows.map((r) => r.name);
  // the view is a functional model: it lists the InputLayer tfjs made for the Sequential (model.layers does not)
  assert.deepEqual(names(), ["stem_input", "stem", "base/c1", "base/bn", "base/p1", "base/c2", "flat"]);
  model.add(tf.layers.dense({ units: 2, name: "out" }));
  assert.deepEqual(names().slice(-2), ["flat", "out"]);
  model.dispose();
});

test("gradCam and maximizeActivation take a nested layer by path", async () => {
  const { model, inner } = transferModel();
  const x = image();
  const cam = await convlens.gradCam(model, x, { layer: "backbone/c2", classIndex: 1 });
  assert.equal(cam.layer.name, "backbone/c2");
  // by hand: the inner model's c2 maps for the stem's output, the head's pre-softmax score of class 1
  const want = tf.tidy(() => {
    const stemmed = model.getLayer("stem").apply(x.expandDims(0)) as tf.Tensor;
    const maps = (tf.model({ inputs: inner.inputs, outputs: inner.getLayer("c2").output as Symbolic }).predict(stemmed) as tf.Tensor4D);
    const [kernel, bias] = model.getLayer("head").getWeights();
    const score = (a: tf.Tensor) => {
      const side = model.getLayer("side").apply(a) as tf.Tensor;
      return tf.matMul(side.mean([1, 2]), kernel).add(bias).slice([0, 1], [1, 1]).sum();
    };
    const weights = tf.grad(score)(maps).mean([0, 1, 2]);
    const map = tf.image.resizeBilinear(tf.relu(maps.mul(weights).sum(-1, true)) as tf.Tensor4D, [16, 16], false, true);
    return map.div(map.max()).dataSync() as Float32Array;
  });
  assertClose(cam.data, want, "Grad-CAM of backbone/c2");
  const before = tf.memory().numTensors;
  const maximized = await convlens.maximizeActivation(model, "backbone/c2", [0, 3], { steps: 4, seed: 3 });
  assert.deepEqual(maximized.channels.map((c) => c.channel), [0, 3]);
  assert.equal(maximized.layer.name, "backbone/c2");
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  model.dispose();
});
