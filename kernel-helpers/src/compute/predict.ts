// Top-k classes of any classifier: ImageNet's names for the 1000-class models (e.g.
// vgg16({ includeTop: true })), the model's own labels (a labels.json beside its model.json, or
// setLabels), or labels given in the call.
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../errors";
import { labelsFor } from "../models/info";
import { readLabels } from "../models/labels";
import { checkModel } from "./check";
import { checkInputFits } from "./geometry";
import { type ImageLike } from "./featureMaps";
import { imageToInput, type InputOptions, isLoadedImage, loadImage } from "./images";

// The 1000 ImageNet class names in the standard class-index order (the order of Keras's
// imagenet_class_index.json), as shipped by the @tensorflow-models/mobilenet package.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { IMAGENET_CLASSES } = require("@tensorflow-models/mobilenet/dist/imagenet_classes") as { IMAGENET_CLASSES: Record<number, string> };

export interface Prediction {
  rank: number;
  /** class index, 0 … classes − 1 */
  classIndex: number;
  /** e.g. "tabby, tabby cat" */
  label: string;
  /** the model's output when it ends in softmax, else the softmax of its outputs */
  probability: number;
}

export interface PredictOptions extends InputOptions {
  /** how many classes, best first (default 5, at most the model's classes) */
  k?: number;
  /** class names in output order, or the path of a JSON file holding them (see readLabels) */
  labels?: readonly string[] | string;
}

export function imagenetLabel(classIndex: number): string {
  const label = IMAGENET_CLASSES[classIndex];
  if (label === undefined) throw new ConvlensError(`ImageNet class index ${classIndex} is out of range 0..999`);
  return label;
}

function labelsOf(model: tf.LayersModel, classes: number, given: PredictOptions["labels"]): readonly string[] {
  if (given !== undefined && typeof given !== "string" && !(Array.isArray(given) && given.every((v) => typeof v === "string"))) {
    throw new ConvlensError(`labels is a list of class names or the path of a labels JSON file, not ${describeValue(given)}`);
  }
  const labels = typeof given === "string" ? readLabels(given) : (given ?? labelsFor(model));
  if (labels === undefined) {
    if (classes === 1000) return Array.from({ length: 1000 }, (_, i) => imagenetLabel(i));
    return Array.from({ length: classes }, (_, i) => `class ${i}`);
  }
  if (labels.length !== classes) {
    throw new ConvlensError(`model "${model.name}" has ${classes} classes but ${labels.length} labels were given; give one name per class, in output order`);
  }
  return labels;
}

function checkOptions(kOrOptions: number | PredictOptions | undefined, extra: InputOptions): PredictOptions {
  if (kOrOptions === undefined) return { ...extra };
  if (typeof kOrOptions === "number") return { ...extra, k: kOrOptions };
  if (kOrOptions === null || typeof kOrOptions !== "object" || Array.isArray(kOrOptions)) {
    throw new ConvlensError(`predict's third argument is k (a number) or options like { k: 5, labels: [...] }, not ${describeValue(kOrOptions)}`);
  }
  const known = ["k", "labels", "preprocess", "resize"];
  for (const key of Object.keys(kOrOptions)) {
    if (!known.includes(key)) throw new ConvlensError(`unknown predict option "${key}"; the options are ${known.join(", ")}`);
  }
  return { ...extra, ...kOrOptions };
}

/** Whether the model's last layer already turns its outputs into probabilities. */
function endsInSoftmax(model: tf.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  const config = last.getConfig() as { activation?: unknown };
  return config.activation === "softmax" || last.getClassName() === "Softmax";
}

/**
 * The top-k classes of a classifier for one image: `predict(model, image, { k, labels })`
 * (or `predict(model, image, k)`). Any number of classes; ImageNet's names for 1000.
 */
export async function predict(model: tf.LayersModel, image: ImageLike, kOrOptions?: number | PredictOptions, inputOptions: InputOptions = {}): Promise<Prediction[]> {
  checkModel(model, "predict");
  const options = checkOptions(kOrOptions, inputOptions);
  const out = model.outputs[0].shape;
  const classes = out[1];
  if (model.outputs.length !== 1 || out.length !== 2 || classes === null || classes < 1) {
    throw new ConvlensError(`predict() needs a classifier: a model with one output of shape [batch, classes], but "${model.name}" outputs [${out.map(String).join(", ")}]; for VGG build it with includeTop: true, e.g. await convlens.vgg16({ includeTop: true })`);
  }
  const k = options.k ?? Math.min(5, classes);
  if (!Number.isInteger(k) || k < 1 || k > classes) throw new ConvlensError(`k (how many classes) must be an integer from 1 to ${classes}, not ${describeValue(k)}`);
  const labels = labelsOf(model, classes, options.labels);
  const loaded = image instanceof tf.Tensor || isLoadedImage(image) ? image : await loadImage(image);
  const input = imageToInput(model, loaded, options);
  try {
    checkInputFits(model, input.shape[1], input.shape[2], model.outputs);
    const softmax = !endsInSoftmax(model);
    const top = tf.tidy(() => {
      const scores = (model.predict(input) as tf.Tensor).squeeze([0]);
      const { values, indices } = tf.topk(softmax ? tf.softmax(scores) : scores, k);
      return [values, indices];
    });
    const values = top[0].dataSync();
    const indices = top[1].dataSync();
    tf.dispose(top);
    return Array.from(indices, (classIndex, i) => ({ rank: i + 1, classIndex, label: labels[classIndex], probability: values[i] }));
  } finally {
    input.dispose();
  }
}
