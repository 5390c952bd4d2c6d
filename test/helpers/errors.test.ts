// The bad-input suite: each bad call gets a clear ConvlensError naming the problem and the
// fix, and the next good call still works.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import * as convlens from "../../kernel-helpers/src/index";
import { h5wasm } from "../../kernel-helpers/src/models/h5";
import { pngBytes, tempDir, tinyCnn, writeKerasWeights } from "./fixtures";

interface BadInput {
  what: string;
  call: () => unknown;
  message: RegExp;
}

test("bad inputs give clear errors and leave the helpers working", async () => {
  const dir = tempDir();
  const model = tinyCnn({ seed: 1 });
  const good = tf.randomNormal([16, 16, 3], 0, 1, "float32", 9);
  const png = await pngBytes(16, 16, 3);
  writeFileSync(join(dir, "cat.png"), png);
  writeFileSync(join(dir, "notes.txt"), "hello, not an image");
  writeFileSync(join(dir, "cut.png"), Buffer.from(png).subarray(0, 60));
  await writeKerasWeights(model, join(dir, "good.h5"));
  writeFileSync(join(dir, "cut.h5"), readFileSync(join(dir, "good.h5")).subarray(0, 1500));
  await writeKerasWeights(model, join(dir, "no-conv_b.h5"), { skipLayer: "conv_b" });
  await writeKerasWeights(model, join(dir, "wide.h5"), { wrongShapeLayer: "conv_a" });
  const h5 = await h5wasm();
  const plain = new h5.File(join(dir, "plain.h5"), "w");
  plain.create_dataset({ name: "x", data: new Float32Array([1, 2]) });
  plain.close();
  mkdirSync(join(dir, "empty-folder"));
  const noTop = tf.model({ inputs: model.inputs, outputs: model.getLayer("pool_a").output as tf.SymbolicTensor, name: "no_top" });
  const disposed = tf.zeros([16, 16, 3]);
  disposed.dispose();

  const bad: BadInput[] = [
    { what: "unknown layer name", call: () => convlens.filters(model, "conv_c"), message: /model "tiny" has no layer named "conv_c"; nearest names: conv_a, conv_b/ },
    { what: "misspelt layer in featureMaps", call: () => convlens.featureMaps(model, good, ["Conv-B"]), message: /no layer named "Conv-B"; nearest names: conv_b, conv_a/ },
    { what: "index past the end", call: () => convlens.filters(model, 99), message: /layer index 99 is out of range: model "tiny" has 6 layers, so use an integer from 0 to 5/ },
    { what: "negative index", call: () => convlens.featureMaps(model, good, [-1]), message: /layer index -1 is out of range.*from 0 to 5/ },
    { what: "fractional index", call: () => convlens.filters(model, 1.5), message: /layer index 1.5 is out of range/ },
    { what: "layer given as a boolean", call: () => convlens.filters(model, true as unknown as string), message: /a layer is given by its name \(string\) or its index \(integer\), not boolean true/ },
    { what: "filters of a pooling layer", call: () => convlens.filters(model, "pool_a"), message: /layer 2 "pool_a" is a MaxPooling2D layer, which has no filters; layers with filters: 1 conv_a, 3 conv_b/ },
    { what: "filters of a dense layer", call: () => convlens.filters(model, 5), message: /"dense" is a Dense layer, which has no filters; layers with filters: 1 conv_a, 3 conv_b/ },
    { what: "unknown normalisation", call: () => convlens.filters(model, 1, { normalise: "zscore" as "raw" }), message: /normalise must be one of "minmax", "symmetric", "raw", not "zscore"/ },
    { what: "reversed filter range", call: () => convlens.filters(model, "conv_b", { filters: [5, 2] }), message: /filters range for "conv_b" \[5,2\] is not valid: give a count from 1 to 6, or a \[start, end\) pair with 0 ≤ start < end ≤ 6/ },
    { what: "too many filters", call: () => convlens.filters(model, "conv_a", { filters: 5 }), message: /filters range for "conv_a" 5 is not valid: give a count from 1 to 4/ },
    { what: "channel range past the end", call: () => convlens.filters(model, "conv_b", { channels: [0, 9] }), message: /channels range for "conv_b" \[0,9\] is not valid.*≤ 4/ },
    { what: "feature maps of a flatten layer", call: () => convlens.featureMaps(model, good, ["flatten"]), message: /layer 4 "flatten" \(Flatten\) has output shape \[null, 384\], not feature maps/ },
    { what: "no layers asked for", call: () => convlens.featureMaps(model, good, []), message: /needs at least one layer/ },
    { what: "missing image file", call: () => convlens.featureMaps(model, join(dir, "dog.png"), [1]), message: /image file .*dog\.png does not exist/ },
    { what: "image path is a folder", call: () => convlens.loadImage(join(dir, "empty-folder")), message: /is a folder; give an image file inside it/ },
    { what: "text file as image", call: () => convlens.loadImage(join(dir, "notes.txt")), message: /notes\.txt is not a JPEG, PNG, GIF or BMP file/ },
    { what: "truncated PNG", call: () => convlens.featureMaps(model, join(dir, "cut.png"), [1]), message: /cut\.png looks like PNG but cannot be decoded .*truncated or corrupt/ },
    { what: "empty buffer", call: () => convlens.loadImage(Buffer.alloc(0)), message: /image buffer is empty/ },
    { what: "image as a number", call: () => convlens.loadImage(42 as unknown as string), message: /an image is a file path, an http\(s\) URL or a Buffer of JPEG\/PNG bytes, not number 42/ },
    { what: "tensor of the wrong size", call: () => convlens.featureMaps(model, tf.zeros([8, 8, 3]), [1]), message: /an input tensor must have shape \[16, 16, 3\] or \[1, 16, 16, 3\] for model "tiny", not \[8, 8, 3\]/ },
    { what: "disposed tensor", call: () => convlens.featureMaps(model, disposed, [1]), message: /the image tensor has been disposed/ },
    { what: "a Promise instead of a model", call: () => convlens.summary(Promise.resolve(model) as unknown as tf.LayersModel), message: /summary\(\) needs a model .* not a Promise \(it is a Promise: add await/ },
    { what: "unknown preprocessing", call: () => convlens.featureMaps(model, join(dir, "cat.png"), [1], { preprocess: "caffee" as "caffe" }), message: /preprocess must be one of "caffe", "tf", "torch", "none", "unit", not "caffee"/ },
    { what: "predict without a classifier", call: () => convlens.predict(noTop, good), message: /predict\(\) needs a classifier: a model with one output of shape \[batch, classes\], but "no_top" outputs \[null, 8, 8, 4\]; for VGG build it with includeTop: true/ },
    { what: "predict with k = 0", call: () => convlens.predict(tinyCnn({ classes: 1000, name: "k0" }), good, 0), message: /k \(how many classes\) must be an integer from 1 to 1000, not number 0/ },
    { what: "predict with k above the classes", call: () => convlens.predict(model, good, { k: 11 }), message: /k \(how many classes\) must be an integer from 1 to 10, not number 11/ },
    { what: "predict with too few labels", call: () => convlens.predict(model, good, { labels: ["cat", "dog"] }), message: /model "tiny" has 10 classes but 2 labels were given; give one name per class, in output order/ },
    { what: "predict with a labels file that is not JSON", call: () => convlens.predict(model, good, { labels: join(dir, "notes.txt") }), message: /cannot read labels from .*notes\.txt: .*; it must be a JSON list of class names/ },
    { what: "predict with a misspelt option", call: () => convlens.predict(model, good, { top: 3 } as convlens.PredictOptions), message: /unknown predict option "top"; the options are k, labels, preprocess, resize/ },
    { what: "missing weights file", call: () => convlens.loadKerasWeights(model, join(dir, "none.h5")), message: /weights file .*none\.h5 does not exist/ },
    { what: "weights file that is not HDF5", call: () => convlens.loadKerasWeights(model, join(dir, "notes.txt")), message: /notes\.txt is not an HDF5 file/ },
    { what: "truncated weights file", call: () => convlens.loadKerasWeights(model, join(dir, "cut.h5")), message: /cannot open .*cut\.h5 as HDF5 \(.*\): the file is truncated or corrupt/ },
    { what: "HDF5 that is not a Keras file", call: () => convlens.loadKerasWeights(model, join(dir, "plain.h5")), message: /plain\.h5 is HDF5 but not a Keras weights file: it has no "layer_names" attribute/ },
    { what: "weights file without a layer", call: () => convlens.loadKerasWeights(model, join(dir, "no-conv_b.h5")), message: /no-conv_b\.h5 has no weights for layer "conv_b"; layers with weights in the file: conv_a, dense/ },
    { what: "weights of the wrong shape", call: () => convlens.loadKerasWeights(model, join(dir, "wide.h5")), message: /layer "conv_a", weight "conv_a\/kernel:0" has shape \[3, 3, 3, 5\] in the file but the model expects \[3, 3, 3, 4\]/ },
    { what: "misspelt VGG option", call: () => convlens.vgg16({ include_top: true } as convlens.VggOptions), message: /unknown VGG option "include_top"; the options are weights, includeTop, inputShape, cacheDir, onProgress/ },
    { what: "VGG weights of the wrong type", call: () => convlens.vgg16({ weights: 42 as unknown as string }), message: /weights is "imagenet", a path or URL of a .h5 file, or null for random weights; not number 42/ },
    { what: "VGG inputShape not a list", call: () => convlens.vgg16({ weights: null, inputShape: 224 as unknown as [number, number, number] }), message: /inputShape must be \[height, width, 3\] with height and width at least 32, not number 224/ },
    { what: "VGG top with another input size", call: () => convlens.vgg16({ weights: null, includeTop: true, inputShape: [128, 128, 3] }), message: /with includeTop the input must be \[224, 224, 3\]/ },
    { what: "model folder without model.json", call: () => convlens.loadModel(join(dir, "empty-folder")), message: /empty-folder has no model\.json/ },
    { what: "weights-only .h5 as a full model", call: () => convlens.loadModel(join(dir, "good.h5")), message: /good\.h5 holds weights only \(no model_config\)/ },
  ];
  assert.ok(bad.length >= 20);

  const expectedWeights = model.weights.map((w) => Array.from(w.read().dataSync()));
  for (const { what, call, message } of bad) {
    await assert.rejects(
      async () => call(),
      (error: unknown) => {
        assert.ok(error instanceof convlens.ConvlensError, `${what}: expected a ConvlensError, got ${String(error)}`);
        assert.match(error.message, message, what);
        assert.match(error.message, /^convlens: /);
        return true;
      },
      what,
    );
    // the next good call still works, and the model kept its weights
    const [maps] = await convlens.featureMaps(model, join(dir, "cat.png"), ["conv_b"]);
    assert.equal(maps.channels, 6, `after ${what}`);
    assert.equal(convlens.filters(model, 1, { filters: 2 }).filters, 2);
    assert.deepEqual(model.weights.map((w) => Array.from(w.read().dataSync())), expectedWeights, `weights unchanged after ${what}`);
  }
  good.dispose();
  model.dispose();
});
