// Finding a layer of a model by Keras name or model.layers index.
import type * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue, nearestNames } from "./errors";
import type { LayerRef } from "./types";

/** A layer given by its Keras name ("block1_conv2") or its index in model.layers (2). */
export type LayerSpec = string | number | LayerRef;

export interface ResolvedLayer {
  ref: LayerRef;
  layer: tf.layers.Layer;
}

export function resolveLayer(model: tf.LayersModel, spec: LayerSpec): ResolvedLayer {
  const layers = model.layers;
  if (typeof spec === "number") {
    if (!Number.isInteger(spec) || spec < 0 || spec >= layers.length) {
      throw new ConvlensError(
        `layer index ${spec} is out of range: model "${model.name}" has ${layers.length} layers, so use an integer from 0 to ${layers.length - 1} (or a layer name)`,
      );
    }
    return { ref: { name: layers[spec].name, index: spec }, layer: layers[spec] };
  }
  const name = typeof spec === "string" ? spec : spec && typeof spec === "object" && typeof spec.name === "string" ? spec.name : undefined;
  if (name === undefined) {
    throw new ConvlensError(`a layer is given by its name (string) or its index (integer), not ${describeValue(spec)}`);
  }
  const index = layers.findIndex((l) => l.name === name);
  if (index < 0) {
    const near = nearestNames(name, layers.map((l) => l.name));
    throw new ConvlensError(`model "${model.name}" has no layer named "${name}"; nearest names: ${near.join(", ")} (convlens.summary(model) lists them all)`);
  }
  return { ref: { name, index }, layer: layers[index] };
}

/** Conv layers: those whose first weight is a 4-D kernel (Conv2D, and subclasses such as SeparableConv2D's pointwise part are not counted). */
export function isConv2D(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === "Conv2D" && layer.weights.length > 0 && layer.weights[0].shape.length === 4;
}
