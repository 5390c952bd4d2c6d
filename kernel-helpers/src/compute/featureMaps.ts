// Activations of any set of layers for one image, in one forward pass.
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../errors";
import { type LayerSpec, resolveLayer } from "../layers";
import type { ChannelStack, LayerRef } from "../types";
import { checkModel } from "./check";
import { imageToInput, type ImageSource, type InputOptions, isLoadedImage, loadImage, type LoadedImage } from "./images";
import { channelPlanes } from "./planes";

export type ImageLike = LoadedImage | tf.Tensor | ImageSource;

// One derived multi-output model per (model, layer set); it shares the model's weights.
const derived = new WeakMap<tf.LayersModel, Map<string, tf.LayersModel>>();

function outputsModel(model: tf.LayersModel, refs: LayerRef[]): tf.LayersModel {
  const key = refs.map((r) => r.index).join(",");
  let perModel = derived.get(model);
  if (!perModel) derived.set(model, (perModel = new Map()));
  let sub = perModel.get(key);
  if (!sub) {
    const outputs = refs.map((r) => model.layers[r.index].output as tf.SymbolicTensor);
    sub = tf.model({ inputs: model.inputs, outputs, name: `${model.name}_maps_${key.replace(/,/g, "_")}` });
    perModel.set(key, sub);
  }
  return sub;
}

function checkLayers(model: tf.LayersModel, layers: unknown): LayerRef[] {
  const list = Array.isArray(layers) ? layers : [layers];
  if (list.length === 0) throw new ConvlensError("featureMaps() needs at least one layer, e.g. [2, 5, 9, 13, 17] or [\"block1_conv2\"]");
  return list.map((spec) => {
    const { ref, layer } = resolveLayer(model, spec as LayerSpec);
    const out = layer.output;
    if (Array.isArray(out) || (out as tf.SymbolicTensor).shape.length !== 4) {
      const shape = Array.isArray(out) ? "several outputs" : `output shape [${(out as tf.SymbolicTensor).shape.map(String).join(", ")}]`;
      throw new ConvlensError(`layer ${ref.index} "${ref.name}" (${layer.getClassName()}) has ${shape}, not feature maps [batch, height, width, channels]; pick a convolution or pooling layer`);
    }
    return ref;
  });
}

/**
 * Turns [1, H, W, C] activations into channel planes: each transposed on the native backend as a
 * 2-D [H*W, C] → [C, H*W] (cheaper than the 3-D [H, W, C] → [C, H, W]), and every min/max in one
 * small tensor, so the host reads one buffer per layer plus one.
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
      const plane = tf.tidy(() => channelPlanes(activations[i].reshape([height * width, channels]) as tf.Tensor2D));
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

/**
 * Feature maps of `layers` (names or model.layers indices, e.g. [2, 5, 9, 13, 17]) for one image:
 * a path, URL, Buffer, a LoadedImage, or an already preprocessed tensor. No tensor outlives the call.
 */
export async function featureMaps(model: tf.LayersModel, image: ImageLike, layers: LayerSpec | LayerSpec[], options: InputOptions = {}): Promise<ChannelStack[]> {
  checkModel(model, "featureMaps");
  const refs = checkLayers(model, layers);
  if (image === undefined || image === null) throw new ConvlensError(`featureMaps() needs an image (path, URL, Buffer, loadImage() result or tensor), not ${describeValue(image)}`);
  const loaded = image instanceof tf.Tensor || isLoadedImage(image) ? image : await loadImage(image);
  return featureMapsSync(model, loaded, refs, options);
}

/** featureMaps() for an image already loaded (or a tensor): synchronous. */
export function featureMapsSync(model: tf.LayersModel, image: LoadedImage | tf.Tensor, layers: LayerSpec | LayerSpec[], options: InputOptions = {}): ChannelStack[] {
  checkModel(model, "featureMaps");
  const refs = checkLayers(model, layers);
  const sub = outputsModel(model, refs);
  const input = imageToInput(model, image, options);
  let outputs: tf.Tensor[] = [];
  try {
    const result = sub.predict(input);
    outputs = Array.isArray(result) ? result : [result];
    return toChannelStacks(refs, outputs);
  } finally {
    input.dispose();
    tf.dispose(outputs);
  }
}
