// The weights of conv layers: the seed's listing (convLayers) and normalised filter planes.
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../errors";
import { isConv2D, type LayerSpec, resolveLayer } from "../layers";
import { layersView } from "../layers-view";
import type { FilterNormalisation, FilterStack, LayerRef } from "../types";
import { checkModel, checkRange } from "./check";

export interface ConvLayerInfo extends LayerRef {
  /** [kernelHeight, kernelWidth, inChannels, filters], as Keras prints it */
  filterShape: number[];
  /** [filters], or null for a conv layer without bias */
  biasShape: number[] | null;
}

/**
 * Every Conv2D layer with its index, name, kernel and bias shapes (the seed's loop over model.layers);
 * a nested model's by path and index in layersView(model), e.g. "vgg16/block1_conv1".
 */
export function convLayers(model: tf.LayersModel): ConvLayerInfo[] {
  checkModel(model, "convLayers");
  return layersView(model).layers.flatMap((layer, index) => {
    if (!isConv2D(layer)) return [];
    const [kernel, bias] = layer.weights;
    return [{ name: layer.name, index, filterShape: kernel.shape as number[], biasShape: bias ? (bias.shape as number[]) : null }];
  });
}

export interface FilterOptions {
  /** "minmax" (default, like the seed): (w - min) / (max - min) into [0, 1]; "symmetric": w / max|w| into [-1, 1], 0 stays 0; "raw": as stored */
  normalise?: FilterNormalisation;
  /** which filters (output channels): a count n for [0, n), or [start, end); default all */
  filters?: number | [number, number];
  /** which input channels: a count or [start, end); default all */
  channels?: number | [number, number];
}

const NORMALISATIONS: readonly FilterNormalisation[] = ["minmax", "symmetric", "raw"];

/**
 * A conv layer's filters. Normalisation uses the min / max over the layer's whole kernel (as
 * the seed does), so pages of the same layer share one scale; rawMin / rawMax are the selection's.
 */
export function filters(model: tf.LayersModel, layer: LayerSpec, options: FilterOptions = {}): FilterStack {
  checkModel(model, "filters");
  if (options === null || typeof options !== "object") throw new ConvlensError(`filters() options are an object like { normalise: "minmax", filters: 6, channels: 3 }, not ${describeValue(options)}`);
  const { ref, layer: found } = resolveLayer(model, layer);
  if (!isConv2D(found)) {
    const convs = convLayers(model);
    const list = convs.length ? convs.map((c) => `${c.index} ${c.name}`).join(", ") : "none (this model has no Conv2D layer)";
    throw new ConvlensError(`layer ${ref.index} "${ref.name}" is a ${found.getClassName()} layer, which has no filters; layers with filters: ${list}`);
  }
  const normalisation = options.normalise ?? "minmax";
  if (!NORMALISATIONS.includes(normalisation)) {
    throw new ConvlensError(`normalise must be one of ${NORMALISATIONS.map((n) => `"${n}"`).join(", ")}, not ${describeValue(normalisation)}`);
  }
  const kernel = found.weights[0];
  const [kernelHeight, kernelWidth, totalInChannels, totalFilters] = kernel.shape as number[];
  const [filterStart, filterEnd] = checkRange(options.filters, totalFilters, `filters range for "${ref.name}"`);
  const [channelStart, channelEnd] = checkRange(options.channels, totalInChannels, `channels range for "${ref.name}"`);
  const filterCount = filterEnd - filterStart;
  const channelCount = channelEnd - channelStart;

  // tidy returns tensors only: handing it a typed array makes it walk every element
  const [selected, statsTensor] = tf.tidy(() => {
    const all = kernel.read();
    // [kh, kw, in, out] → [out, in, kh, kw]: the FilterStack layout
    const chosen = all.slice([0, 0, channelStart, filterStart], [kernelHeight, kernelWidth, channelCount, filterCount]).transpose([3, 2, 0, 1]);
    return [chosen, tf.stack([chosen.min(), chosen.max(), all.min(), all.max(), all.abs().max()])];
  });
  const data = selected.dataSync() as Float32Array;
  const stats = statsTensor.dataSync();
  tf.dispose([selected, statsTensor]);
  const [rawMin, rawMax, layerMin, layerMax, layerAbsMax] = stats;
  const out = data;
  if (normalisation === "minmax") {
    const span = layerMax - layerMin || 1;
    for (let i = 0; i < out.length; i++) out[i] = (out[i] - layerMin) / span;
  } else if (normalisation === "symmetric") {
    const scale = layerAbsMax || 1;
    for (let i = 0; i < out.length; i++) out[i] /= scale;
  }
  return {
    layer: ref,
    kernelHeight,
    kernelWidth,
    filterStart,
    filters: filterCount,
    channelStart,
    inChannels: channelCount,
    totalFilters,
    totalInChannels,
    normalisation,
    data: out,
    rawMin,
    rawMax,
  };
}

/** A conv layer's biases, as stored ([filters]); null if it has none. */
export function biases(model: tf.LayersModel, layer: LayerSpec): Float32Array | null {
  checkModel(model, "biases");
  const { ref, layer: found } = resolveLayer(model, layer);
  if (!isConv2D(found)) throw new ConvlensError(`layer ${ref.index} "${ref.name}" is a ${found.getClassName()} layer, not Conv2D`);
  const bias = found.weights[1];
  return bias ? new Float32Array(bias.read().dataSync()) : null;
}
