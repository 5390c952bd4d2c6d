// Finding a layer of a model by Keras name, path into a nested model, or index.
import type * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue, nearestNames } from "./errors";
import { layersView, nestedModelOutput, viewIndexOf, whyNoView } from "./layers-view";
import type { LayerRef } from "./types";

/**
 * A layer given by its Keras name ("block1_conv2"), its index (2), or, inside a nested model
 * (VGG16 in a transfer-learning model), its path ("vgg16/block5_conv3"; the inner name alone
 * when no other nested model has a layer of that name).
 */
export type LayerSpec = string | number | LayerRef;

export interface ResolvedLayer {
  ref: LayerRef;
  layer: tf.layers.Layer;
}

/**
 * The layer `spec` names, and its name and index in layersView(model).layers: model.layers itself
 * unless some layer of `model` is a model, in which case the inner layers are listed too, by path
 * (as summary(model) shows them). The layer's `output` is always a tensor of `model`'s own inputs.
 */
export function resolveLayer(model: tf.LayersModel, spec: LayerSpec): ResolvedLayer {
  const view = layersView(model);
  const layers = view.layers;
  const counted =
    view === model ? "" : " (the layers inside its nested models counted, as convlens.summary(model) lists them)";
  if (typeof spec === "number") {
    if (!Number.isInteger(spec) || spec < 0 || spec >= layers.length) {
      throw new ConvlensError(
        `layer index ${spec} is out of range: model "${model.name}" has ${layers.length} layers${counted}, ` +
          `so use an integer from 0 to ${layers.length - 1} (or a layer name)`,
      );
    }
    return { ref: { name: layers[spec].name, index: spec }, layer: layers[spec] };
  }
  const name =
    typeof spec === "string"
      ? spec
      : spec && typeof spec === "object" && typeof spec.name === "string"
        ? spec.name
        : undefined;
  if (name === undefined) {
    throw new ConvlensError(`a layer is given by its name (string) or its index (integer), not ${describeValue(spec)}`);
  }
  const names = layers.map((l) => l.name);
  const index = findName(model, names, name);
  if (index < 0) {
    const near = nearestNames(name, names);
    const why = name.includes("/") ? whyNoView(model) : undefined;
    throw new ConvlensError(
      `model "${model.name}" has no layer named "${name}"${why ? `: ${why}` : ""}; ` +
        `nearest names: ${near.join(", ")} (convlens.summary(model) lists them all)`,
    );
  }
  return { ref: { name: names[index], index }, layer: layers[index] };
}

function findName(model: tf.LayersModel, names: string[], name: string): number {
  const exact = names.indexOf(name);
  if (exact >= 0) return exact;
  // a nested model by its own name: the layer that gives its output
  const output = nestedModelOutput(model, name);
  if (output !== undefined) return names.indexOf(output);
  // a path followed through the nested models' own layers
  if (name.includes("/")) {
    const index = viewIndexOf(model, name);
    if (index >= 0) return index;
  }
  // an inner layer without the path of the model(s) around it, if only one has it
  const matches = names.flatMap((n, i) => (n.endsWith(`/${name}`) ? [i] : []));
  if (matches.length > 1) {
    throw new ConvlensError(
      `more than one nested model has a layer "${name}": ${matches.map((i) => names[i]).join(", ")}; give its path`,
    );
  }
  return matches.length === 1 ? matches[0] : -1;
}

/**
 * Conv layers: those whose first weight is a 4-D kernel (Conv2D, and subclasses such as
 * SeparableConv2D's pointwise part are not counted).
 */
export function isConv2D(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === "Conv2D" && layer.weights.length > 0 && layer.weights[0].shape.length === 4;
}
