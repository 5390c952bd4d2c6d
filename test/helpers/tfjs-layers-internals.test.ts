// Canary of the tfjs-layers seam (kernel-helpers/src/tfjs-layers-internals.ts): every internal of
// tfjs-layers convlens uses is still there with the shape it is used with. After an upgrade of
// @tensorflow/tfjs-layers this is the one test that fails, and its message names what moved.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-node";
import {
  layerNodes,
  missingLayerInternals,
  producingNode,
  standInLayer,
} from "../../kernel-helpers/src/tfjs-layers-internals";

const tfjsLayers = `@tensorflow/tfjs-layers ${tf.version_layers}`;

/** A conv applied twice (two nodes) after an input. */
function twiceApplied() {
  const input = tf.input({ shape: [6, 6, 2] });
  const conv = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: "same" });
  const first = conv.apply(input, { training: false }) as tf.SymbolicTensor;
  const second = conv.apply(first) as tf.SymbolicTensor;
  return { input, conv, first, second };
}

test("tfjs-layers still records each application of a layer as the adapter reads it", () => {
  const { input, conv, first, second } = twiceApplied();
  const moved = missingLayerInternals(conv, second);
  assert.deepEqual(moved, [], `${tfjsLayers}:\n${moved.join("\n")}`);
  assert.equal(layerNodes(conv).length, 2, `${tfjsLayers}: Layer.inboundNodes has no node per application`);
  const [a, b] = [producingNode(first), producingNode(second)];
  assert.deepEqual([a?.inputTensors, a?.outputTensors], [[input], [first]], "the first application's node");
  assert.deepEqual([b?.inputTensors, b?.outputTensors], [[first], [second]], "the second application's node");
  assert.equal(a?.callArgs?.training, false, `${tfjsLayers}: Node.callArgs does not keep the keyword arguments`);
  assert.notEqual(first.id, second.id, "SymbolicTensor ids are unique");
  const inputNode = producingNode(input);
  assert.deepEqual(inputNode?.outputTensors, [input], "an InputLayer's node gives its own tensor");
});

test("a stand-in reads its layer's weights and config but records nodes of its own", () => {
  const { conv, second } = twiceApplied();
  const stand = standInLayer(conv, "nested/conv");
  const x = tf.input({ shape: [6, 6, 2] });
  const y = stand.apply(x) as tf.SymbolicTensor;
  assert.equal(stand.name, "nested/conv");
  assert.ok(stand.id < 0 && stand.id !== conv.id, "an id of its own");
  assert.equal(layerNodes(conv).length, 2, "the layer itself gained no node");
  assert.equal(layerNodes(stand).length, 1);
  assert.equal(y.sourceLayer, stand);
  assert.equal(stand.weights[0], conv.weights[0], "the very same weights");
  assert.deepEqual(missingLayerInternals(stand, y), []);
  assert.equal(second.sourceLayer, conv);
});

// The check itself can fail, and says which internal moved.
test("the canary names exactly what moved", () => {
  const { conv, second } = twiceApplied();
  const noNodes = Object.create(conv, { inboundNodes: { value: undefined } }) as tf.layers.Layer;
  assert.deepEqual(missingLayerInternals(noNodes, second), ["tfjs-layers' Layer has no array inboundNodes"]);
  const renamed = Object.create(second, { nodeIndex: { value: "1" } }) as tf.SymbolicTensor;
  assert.deepEqual(missingLayerInternals(conv, renamed), ["tfjs-layers' SymbolicTensor has no numeric nodeIndex"]);
  const elsewhere = Object.create(second, { nodeIndex: { value: 7 } }) as tf.SymbolicTensor;
  assert.deepEqual(missingLayerInternals(conv, elsewhere), [
    "tfjs-layers' Layer.inboundNodes[SymbolicTensor.nodeIndex] is not the node that produced it",
  ]);
  const node = layerNodes(conv)[1] as unknown as { outputTensors: unknown };
  const kept = node.outputTensors;
  node.outputTensors = "moved";
  try {
    assert.deepEqual(missingLayerInternals(conv, second), ["tfjs-layers' Node has no array outputTensors"]);
  } finally {
    node.outputTensors = kept;
  }
});
