// An explorer's layer switch quantises in the model's TF graph (DisplayPlanes): the same codes,
// offsets, scales and means as display/quantise.ts computes from the floats, in the same session run
// as the maps. Layers the graph cannot pack, and values that are not all finite, go to quantise.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-node";
import { featureMapsForDisplay, featureMapsSync } from "../../kernel-helpers/src/compute/featureMaps";
import { modelExplorerSource } from "../../kernel-helpers/src/display/model-source";
import { hasDisplayPlanes, mapsPanel, planesState, withDisplayPlanes } from "../../kernel-helpers/src/display/state";
import { planeMeans } from "../../kernel-helpers/src/display/quantise";
import { setPreprocessing } from "../../kernel-helpers/src/models/info";

/** input [side, side, 3] → conv (filters) → pool → conv (8): seeded, biased, no activation on the first (signed values). */
function net(side: number, filters: number, seed = 3): tf.LayersModel {
  const init = (s: number) => tf.initializers.randomNormal({ mean: 0, stddev: 0.5, seed: seed * 10 + s });
  const input = tf.input({ shape: [side, side, 3] });
  let x = tf.layers
    .conv2d({ filters, kernelSize: 3, name: "first", kernelInitializer: init(1), biasInitializer: init(2) })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: "pool" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({
      filters: 8,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      name: "second",
      kernelInitializer: init(3),
    })
    .apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: x });
  setPreprocessing(model, "none");
  return model;
}

const image = (side: number) => tf.tidy(() => tf.randomUniform([side, side, 3], 0, 255, "float32", 11));

test("the graph's display planes are quantise.ts's: codes within one step (rarely off), the same offsets, scales and means", () => {
  const model = net(66, 16);
  const picture = image(66);
  const before = tf.memory().numTensors;
  for (const layer of ["first", "second"]) {
    const { stack, display } = featureMapsForDisplay(model, picture, layer);
    assert.ok(display, `${layer}: the graph quantised the layer`);
    const [plain] = featureMapsSync(model, picture, layer);
    assert.deepEqual(Array.from(stack.data), Array.from(plain.data), `${layer}: the same maps as featureMaps`);
    const size = stack.height * stack.width;
    const reference = planesState(stack.data, stack.channels, stack.height, stack.width);
    let off = 0;
    for (let k = 0; k < reference.codes.length; k++) {
      const d = Math.abs(reference.codes[k] - display.codes[k]);
      assert.ok(d <= 1, `${layer}: code ${k} is ${display.codes[k]}, quantise.ts says ${reference.codes[k]}`);
      off += d;
    }
    assert.ok(off <= reference.codes.length * 1e-3, `${layer}: ${off} of ${reference.codes.length} codes one step off`);
    const panel = mapsPanel(withDisplayPlanes(stack, display), null);
    assert.equal(panel.planes.codes, display.codes, `${layer}: the panel sends the graph's codes`);
    assert.deepEqual(Array.from(panel.planes.offset), Array.from(reference.offset), `${layer}: offsets`);
    assert.deepEqual(Array.from(panel.planes.scale), Array.from(reference.scale), `${layer}: scales`);
    const means = planeMeans(stack.data, stack.channels, size);
    panel.means.forEach((m, c) =>
      assert.ok(
        Math.abs(m - means[c]) <= 1e-5 * (Math.abs(means[c]) + 1),
        `${layer}: mean of plane ${c}: ${m} vs ${means[c]}`,
      ),
    );
  }
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  picture.dispose();
  model.dispose();
});

test("the explorer's switch uses them; a user's own stack is quantised from its floats", async () => {
  const model = net(34, 8);
  const picture = image(34);
  const source = await modelExplorerSource(model, picture);
  const stack = await source.computeMaps(1);
  const [same] = featureMapsSync(model, picture, 1);
  assert.ok(hasDisplayPlanes(stack), "the explorer's own stack goes with the graph's display planes");
  assert.ok(!hasDisplayPlanes(same), "a stack from featureMaps (the user's, who may change it) does not");
  const [ours, users] = [mapsPanel(stack, null), mapsPanel(same, null)];
  const { display } = featureMapsForDisplay(model, picture, 1);
  assert.deepEqual(
    Array.from(ours.planes.codes),
    Array.from(display!.codes),
    "the explorer's stack: the graph's codes",
  );
  assert.deepEqual(
    Array.from(users.planes.codes),
    Array.from(planesState(same.data, same.channels, same.height, same.width).codes),
    "featureMaps' stacks: quantise.ts",
  );
  picture.dispose();
  model.dispose();
});

test("a layer that does not pack into int32s (3 channels of 5 × 5), or with values that are not all finite, is left to quantise.ts", () => {
  const odd = net(7, 3); // first: 5 × 5 × 3 = 75 codes
  const picture = image(7);
  assert.equal(featureMapsForDisplay(odd, picture, "first").display, null);
  picture.dispose();
  odd.dispose();

  const huge = net(34, 8);
  const [kernel, bias] = huge.getLayer("first").getWeights();
  huge.getLayer("first").setWeights([tf.fill(kernel.shape, 3e38), bias]); // sums overflow to +Infinity
  const photo = image(34);
  const { stack, display } = featureMapsForDisplay(huge, photo, "first");
  assert.ok(
    stack.data.some((v) => !Number.isFinite(v)),
    "the layer overflows",
  );
  assert.equal(display, null);
  const panel = mapsPanel(stack, null);
  assert.deepEqual(
    Array.from(panel.planes.codes),
    Array.from(planesState(stack.data, stack.channels, stack.height, stack.width).codes),
  );
  photo.dispose();
  huge.dispose();
});
