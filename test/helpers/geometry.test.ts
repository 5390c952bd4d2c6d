// Layer output sizes read from the layer configs (compute/geometry.ts), against the shapes a real
// forward pass gives; and an image too small for a model refused with convlens's message before
// anything runs, on both featureMaps engines, whatever the CPU's TensorFlow does with 0×0 or
// negative sizes.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-node";
import * as convlens from "../../kernel-helpers/src/index";
import { outputSizes } from "../../kernel-helpers/src/compute/geometry";

const init = (seed: number) => tf.initializers.glorotUniform({ seed });

/** A model of unknown input size through every kind of layer that changes height and width. */
function shapeShifters(): tf.LayersModel {
  const input = tf.input({ shape: [null, null, 3] });
  const layers: tf.layers.Layer[] = [
    tf.layers.conv2d({ name: "valid_s2", filters: 4, kernelSize: 3, strides: 2, padding: "valid", kernelInitializer: init(1) }),
    tf.layers.zeroPadding2d({ name: "pad", padding: [[1, 2], [0, 3]] }),
    tf.layers.conv2d({ name: "dilated", filters: 3, kernelSize: [3, 2], dilationRate: [2, 1], padding: "valid", kernelInitializer: init(2) }),
    tf.layers.depthwiseConv2d({ name: "depthwise_same_s3", kernelSize: 3, strides: 3, padding: "same", depthwiseInitializer: init(3) }),
    tf.layers.upSampling2d({ name: "up", size: [2, 3] }),
    tf.layers.separableConv2d({ name: "separable", filters: 2, kernelSize: [2, 3], padding: "valid", depthwiseInitializer: init(4), pointwiseInitializer: init(5) }),
    tf.layers.maxPooling2d({ name: "max_valid", poolSize: [2, 3] }),
    tf.layers.cropping2D({ name: "crop", cropping: [[1, 0], [0, 1]] }),
    tf.layers.averagePooling2d({ name: "avg_same", poolSize: 3, strides: 2, padding: "same" }),
  ];
  const output = layers.reduce((x, layer) => layer.apply(x) as tf.SymbolicTensor, input);
  return tf.model({ inputs: input, outputs: output, name: "shape_shifters" });
}

test("every layer's height and width, read from the configs, are the ones a forward pass gives", () => {
  const model = shapeShifters();
  const probe = tf.model({ inputs: model.inputs, outputs: model.layers.slice(1).map((l) => l.output as tf.SymbolicTensor) });
  let compared = 0;
  for (let height = 1; height <= 40; height += 3) {
    for (let width = 2; width <= 40; width += 5) {
      const sizes = outputSizes(model, height, width);
      const expected = model.layers.slice(1).map((layer) => sizes.get((layer.output as tf.SymbolicTensor).id));
      assert.ok(expected.every((s) => s !== undefined), `${height}×${width}: a size for every layer`);
      if (expected.some((s) => s!.empty)) continue; // the forward pass is not the reference there
      const outputs = tf.tidy(() => probe.predict(tf.zeros([1, height, width, 3])) as tf.Tensor[]);
      outputs.forEach((out, i) => assert.deepEqual([expected[i]!.height, expected[i]!.width], out.shape.slice(1, 3), `${height}×${width}: ${model.layers[i + 1].name}`));
      tf.dispose(outputs);
      compared++;
    }
  }
  assert.ok(compared > 40, `${compared} input sizes compared`);
  model.dispose();
});

test("the first layer left without pixels is named, and everything after it is empty too", () => {
  const model = shapeShifters();
  // 4 rows: valid_s2 gives 1, pad 4, dilated (span 5) gives 0
  const sizes = outputSizes(model, 4, 40);
  const at = (name: string) => sizes.get((model.getLayer(name).output as tf.SymbolicTensor).id);
  assert.equal(at("pad")?.empty, undefined);
  assert.deepEqual([at("pad")?.height, at("pad")?.width], [4, 22]);
  for (const name of ["dilated", "up", "avg_same"]) assert.equal(at(name)?.empty?.layer.name, "dilated", name);
  model.dispose();
});

/** input → valid 3×3 conv, stride 2 → same conv (the graph runs both). */
function graphModel(): tf.LayersModel {
  const input = tf.input({ shape: [null, null, 3] });
  const a = tf.layers.conv2d({ name: "valid_first", filters: 5, kernelSize: 3, strides: 2, padding: "valid", kernelInitializer: init(6) }).apply(input);
  const b = tf.layers.conv2d({ name: "same_after", filters: 4, kernelSize: 3, padding: "same", kernelInitializer: init(7) }).apply(a);
  return tf.model({ inputs: input, outputs: b as tf.SymbolicTensor });
}

/** input → valid 3×3 conv → zero padding (no graph translation: the LayersModel runs it) → conv. */
function layersModel(): tf.LayersModel {
  const input = tf.input({ shape: [null, null, 3] });
  let x = tf.layers.conv2d({ name: "valid_first", filters: 5, kernelSize: 3, padding: "valid", kernelInitializer: init(8) }).apply(input);
  x = tf.layers.zeroPadding2d({ name: "pad", padding: 2 }).apply(x);
  x = tf.layers.conv2d({ name: "after_pad", filters: 4, kernelSize: 3, padding: "same", kernelInitializer: init(9) }).apply(x);
  return tf.model({ inputs: input, outputs: x as tf.SymbolicTensor });
}

for (const [engine, build, layers] of [
  ["graph", graphModel, [1, 2]],
  ["layers", layersModel, [3]],
] as const) {
  test(`an image too small for the model: convlens's error on the ${engine} engine, and no tensor left`, async () => {
    const model = build();
    assert.equal(convlens.featureMapsEngine(model, [...layers]).engine, engine);
    const before = tf.memory().numTensors;
    for (const size of [1, 2]) {
      const tiny = tf.zeros([1, size, size, 3]);
      await assert.rejects(
        convlens.featureMaps(model, tiny, [...layers]),
        new RegExp(`^ConvlensError: convlens: layer 1 "valid_first" has no pixels left \\(0×0\\) for a ${size}×${size} image: the image is too small for this model; use a larger one$`),
      );
      tiny.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
    // large enough, it computes
    const fits = tf.ones([1, 9, 9, 3]);
    const maps = await convlens.featureMaps(model, fits, [...layers]);
    assert.ok(maps.every((m) => m.height > 0 && m.width > 0));
    fits.dispose();
    model.dispose();
  });
}

test("predict() refuses an image too small for a model of unknown input size the same way", async () => {
  const input = tf.input({ shape: [null, null, 3] });
  let x = tf.layers.conv2d({ name: "valid_first", filters: 5, kernelSize: 3, padding: "valid", kernelInitializer: init(10) }).apply(input);
  x = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(x);
  x = tf.layers.dense({ name: "classes", units: 1000, activation: "softmax", kernelInitializer: init(11) }).apply(x);
  const model = tf.model({ inputs: input, outputs: x as tf.SymbolicTensor });
  const tiny = tf.zeros([1, 2, 2, 3]);
  await assert.rejects(convlens.predict(model, tiny, 3), /convlens: layer 1 "valid_first" has no pixels left \(0×0\) for a 2×2 image/);
  tiny.dispose();
  const fits = tf.zeros([1, 5, 5, 3]);
  assert.equal((await convlens.predict(model, fits, 3)).length, 3);
  fits.dispose();
  model.dispose();
});
