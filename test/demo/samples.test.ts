// shapeSamples keeps the last small set it drew (the kernel's warm-up draws notebook 01's default
// set before its cells): the kept set is what a new draw from the same seed gives (the reference),
// every call gets its own copy, and no tensor is left behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-node";
import { drawShapeSamples, shapeSamples } from "../../kernel-helpers/src/demo/samples";

test("a kept set is a new draw's pictures, and a cell changing its copy does not change the next call's", () => {
  const tensors = tf.memory().numTensors;
  const first = shapeSamples();
  first[0].image.rgb.fill(0);
  first[0].box[0] = -1;
  const again = shapeSamples();
  assert.deepEqual(again, drawShapeSamples(8, 64, 2026));
  assert.notEqual(again[0].image.rgb, shapeSamples()[0].image.rgb);
  // other options draw their own set, and the default one is drawn again afterwards
  assert.deepEqual(shapeSamples({ count: 3, seed: 7 }), drawShapeSamples(3, 64, 7));
  assert.deepEqual(shapeSamples(), drawShapeSamples(8, 64, 2026));
  assert.equal(tf.memory().numTensors, tensors);
});
