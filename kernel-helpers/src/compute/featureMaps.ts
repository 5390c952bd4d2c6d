// Activations of any set of layers for one image, in one forward pass.
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../errors";
import { type LayerSpec, resolveLayer } from "../layers";
import type { ChannelStack, LayerRef } from "../types";
import { checkModel } from "./check";
import { imageToInput, type ImageSource, type InputOptions, isLoadedImage, loadImage, type LoadedImage } from "./images";

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

/** Turns a [1, H, W, C] activation into channel planes (transposed on the native backend). */
function toChannelStack(ref: LayerRef, activation: tf.Tensor): ChannelStack {
  const [, height, width, channels] = activation.shape;
  // tidy returns tensors only: handing it a large typed array makes it walk every element
  const chw = tf.tidy(() => activation.squeeze([0]).transpose([2, 0, 1]));
  const range = tf.tidy(() => tf.stack([chw.min(), chw.max()]));
  try {
    const data = chw.dataSync() as Float32Array;
    const [min, max] = range.dataSync();
    return { layer: ref, height, width, channels, data, min, max };
  } finally {
    chw.dispose();
    range.dispose();
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
    return refs.map((ref, i) => toChannelStack(ref, outputs[i]));
  } finally {
    input.dispose();
    tf.dispose(outputs);
  }
}
