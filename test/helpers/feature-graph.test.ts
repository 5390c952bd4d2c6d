// featureMaps' TensorFlow graph (compute/graph/): every layer kind it translates gives the
// LayersModel's numbers, anything else falls back to the LayersModel and says why, weights set
// after the first call are used, and neither path leaks a tensor.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-node";
import * as convlens from "../../kernel-helpers/src/index";
import type { ChannelStack } from "../../kernel-helpers/src/types";
import { savedModelSessions } from "../../kernel-helpers/src/compute/tfjs-node-internals";
import { closeIdleSessions, releaseGraph } from "../../kernel-helpers/src/compute/graph/per-model";
import { IDLE_SESSIONS_KEPT } from "../../kernel-helpers/src/compute/graph/session-pool";
import { everyKind } from "./fixtures";

interface Expected {
  planes: Float32Array;
  height: number;
  width: number;
}

/** What the LayersModel itself gives for `indices`, as [C, H*W] planes. */
function eagerPlanes(model: tf.LayersModel, input: tf.Tensor, indices: number[]): Expected[] {
  return tf.tidy(() => {
    const sub = tf.model({ inputs: model.inputs, outputs: indices.map((i) => model.layers[i].output as tf.SymbolicTensor) });
    const out = sub.predict(input);
    return (Array.isArray(out) ? out : [out]).map((t) => {
      const [, height, width, channels] = t.shape as number[];
      return { planes: t.reshape([height * width, channels]).transpose().dataSync() as Float32Array, height, width };
    });
  });
}

// Both paths compute the same, but TF's fused kernels may round differently in the last bit.
function assertSameMaps(got: ChannelStack[], expected: Expected[], label: string): void {
  assert.equal(got.length, expected.length, `${label}: number of layers`);
  got.forEach((maps, i) => {
    const { planes, height, width } = expected[i];
    const name = `${label}: ${maps.layer.name}`;
    assert.deepEqual([maps.height, maps.width, maps.height * maps.width * maps.channels], [height, width, planes.length], `${name} shape`);
    assert.equal(maps.data.length, planes.length, `${name} size`);
    let scale = 0;
    let worst = 0;
    for (let k = 0; k < planes.length; k++) {
      scale = Math.max(scale, Math.abs(planes[k]));
      worst = Math.max(worst, Math.abs(maps.data[k] - planes[k]));
    }
    const tolerance = 1e-6 * Math.max(scale, 1);
    assert.ok(worst <= tolerance, `${name} differs by ${worst} (scale ${scale})`);
    assert.ok(Math.abs(maps.min - Math.min(...planes)) <= tolerance, `${name} min ${maps.min}`);
    assert.ok(Math.abs(maps.max - Math.max(...planes)) <= tolerance, `${name} max ${maps.max}`);
  });
}

/** Fails unless `model`'s graph answered every call so far (a failed run would fall back quietly). */
function assertStillGraph(model: tf.LayersModel, layers: number[]): void {
  assert.deepEqual(convlens.featureMapsEngine(model, layers), { engine: "graph" });
}

test("every layer kind the graph translates gives the LayersModel's feature maps", async () => {
  const model = everyKind([23, 19, 3]);
  const input = tf.randomNormal([1, 23, 19, 3], 0, 1, "float32", 5);
  const all = model.layers.map((_, i) => i).slice(1);
  assert.deepEqual(convlens.featureMapsEngine(model, all), { engine: "graph" });
  assertSameMaps(await convlens.featureMaps(model, input, all), eagerPlanes(model, input, all), "every kind");
  // the input layer itself, and a layer asked for twice (each gets its own planes)
  const twice = await convlens.featureMaps(model, input, [0, 2, 2]);
  const [inputMaps, second] = eagerPlanes(model, input, [0, 2]);
  assertSameMaps(twice, [inputMaps, second, second], "input and repeats");
  assert.notEqual(twice[1].data, twice[2].data);
  assertStillGraph(model, all);
  input.dispose();
  model.dispose();
});

test("a model without a fixed input size: the graph reads each layer's height and width", async () => {
  const model = everyKind([null, null, 3]);
  const all = model.layers.map((_, i) => i).slice(1);
  assert.deepEqual(convlens.featureMapsEngine(model, all), { engine: "graph" });
  for (const [h, w] of [[20, 17], [31, 12]]) {
    const input = tf.randomNormal([1, h, w, 3], 0, 1, "float32", h);
    assertSameMaps(await convlens.featureMaps(model, input, all), eagerPlanes(model, input, all), `${h}×${w}`);
    input.dispose();
  }
  // an image too small for the model leaves layers of 0×0 pixels: an error naming the first
  const tiny = tf.zeros([1, 2, 2, 3]);
  await assert.rejects(convlens.featureMaps(model, tiny, all), /layer 2 "valid_stride2_linear" has no pixels left \(0×0\) for a 2×2 image: the image is too small for this model/);
  tiny.dispose();
  assertStillGraph(model, all);
  model.dispose();
});

test("weights set after the first call are the ones used", async () => {
  const model = everyKind([16, 16, 3]);
  const input = tf.randomNormal([1, 16, 16, 3], 0, 1, "float32", 6);
  const before = await convlens.featureMaps(model, input, [1, 2]);
  const conv = model.getLayer("valid_stride2_linear");
  const [kernel, bias] = conv.getWeights();
  conv.setWeights([tf.neg(kernel), tf.onesLike(bias)]);
  const after = await convlens.featureMaps(model, input, [1, 2]);
  assert.deepEqual(after[0].data, before[0].data, "an unchanged layer stays the same");
  assert.notDeepEqual(after[1].data, before[1].data, "the changed layer changes");
  assertSameMaps(after, eagerPlanes(model, input, [1, 2]), "after setWeights");
  assertStillGraph(model, [1, 2]);
  input.dispose();
  model.dispose();
});

test("a layer the graph cannot run: featureMaps falls back to the LayersModel, says why, and leaks nothing", async () => {
  const input = tf.input({ shape: [12, 12, 3] });
  const padded = tf.layers.zeroPadding2d({ name: "pad", padding: 1 }).apply(input) as tf.SymbolicTensor;
  const conv = tf.layers.conv2d({ name: "conv_after_pad", filters: 4, kernelSize: 3, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }) }).apply(padded) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: conv, name: "padded" });
  const engine = convlens.featureMapsEngine(model, ["conv_after_pad"]);
  assert.equal(engine.engine, "layers");
  assert.match((engine as { reason: string }).reason, /layer 1 "pad" \(ZeroPadding2D\): no graph translation for this layer type/);
  const x = tf.randomNormal([1, 12, 12, 3], 0, 1, "float32", 8);
  const [pad, conv2] = eagerPlanes(model, x, [1, 2]);
  const repeated = await convlens.featureMaps(model, x, [1, 2, 2]);
  assertSameMaps(repeated, [pad, conv2, conv2], "fallback, a layer asked for twice");
  assert.notEqual(repeated[1].data, repeated[2].data);
  const tensors = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) await convlens.featureMaps(model, x, [1, 2]);
  assert.equal(tf.memory().numTensors, tensors);
  x.dispose();
  model.dispose();
});

test("VGG16 and a Sequential model run all their conv layers in the graph", async () => {
  const vgg = await convlens.vgg16({ weights: null });
  const conv = convlens.convLayers(vgg).map((l) => l.index);
  assert.equal(conv.length, 13);
  assert.deepEqual(convlens.featureMapsEngine(vgg, conv), { engine: "graph" });
  assert.deepEqual(convlens.featureMapsEngine(vgg, [2, 5, 9, 13, 17]), { engine: "graph" });
  vgg.dispose();
  const seq = tf.sequential({ name: "seq" });
  seq.add(tf.layers.conv2d({ inputShape: [10, 10, 3], filters: 3, kernelSize: 3, activation: "relu", name: "c1" }));
  seq.add(tf.layers.maxPooling2d({ poolSize: 2, name: "p1" }));
  seq.add(tf.layers.flatten({ name: "flat" }));
  seq.add(tf.layers.dense({ units: 2, name: "d" }));
  assert.deepEqual(convlens.featureMapsEngine(seq, ["c1", "p1"]), { engine: "graph" });
  const x = tf.randomNormal([1, 10, 10, 3], 0, 1, "float32", 2);
  assertSameMaps(await convlens.featureMaps(seq, x, [0, 1]), eagerPlanes(seq, x, [0, 1]), "sequential");
  assertStillGraph(seq, [0, 1]);
  x.dispose();
  seq.dispose();
});

test("a Sequential changed by pop() and add() after a call gets its new layers' maps, on both paths", async () => {
  for (const padFirst of [false, true]) {
    const seq = tf.sequential({ name: padFirst ? "padded_seq" : "seq" });
    if (padFirst) seq.add(tf.layers.zeroPadding2d({ inputShape: [9, 9, 3], padding: 1, name: "pad" }));
    seq.add(tf.layers.conv2d({ ...(padFirst ? {} : { inputShape: [9, 9, 3] }), filters: 3, kernelSize: 3, name: "first", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
    seq.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, name: "old", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
    const last = seq.layers.length - 1;
    const x = tf.randomNormal([1, 9, 9, 3], 0, 1, "float32", 4);
    await convlens.featureMaps(seq, x, [last]);
    seq.pop();
    seq.add(tf.layers.conv2d({ filters: 2, kernelSize: 1, name: "new", kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
    const [maps] = await convlens.featureMaps(seq, x, [last]);
    assert.equal(maps.layer.name, "new");
    assertSameMaps([maps], eagerPlanes(seq, x, [last]), padFirst ? "LayersModel path" : "graph path");
    assert.equal(convlens.featureMapsEngine(seq, [last]).engine, padFirst ? "layers" : "graph");
    x.dispose();
    seq.dispose();
  }
});

test("models of one architecture share one TF session, each run with its own weights; unused sessions stay idle, up to a cap", async () => {
  const backend = savedModelSessions();
  assert.ok(backend, "tfjs-node's TF sessions");
  closeIdleSessions();
  const before = backend.openCount();
  // an input size no other test uses: no other model holds this architecture's session
  const input = tf.randomNormal([1, 21, 17, 3], 0, 1, "float32", 7);
  const [a, b, c] = [everyKind([21, 17, 3]), everyKind([21, 17, 3]), everyKind([21, 17, 3])];
  // b and c: the same layers, other weights
  for (const [model, factor] of [[b, -0.5], [c, 1.7]] as const) {
    const scaled = model.getWeights().map((w) => w.mul(factor));
    model.setWeights(scaled);
    tf.dispose(scaled);
  }
  const all = a.layers.map((_, i) => i).slice(1);
  const [expectA, expectB, expectC] = [eagerPlanes(a, input, all), eagerPlanes(b, input, all), eagerPlanes(c, input, all)];
  assert.notDeepEqual(expectA[0].planes, expectB[0].planes, "the fixture's models differ");
  assertSameMaps(await convlens.featureMaps(a, input, all), expectA, "first model");
  assertSameMaps(await convlens.featureMaps(b, input, all), expectB, "second model, in the first one's session");
  assertStillGraph(b, all);
  assert.equal(backend.openCount(), before + 1, "one session for both");
  releaseGraph(a);
  releaseGraph(b);
  assert.equal(backend.openCount(), before + 1, "nobody uses it: kept, idle");
  assertSameMaps(await convlens.featureMaps(c, input, all), expectC, "a third model, in the idle session");
  assert.equal(backend.openCount(), before + 1);
  releaseGraph(c);
  // other architectures (other input sizes): the latest IDLE_SESSIONS_KEPT idle sessions stay open
  for (const size of [9, 10, 11]) {
    const other = everyKind([size, size, 3]);
    const x = tf.randomNormal([1, size, size, 3], 0, 1, "float32", size);
    assertSameMaps(await convlens.featureMaps(other, x, all), eagerPlanes(other, x, all), `${size} px`);
    releaseGraph(other);
    tf.dispose([x]);
    other.dispose();
  }
  assert.equal(backend.openCount(), before + IDLE_SESSIONS_KEPT);
  assert.equal(closeIdleSessions(), IDLE_SESSIONS_KEPT);
  assert.equal(backend.openCount(), before);
  tf.dispose([input]);
  [a, b, c].forEach((model) => model.dispose());
});

test("a conv with both strides and dilation above 1 is left to tfjs, which refuses it", () => {
  const input = tf.input({ shape: [16, 16, 3] });
  const conv = tf.layers.conv2d({ name: "strided_dilated", filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: conv });
  assert.deepEqual(convlens.featureMapsEngine(model, [1]), { engine: "layers", reason: 'layer 1 "strided_dilated" (Conv2D): strides and dilation both above 1' });
  model.dispose();
});

test("if TensorFlow fails to run the graph, featureMaps says so once and answers from the LayersModel", async (t) => {
  const model = everyKind([12, 12, 3]);
  const x = tf.randomNormal([1, 12, 12, 3], 0, 1, "float32", 3);
  const backend = savedModelSessions();
  assert.ok(backend, "tfjs-node's TF sessions");
  const warnings: string[] = [];
  t.mock.method(console, "warn", (line: string) => warnings.push(line));
  assertStillGraph(model, [1, 3]);
  const sessions = backend.openCount();
  // failures TF and tfjs could give; nothing in convlens is stubbed
  const graphFails = t.mock.method(backend, "run", () => {
    throw new Error("No OpKernel was registered to support Op 'Conv2D'");
  });
  // both paths failing is the input's (or the model's) fault: tfjs's error, and the graph is kept
  const layersFail = t.mock.method(tf.LayersModel.prototype, "predict", () => {
    throw new Error("tfjs: the LayersModel failed too");
  });
  await assert.rejects(convlens.featureMaps(model, x, [1, 3]), /the LayersModel failed too/);
  assert.deepEqual(warnings, []);
  assert.equal(backend.openCount(), sessions);
  layersFail.mock.restore();
  // the graph alone failing is the graph's fault: said once, session closed, LayersModel from now on
  assertSameMaps(await convlens.featureMaps(model, x, [1, 3]), eagerPlanes(model, x, [1, 3]), "after the failure");
  await convlens.featureMaps(model, x, [1]);
  assert.equal(graphFails.mock.callCount(), 2);
  assert.equal(backend.openCount(), sessions - 1, "the graph's session is closed");
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /convlens: feature maps of model "every_kind" are computed layer by layer \(slower\): TensorFlow could not run its graph: No OpKernel/);
  assert.match((convlens.featureMapsEngine(model, [1]) as { reason: string }).reason, /TensorFlow could not run its graph/);
  x.dispose();
  model.dispose();
});
