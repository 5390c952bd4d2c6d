// What Grad-CAM, saliency and occlusion share: argument checks, the model's classifier head and its
// pre-softmax class scores, the model's input for an image, and a graph runner that can start
// from any layer's output (for a gradient with respect to an inner layer).
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../../errors";
import { layersView } from "../../layers-view";
import { type LayerNode, producingNode } from "../../tfjs-layers-internals";
import type { ImageLike } from "../featureMaps";
import { checkInputFits } from "../geometry";
import { imageToInput, type InputOptions, isLoadedImage, loadImage } from "../images";

/** Scores of every class for one image, read while the map was computed. */
export interface ClassScores {
  /** the class the map explains: the one asked for, else the top predicted class */
  classIndex: number;
  /** that class's pre-softmax score (its logit): the value whose gradient is taken */
  score: number;
  /** every class's pre-softmax score */
  logits: Float32Array;
  /** the model's output for the image (class probabilities); only when the model ends in softmax */
  probabilities?: Float32Array;
}

/** Where a model's class scores come from. */
export interface ClassifierHead {
  /** the model's output, [batch, classes] */
  output: tf.SymbolicTensor;
  classes: number;
  /** the tensor the pre-softmax scores are computed from */
  from: tf.SymbolicTensor;
  /** the last Dense layer, when its own linear part gives the scores (kernel and bias applied here) */
  dense?: tf.layers.Layer;
  /** the model's output is a softmax over the classes */
  softmax: boolean;
}

const KNOWN_INPUT_OPTIONS = ["preprocess", "resize"];

/** Refuses options that are not an object, and keys a function does not know (a typo would be ignored). */
export function checkOptions(options: unknown, known: readonly string[], call: string): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new ConvlensError(`${call}() options are an object like { classIndex: 3 }, not ${describeValue(options)}`);
  }
  const all = [...known, ...KNOWN_INPUT_OPTIONS];
  for (const key of Object.keys(options)) {
    if (!all.includes(key)) {
      throw new ConvlensError(`${call}() has no option "${key}"; its options are ${all.join(", ")}`);
    }
  }
}

function activationOf(layer: tf.layers.Layer): unknown {
  return (layer.getConfig() as Record<string, unknown>).activation;
}

/**
 * The model's classifier head. Pre-softmax scores, as tf-keras-vis takes them (its
 * ReplaceToLinear): the linear part of a final Dense layer, the input of a final Activation or
 * Softmax layer, else the output itself. The user's model is not changed.
 */
export function classifierHead(model: tf.LayersModel, call: string): ClassifierHead {
  const shape = model.outputs[0].shape;
  const classes = shape[1];
  if (model.outputs.length !== 1 || shape.length !== 2 || classes === null || classes < 1) {
    const outputs = model.outputs.map((o) => `[${o.shape.map(String).join(", ")}]`).join(" and ");
    throw new ConvlensError(
      `${call}() explains a class score, so it needs a model that ends in class scores [batch, classes], ` +
        `but "${model.name}" outputs ${outputs}; use a model with its classifier ` +
        "(e.g. convlens.vgg16({ includeTop: true }))",
    );
  }
  const output = model.outputs[0];
  const last = output.sourceLayer;
  const kind = last.getClassName();
  const single = output.inputs.length === 1;
  if (kind === "Dense" && single) {
    return { output, classes, from: output.inputs[0], dense: last, softmax: activationOf(last) === "softmax" };
  }
  if ((kind === "Activation" || kind === "Softmax") && single) {
    const softmax = kind === "Softmax" || activationOf(last) === "softmax";
    return { output, classes, from: output.inputs[0], softmax };
  }
  return { output, classes, from: output, softmax: false };
}

/** Pre-softmax scores [batch, classes] from the value of head.from. */
export function logitsOf(head: ClassifierHead, from: tf.Tensor): tf.Tensor2D {
  if (!head.dense) return from as tf.Tensor2D;
  const [kernel, bias] = head.dense.weights.map((w) => w.read());
  const linear = tf.matMul(from as tf.Tensor2D, kernel as tf.Tensor2D);
  return (bias ? linear.add(bias) : linear) as tf.Tensor2D;
}

export function checkClassIndex(classIndex: unknown, head: ClassifierHead, call: string): void {
  if (classIndex === undefined) return;
  if (!Number.isInteger(classIndex) || (classIndex as number) < 0 || (classIndex as number) >= head.classes) {
    const given = typeof classIndex === "number" ? classIndex : describeValue(classIndex);
    throw new ConvlensError(
      `${call}(): classIndex ${given} is not a class of this model; it has ${head.classes} classes, ` +
        `so give an integer from 0 to ${head.classes - 1} (or leave it out for the top predicted class)`,
    );
  }
}

/**
 * ClassScores from the pre-softmax scores [1, classes] and the model's output [1, classes]; the
 * class is `classIndex` or, if it is undefined, the top one. Reads two small tensors.
 */
export function readScores(
  head: ClassifierHead,
  logits: tf.Tensor,
  output: tf.Tensor,
  classIndex: number | undefined,
): ClassScores {
  const values = logits.dataSync() as Float32Array;
  let top = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[top]) top = i;
  const chosen = classIndex ?? top;
  const scores: ClassScores = { classIndex: chosen, score: values[chosen], logits: values };
  if (head.softmax) scores.probabilities = output.dataSync() as Float32Array;
  return scores;
}

/** The scalar score of class `classIndex` summed over the batch: a gradient gives each image's own. */
export function classScore(logits: tf.Tensor2D, classIndex: number): tf.Scalar {
  return logits.slice([0, classIndex], [-1, 1]).sum();
}

/**
 * Values of `fetches` from `feeds` (SymbolicTensor id → value): every layer on the way is applied
 * to concrete tensors, as tfjs's own executor does, but the feeds may be any layer's output, not
 * only the model's inputs (LayersModel.execute takes only those), so a gradient can be taken
 * with respect to an inner layer's output. Run it inside tf.tidy.
 */
export function runGraph(feeds: Map<number, tf.Tensor>, fetches: tf.SymbolicTensor[]): tf.Tensor[] {
  const values = new Map(feeds);
  const evaluate = (symbolic: tf.SymbolicTensor): tf.Tensor => {
    const known = values.get(symbolic.id);
    if (known) return known;
    if (symbolic.inputs.length === 0) throw new Error(`convlens: no value fed for ${symbolic.name}`);
    const inputs = symbolic.inputs.map(evaluate);
    const layer = symbolic.sourceLayer;
    // no `training` flag: Dropout and BatchNormalization run as at inference
    const result = layer.apply(inputs.length === 1 ? inputs[0] : inputs, {});
    const outputs = (Array.isArray(result) ? result : [result]) as tf.Tensor[];
    const node = producingNode(symbolic) as LayerNode;
    node.outputTensors.forEach((out, i) => values.set(out.id, outputs[i]));
    return values.get(symbolic.id) as tf.Tensor;
  };
  return fetches.map(evaluate);
}

/** Ids of every SymbolicTensor `output` depends on, itself included. */
export function upstreamOf(output: tf.SymbolicTensor): Set<number> {
  const seen = new Set<number>();
  const stack = [output];
  while (stack.length > 0) {
    const t = stack.pop() as tf.SymbolicTensor;
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    stack.push(...t.inputs);
  }
  return seen;
}

/**
 * The model's input [1, H, W, 3] for an image (path, URL, Buffer, LoadedImage or preprocessed
 * tensor), as featureMaps takes it; an image too small for the model, or holding NaN, is refused.
 */
export async function modelInput(
  model: tf.LayersModel,
  image: ImageLike,
  options: InputOptions,
  outputs: tf.SymbolicTensor[],
  call: string,
): Promise<tf.Tensor4D> {
  if (image === undefined || image === null) {
    throw new ConvlensError(
      `${call}() needs an image (path, URL, Buffer, loadImage() result or tensor), not ${describeValue(image)}`,
    );
  }
  if (model.inputs.length !== 1) {
    throw new ConvlensError(`${call}() feeds one image to a model, but "${model.name}" has ${model.inputs.length} inputs`);
  }
  const loaded = image instanceof tf.Tensor || isLoadedImage(image) ? image : await loadImage(image);
  const input = imageToInput(model, loaded, { preprocess: options.preprocess, resize: options.resize });
  try {
    checkInputFits(layersView(model), input.shape[1], input.shape[2], outputs);
    checkFinite(model, input, call);
  } catch (error) {
    input.dispose();
    throw error;
  }
  return input;
}

// The tensors behind a model's weights when they were last found finite. Assigning a weight
// (setWeights, loading, a training step) puts a new tensor behind its variable, so while these
// are the same the weights are unchanged and need no new check.
const checkedWeights = new WeakMap<tf.LayersModel, object[]>();

/**
 * Refuses NaN or infinite values in the input or in any of the model's weights: the scores, and so
 * every map, would be NaN. One sum per tensor (NaN or ±Inf anywhere makes it non-finite) and a
 * single read. Summing VGG16's 138 M weights took 0.15–0.27 s on 2 busy cores, a tenth of its
 * Grad-CAM there, so weights that have not changed since their last check are not summed again.
 */
export function checkFinite(model: tf.LayersModel, input: tf.Tensor, call: string): void {
  const weights = model.weights.filter((w) => w.dtype === "float32");
  const current = weights.map((w) => w.read().dataId);
  const checked = checkedWeights.get(model);
  const unchanged = checked?.length === current.length && checked.every((id, i) => id === current[i]);
  const sums = tf.tidy(() => tf.stack([input.sum(), ...(unchanged ? [] : weights.map((w) => w.read().sum()))]));
  const values = sums.dataSync();
  sums.dispose();
  if (!Number.isFinite(values[0])) {
    throw new ConvlensError(`${call}(): the image tensor holds NaN or infinite values; give finite pixel values`);
  }
  if (unchanged) return;
  const bad = weights.filter((_, i) => !Number.isFinite(values[i + 1])).map((w) => w.originalName);
  if (bad.length > 0) {
    checkedWeights.delete(model);
    const list = bad.slice(0, 3).join(", ") + (bad.length > 3 ? `, … (${bad.length} in all)` : "");
    throw new ConvlensError(
      `${call}(): model "${model.name}" has NaN or infinite weights (${list}), so every score would be NaN; ` +
        "load good weights again (a training run that diverged leaves such weights)",
    );
  }
  checkedWeights.set(model, current);
}

/** A positive integer option, or `fallback` when it is undefined. */
export function positiveInteger(value: unknown, fallback: number, what: string, call: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new ConvlensError(`${call}(): ${what} must be a positive integer, not ${describeValue(value)}`);
  }
  return value as number;
}

/**
 * How many copies of an H×W input go through the model at once: about `pixels` input pixels a
 * batch, so a 224×224 model takes a few copies (each layer's activations for the whole batch are
 * held at once) and a small one many.
 */
export function defaultBatch(height: number, width: number, pixels: number, most: number): number {
  return Math.max(1, Math.min(most, Math.floor(pixels / (height * width))));
}

/** Min and max of a non-empty array. */
export function rangeOf(data: Float32Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** Divides `data` by its maximum in place (left as is when that is 0); returns the maximum. */
export function scaleToUnit(data: Float32Array): number {
  const { max } = rangeOf(data);
  if (max > 0) for (let i = 0; i < data.length; i++) data[i] /= max;
  return max;
}
