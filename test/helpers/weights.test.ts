import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import { loadKerasWeights, loadModel, vgg16, vgg19 } from "../../kernel-helpers/src/index";
import { h5wasm } from "../../kernel-helpers/src/models/h5";
import { serveFiles, tempDir, tinyCnn, writeKerasWeights } from "./fixtures";

const weightsOf = (model: tf.LayersModel) => model.weights.map((w) => Array.from(w.read().dataSync()));

test("a Keras-layout .h5 round-trips every weight into a fresh model", async () => {
  const dir = tempDir();
  const source = tinyCnn({ seed: 1 });
  const target = tinyCnn({ seed: 2 });
  await writeKerasWeights(source, join(dir, "w.h5"));
  assert.notDeepEqual(weightsOf(target), weightsOf(source));
  await loadKerasWeights(target, join(dir, "w.h5"));
  assert.deepEqual(weightsOf(target), weightsOf(source));
  source.dispose();
  target.dispose();
});

test("vgg16 and vgg19 have Keras's layer names at Keras's indices", async () => {
  const model = await vgg16({ weights: null });
  assert.deepEqual(
    [2, 5, 9, 13, 17].map((i) => model.layers[i].name),
    ["block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3"],
  );
  assert.equal(model.layers[0].name, "input_1");
  assert.equal(model.layers.length, 19);
  assert.equal(model.layers[18].name, "block5_pool");
  model.dispose();
  const nineteen = await vgg19({ weights: null, inputShape: [64, 64, 3] });
  assert.equal(nineteen.layers.length, 22);
  assert.equal(nineteen.layers[20].name, "block5_conv4");
  nineteen.dispose();
});

test("a mismatched file leaves the model untouched and names the layer and weight", async () => {
  const dir = tempDir();
  const other = tinyCnn({ seed: 3 });
  await writeKerasWeights(other, join(dir, "wrong.h5"), { wrongShapeLayer: "conv_b" });
  const model = tinyCnn({ seed: 4 });
  const before = weightsOf(model);
  await assert.rejects(loadKerasWeights(model, join(dir, "wrong.h5")), /layer "conv_b", weight "conv_b\/kernel:0" has shape \[3, 3, 4, 7\] in the file but the model expects \[3, 3, 4, 6\]/);
  assert.deepEqual(weightsOf(model), before);
  other.dispose();
  model.dispose();
});

test("a tfjs LayersModel folder (model.json) loads with file://", async () => {
  const dir = tempDir();
  const source = tinyCnn({ seed: 5 });
  await source.save(`file://${dir}`);
  const loaded = await loadModel(dir);
  assert.deepEqual(loaded.layers.map((l) => l.name), source.layers.map((l) => l.name));
  assert.deepEqual(weightsOf(loaded), weightsOf(source));
  source.dispose();
  loaded.dispose();
});

test("a tfjs model.json also loads from a URL", async () => {
  const dir = tempDir();
  const source = tinyCnn({ seed: 6 });
  await source.save(`file://${dir}`);
  const server = await serveFiles({
    "/m/model.json": readFileSync(join(dir, "model.json")),
    "/m/weights.bin": readFileSync(join(dir, "weights.bin")),
  });
  try {
    const loaded = await loadModel(`${server.url}/m/model.json`);
    assert.deepEqual(weightsOf(loaded), weightsOf(source));
    loaded.dispose();
  } finally {
    await server.close();
    source.dispose();
  }
});

test("weights from a URL: progress, a cache hit the second time, a truncated download cached nowhere", async () => {
  const dir = tempDir();
  const cacheDir = join(dir, "cache");
  const source = tinyCnn({ seed: 7 });
  await writeKerasWeights(source, join(dir, "w.h5"));
  const bytes = readFileSync(join(dir, "w.h5"));
  writeFileSync(join(dir, "junk.h5"), Buffer.from("not hdf5 at all"));
  const server = await serveFiles({ "/w/tiny.h5": bytes, "/w/cut.h5": bytes, "/w/junk.h5": readFileSync(join(dir, "junk.h5")), "/w/zipped.h5": bytes }, ["/w/cut.h5"], ["/w/zipped.h5"]);
  try {
    const events: { loaded: number; total?: number; fromCache: boolean; done: boolean }[] = [];
    const model = tinyCnn({ seed: 8 });
    await loadKerasWeights(model, `${server.url}/w/tiny.h5`, { cacheDir, onProgress: (p) => events.push(p) });
    assert.deepEqual(weightsOf(model), weightsOf(source));
    assert.ok(events.length >= 3, `progress reported ${events.length} times`);
    assert.deepEqual(events.at(-1), { url: `${server.url}/w/tiny.h5`, loaded: bytes.length, total: bytes.length, fromCache: false, done: true });
    assert.ok(events.every((e, i) => i === 0 || e.loaded >= events[i - 1].loaded));
    assert.ok(existsSync(join(cacheDir, "tiny.h5")));

    const second: { fromCache: boolean }[] = [];
    const again = tinyCnn({ seed: 9 });
    await loadKerasWeights(again, `${server.url}/w/tiny.h5`, { cacheDir, onProgress: (p) => second.push(p) });
    assert.equal(server.hits.get("/w/tiny.h5"), 1, "the second load must not download");
    assert.deepEqual(second.map((p) => p.fromCache), [true]);
    assert.deepEqual(weightsOf(again), weightsOf(source));

    await assert.rejects(loadKerasWeights(model, `${server.url}/w/cut.h5`, { cacheDir, onProgress: false }), /download of .*cut\.h5 was cut off after \d+ (of \d+ )?bytes.*nothing was cached/);
    await assert.rejects(loadKerasWeights(model, `${server.url}/w/junk.h5`, { cacheDir, onProgress: false }), /the file downloaded from .*\/w\/junk\.h5 is not usable: junk\.h5 is not an HDF5 file.*nothing was cached/);
    await assert.rejects(loadKerasWeights(model, `${server.url}/w/missing.h5`, { cacheDir, onProgress: false }), /server answered 404/);
    assert.deepEqual(readdirSync(cacheDir), ["tiny.h5"], "only the complete download is cached");
    // a gzip-encoded response: Content-Length counts compressed bytes, so it is no size check
    const zipped: { loaded: number; total?: number; done: boolean }[] = [];
    const unzipped = tinyCnn({ seed: 12 });
    await loadKerasWeights(unzipped, `${server.url}/w/zipped.h5`, { cacheDir, onProgress: (p) => zipped.push(p) });
    assert.deepEqual(weightsOf(unzipped), weightsOf(source));
    assert.deepEqual(zipped.at(-1), { url: `${server.url}/w/zipped.h5`, loaded: bytes.length, total: undefined, fromCache: false, done: true });
    unzipped.dispose();
    // and the model still works after the failures
    await loadKerasWeights(model, `${server.url}/w/tiny.h5`, { cacheDir, onProgress: false });
    model.dispose();
    again.dispose();
  } finally {
    await server.close();
    source.dispose();
  }
});

test("a file Keras already cached in KERAS_HOME/models is found without downloading", async () => {
  const home = tempDir();
  const source = tinyCnn({ seed: 10 });
  const { mkdirSync } = await import("node:fs");
  mkdirSync(join(home, "models"));
  await writeKerasWeights(source, join(home, "models", "cached.h5"));
  const saved = process.env.KERAS_HOME;
  process.env.KERAS_HOME = home;
  try {
    const model = tinyCnn({ seed: 11 });
    const events: boolean[] = [];
    // nothing listens on port 9: a download attempt would fail
    await loadKerasWeights(model, "http://127.0.0.1:9/x/cached.h5", { onProgress: (p) => events.push(p.fromCache) });
    assert.deepEqual(events, [true]);
    assert.deepEqual(weightsOf(model), weightsOf(source));
    model.dispose();
  } finally {
    if (saved === undefined) delete process.env.KERAS_HOME;
    else process.env.KERAS_HOME = saved;
    source.dispose();
  }
});

test("a full-model .h5 whose weights do not fit fails naming the weight, and leaks no tensor", async () => {
  const dir = tempDir();
  const source = tinyCnn({ seed: 12 });
  const path = join(dir, "full.h5");
  await writeKerasWeights(source, path, { wrongShapeLayer: "conv_a" });
  const h5 = await h5wasm();
  const file = new h5.File(path, "a");
  file.create_attribute("model_config", JSON.stringify(source.toJSON(null, false)));
  file.close();
  source.dispose();
  const before = tf.memory().numTensors;
  await assert.rejects(loadModel(path), /layer "conv_a", weight "conv_a\/kernel:0" has shape \[3, 3, 3, 5\] in the file but the model expects \[3, 3, 3, 4\]/);
  assert.equal(tf.memory().numTensors, before, "the model rebuilt from model_config was disposed");
});
