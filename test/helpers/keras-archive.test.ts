// .keras archives written by the real Keras 3 (and tf-keras) in the venv load into convlens with the
// same outputs as Keras computes for them (keras_archives.py writes both), nested models' layers
// included; bad archives are convlens errors that say what to do.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import { strToU8, unzipSync, zipSync } from "fflate";
import * as convlens from "../../kernel-helpers/src/index";
import { tempDir } from "./fixtures";

const ROOT = resolve(__dirname, "..", "..");
const dir = tempDir("convlens-archives-test-");

interface Saved {
  file: string;
  shape: number[];
}
interface SavedModel {
  file: string;
  pred: Saved;
  /** layer (path) → its output for the input, as Keras computes it, [height, width, channels] */
  maps: Record<string, Saved>;
  params: number;
  /** Keras's model.layers, by name */
  layers: string[];
}
let models: Record<string, SavedModel>;

before(() => {
  const script = join(ROOT, "test", "helpers", "keras_archives.py");
  const run = spawnSync(join(ROOT, ".venv", "bin", "python"), [script, dir], {
    encoding: "utf8",
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "3" },
    timeout: 600_000,
  });
  assert.equal(run.status, 0, `keras_archives.py failed:\n${run.stderr}`);
  models = (JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { models: Record<string, SavedModel> }).models;
});

function read(name: string): Float32Array {
  const bytes = readFileSync(join(dir, name));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** A saved model's .keras archive, and one file in it. */
const archive = (name: string) => readFileSync(join(dir, models[name].file));
const member = (name: string, file: string) => unzipSync(archive(name), { filter: (f) => f.name === file })[file];

/** Within 1e-4 of the largest |value| Keras gives (as test_keras_parity.py compares). */
function assertClose(mine: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(mine.length, want.length, `${what}: sizes`);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    worst = Math.max(worst, Math.abs(mine[i] - want[i]));
  }
  assert.ok(scale > 0, `${what}: Keras's output is all zeros`);
  assert.ok(worst <= 1e-4 * scale, `${what}: off by ${worst} (largest |value| ${scale})`);
}

/** [height, width, channels] → convlens's channel planes [channels, height, width]. */
function planes(hwc: Float32Array, [height, width, channels]: number[]): Float32Array {
  const out = new Float32Array(hwc.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) out[(c * height + y) * width + x] = hwc[(y * width + x) * channels + c];
  return out;
}

const input = () => tf.tensor3d(read("input.f32"), [32, 32, 3]);

/** Loads one saved model and checks its prediction and feature maps against Keras's. */
async function assertLikeKeras(name: string, file = models[name].file): Promise<tf.LayersModel> {
  const saved = models[name];
  const model = await convlens.loadModel(join(dir, file));
  const x = input();
  const pred = tf.tidy(() => (model.predict(x.expandDims(0)) as tf.Tensor).dataSync());
  assertClose(pred, read(saved.pred.file), `${name}: prediction`);
  const layers = Object.keys(saved.maps);
  const maps = await convlens.featureMaps(model, x, layers);
  maps.forEach((map, i) => {
    const want = saved.maps[layers[i]];
    // by its path, or by its own name where tfjs took its layers into the outer model (Sequential([base, …]))
    assert.ok(map.layer.name === layers[i] || layers[i].endsWith(`/${map.layer.name}`), map.layer.name);
    assert.deepEqual([map.height, map.width, map.channels], want.shape, `${name}: ${layers[i]} shape`);
    assertClose(map.data, planes(read(want.file), want.shape), `${name}: ${layers[i]} feature maps`);
  });
  assert.equal(convlens.summary(model).totalParams, saved.params, `${name}: parameters, as Keras counts them`);
  x.dispose();
  return model;
}

test("a Keras 3 Sequential CNN (BatchNormalization, depthwise and separable convs, Rescaling) computes what Keras does", async () => {
  const model = await assertLikeKeras("seq");
  assert.deepEqual(
    model.layers.map((l) => l.getClassName()),
    [
      "Rescaling",
      "Conv2D",
      "BatchNormalization",
      "MaxPooling2D",
      "DepthwiseConv2D",
      "ReLU",
      "ZeroPadding2D",
      "SeparableConv2D",
      "AveragePooling2D",
      "Flatten",
      "Dropout",
      "Dense",
    ],
  );
  // indexed as in Keras: a Sequential's layers do not include its InputLayer
  assert.deepEqual(
    convlens.summary(model).rows.map((r) => r.name),
    models.seq.layers,
  );
  model.dispose();
});

test("a Keras 3 Functional CNN (residual Add, Concatenate, two global poolings) computes what Keras does", async () => {
  const model = await assertLikeKeras("functional");
  assert.deepEqual(
    convlens.summary(model).rows.map((r) => r.name),
    models.functional.layers,
  );
  model.dispose();
});

test("Keras's VGG16 inside a transfer-learning model: loads, and its layers by path give Keras's intermediate outputs", async () => {
  const model = await assertLikeKeras("transfer");
  const convs = convlens.convLayers(model);
  assert.equal(convs.length, 13);
  assert.ok(
    convs.every((c) => c.name.startsWith("vgg16/block")),
    convs.map((c) => c.name).join(", "),
  );
  // the inner name alone, and a conv layer's filters
  const [byName] = await convlens.featureMaps(model, input(), "block5_conv3");
  assert.equal(byName.layer.name, "vgg16/block5_conv3");
  const vgg = model.getLayer("vgg16") as tf.LayersModel;
  const kernel = vgg.getLayer("block1_conv1").getWeights()[0].dataSync();
  const stack = convlens.filters(model, "vgg16/block1_conv1", { normalise: "raw", filters: 1, channels: 1 });
  assert.deepEqual(
    Array.from(stack.data),
    [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => kernel[i * 3 * 64]),
  );
  model.dispose();
});

test("a small CNN and a Sequential block nested in one Keras 3 model give Keras's outputs by path", async () => {
  const model = await assertLikeKeras("nested");
  assert.deepEqual(
    convlens.summary(model).rows.map((r) => r.name),
    [
      "pixels",
      "unit",
      "backbone/conv_a",
      "backbone/bn_a",
      "backbone/pool_a",
      "backbone/conv_b",
      "block/mix",
      "block/mix_relu",
      "flat",
      "out",
    ],
  );
  model.dispose();
});

test("Sequential([base, pooling, head]) and a model whose output is a nested Sequential's give Keras's outputs", async () => {
  const stacked = await assertLikeKeras("stacked");
  // tfjs's Sequential takes over a model given as its first layer: its layers keep their own names
  assert.deepEqual(
    convlens.summary(stacked).rows.map((r) => r.name),
    ["base_in", "base_conv", "base_bn", "base_pool", "pooled", "scores"],
  );
  const [plain] = await convlens.featureMaps(stacked, input(), "base_conv");
  assert.deepEqual(plain.layer, { name: "base_conv", index: 1 });
  stacked.dispose();
  (await assertLikeKeras("ends")).dispose();
});

test("tf-keras .keras archives (Keras 2 configs) load too, and a Keras 2 .h5 named .keras is read as one", async () => {
  const model = await assertLikeKeras("tfkeras");
  model.dispose();
  copyFileSync(join(dir, "tfkeras_h5.h5"), join(dir, "tfkeras_h5.keras"));
  const fromH5 = await convlens.loadModel(join(dir, "tfkeras_h5.keras"));
  const pred = tf.tidy(() => (fromH5.predict(input().expandDims(0)) as tf.Tensor).dataSync());
  assertClose(pred, read(models.tfkeras.pred.file), "tf-keras .h5 named .keras");
  fromH5.dispose();
});

test("a .keras folder (Keras's save with zipped=False) loads as the archive does", async () => {
  const folder = join(dir, "unzipped.keras");
  mkdirSync(folder);
  for (const [name, bytes] of Object.entries(unzipSync(archive("functional"))))
    writeFileSync(join(folder, name), bytes);
  const model = await convlens.loadModel(folder);
  const pred = tf.tidy(() => (model.predict(input().expandDims(0)) as tf.Tensor).dataSync());
  assertClose(pred, read(models.functional.pred.file), "from a folder");
  model.dispose();
});

test("loading and disposing a .keras model leaves no tensor behind; the temporary weights file is gone", async () => {
  const file = join(dir, models.seq.file);
  (await convlens.loadModel(file)).dispose(); // warm-up: tfjs keeps a few tensors of its own
  const before = tf.memory().numTensors;
  const unpacked = () => readdirSync(tmpdir()).filter((name) => name.startsWith("convlens-keras-"));
  const folders = unpacked();
  (await convlens.loadModel(file)).dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(unpacked(), folders);
});

/** Writes `bytes` as `name` and returns the error loadModel gives for it (leaving no tensor behind). */
async function loadError(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const before = tf.memory().numTensors;
  const error = await convlens.loadModel(path).then(
    () => assert.fail(`${name} loaded`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof convlens.ConvlensError, String(error));
  if (process.env.SHOW_ERRORS) console.log(error.message);
  assert.equal(tf.memory().numTensors, before, `${name}: no tensor left behind`);
  return error.message;
}

test("bad archives: not a zip, empty, no config.json, cut short, no weights, corrupt JSON: each a clear error", async () => {
  assert.match(
    await loadError("text.keras", strToU8("not a model")),
    /text\.keras is not a \.keras archive .*model\.save\("model\.keras"\)/,
  );
  assert.match(await loadError("empty.keras", zipSync({})), /is an empty zip archive, not a Keras model/);
  const noConfig = zipSync({
    "metadata.json": member("seq", "metadata.json"),
    "model.weights.h5": member("seq", "model.weights.h5"),
  });
  assert.match(
    await loadError("no-config.keras", noConfig),
    /is a zip archive but not a Keras model: it has no config\.json \(its files: metadata\.json, model\.weights\.h5\)/,
  );
  const whole = archive("seq");
  assert.match(await loadError("cut.keras", whole.subarray(0, whole.length >> 1)), /cut short .*truncated/);
  assert.match(
    await loadError("no-weights.keras", zipSync({ "config.json": member("seq", "config.json") })),
    /has no model\.weights\.h5/,
  );
  const npz = zipSync({ "config.json": member("seq", "config.json"), "model.weights.npz": strToU8("x") });
  assert.match(
    await loadError("npz.keras", npz),
    /keeps its weights in model\.weights\.npz; convlens reads model\.weights\.h5/,
  );
  assert.match(
    await loadError(
      "bad-json.keras",
      zipSync({ "config.json": strToU8("{"), "model.weights.h5": member("seq", "model.weights.h5") }),
    ),
    /config\.json is not valid JSON/,
  );
});

test("an archive whose weights belong to another model, an unsupported layer and a subclassed model are clear errors", async () => {
  const mixed = zipSync({
    "config.json": member("seq", "config.json"),
    "model.weights.h5": member("functional", "model.weights.h5"),
  });
  assert.match(await loadError("mixed.keras", mixed), /model\.weights\.h5 (has no variables for|keeps layer)/);
  const unsupported = await loadError("unsupported.keras", readFileSync(join(dir, "unsupported.keras")));
  assert.match(
    unsupported,
    /cannot rebuild layer "norm" \(LayerNormalization\)\. It reads Sequential and Functional models made of InputLayer, Conv2D/,
  );
  assert.match(unsupported, /tensorflowjs_converter/);
  const subclassed = JSON.stringify({
    module: "my_models",
    class_name: "MyModel",
    config: {},
    registered_name: "Custom>MyModel",
  });
  const custom = zipSync({ "config.json": strToU8(subclassed), "model.weights.h5": member("seq", "model.weights.h5") });
  assert.match(
    await loadError("custom.keras", custom),
    /holds a MyModel model: convlens rebuilds Keras Sequential and Functional models only/,
  );
});
