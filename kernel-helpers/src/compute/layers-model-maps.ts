// Feature maps through the LayersModel itself (tfjs, op by op): featureMaps' path for layers its
// TensorFlow graph cannot run, and on backends other than tfjs-node.
import * as tf from "@tensorflow/tfjs-node";
import type { ChannelStack, LayerRef } from "../types";

// One derived multi-output model per (model, layer set); it shares the model's weights.
const derived = new WeakMap<tf.LayersModel, Map<string, tf.LayersModel>>();

function outputsModel(model: tf.LayersModel, refs: LayerRef[]): tf.LayersModel {
  const key = refs.map((r) => r.index).join(",");
  let perModel = derived.get(model);
  if (!perModel) derived.set(model, (perModel = new Map()));
  const outputs = refs.map((r) => model.layers[r.index].output as tf.SymbolicTensor);
  let sub = perModel.get(key);
  // a Sequential's add() / pop() can put another layer at an index
  if (!sub || sub.outputs.some((output, i) => output !== outputs[i])) {
    sub = tf.model({ inputs: model.inputs, outputs, name: `${model.name}_maps_${key.replace(/,/g, "_")}` });
    perModel.set(key, sub);
  }
  return sub;
}

/**
 * Turns [1, H, W, C] activations into channel planes: each transposed as a 2-D [H*W, C] → [C, H*W]
 * (cheaper than the 3-D [H, W, C] → [C, H, W]), and every min/max in one small tensor, so the host
 * reads one buffer per layer plus one. (TF's oneDNN `_MklTranspose`, once called here by kernel
 * label, measured no faster than tf.transpose: 13 VGG16 layers' planes took 75.6 vs 79.7 ms of CPU,
 * within noise, beside a 450 ms forward pass; it was dropped with the tfjs-node internals it needed.)
 */
function toChannelStacks(refs: LayerRef[], activations: tf.Tensor[]): ChannelStack[] {
  const shapes = activations.map((a) => a.shape as [number, number, number, number]);
  // tidy returns tensors only: handing it a large typed array makes it walk every element
  const ranges = tf.tidy(() => tf.stack(activations.flatMap((a) => [a.min(), a.max()])));
  const planes: tf.Tensor[] = [];
  try {
    const bounds = ranges.dataSync();
    return refs.map((ref, i) => {
      const [, height, width, channels] = shapes[i];
      const plane = tf.tidy(() => activations[i].reshape([height * width, channels]).transpose([1, 0]));
      planes.push(plane);
      // dataSync hands back a fresh Float32Array copied out of the tensor: ours to keep, no second copy
      const data = plane.dataSync() as Float32Array;
      plane.dispose();
      return { layer: ref, height, width, channels, data, min: bounds[2 * i], max: bounds[2 * i + 1] };
    });
  } finally {
    ranges.dispose();
    tf.dispose(planes);
  }
}

/** One forward pass of a multi-output model for distinct `refs`; no tensor outlives it. */
export function layersModelMaps(model: tf.LayersModel, input: tf.Tensor4D, refs: LayerRef[]): ChannelStack[] {
  let outputs: tf.Tensor[] = [];
  try {
    const result = outputsModel(model, refs).predict(input);
    outputs = Array.isArray(result) ? result : [result];
    return toChannelStacks(refs, outputs);
  } finally {
    tf.dispose(outputs);
  }
}
