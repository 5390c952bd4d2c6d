// What convlens remembers about a model besides its layers: how its input is preprocessed.
import type * as tf from "@tensorflow/tfjs-node";

/**
 * Input preprocessing, as Keras's imagenet_utils.preprocess_input modes:
 * caffe: RGB→BGR, minus the ImageNet BGR mean [103.939, 116.779, 123.68] (VGG, ResNet50);
 * tf: scaled to [-1, 1]; torch: scaled to [0, 1], minus ImageNet mean, divided by std; none: 0–255 RGB as is;
 * unit: scaled to [0, 1] (x / 255), as CNN Explainer's Tiny VGG and many tfjs models expect.
 */
export type Preprocessing = "caffe" | "tf" | "torch" | "none" | "unit";
export const PREPROCESSING_MODES: readonly Preprocessing[] = ["caffe", "tf", "torch", "none", "unit"];

const preprocessingOf = new WeakMap<tf.LayersModel, Preprocessing>();

export function setPreprocessing(model: tf.LayersModel, mode: Preprocessing): void {
  preprocessingOf.set(model, mode);
}

/** The mode the model was built or loaded with ("none" when convlens does not know). */
export function preprocessingFor(model: tf.LayersModel): Preprocessing {
  return preprocessingOf.get(model) ?? "none";
}

const labelsOf = new WeakMap<tf.LayersModel, readonly string[]>();

/** Class names in output order, used by predict() (loadModel sets them from a labels.json beside model.json). */
export function setLabels(model: tf.LayersModel, labels: readonly string[]): void {
  labelsOf.set(model, [...labels]);
}

/** The class names set for `model`, if any. */
export function labelsFor(model: tf.LayersModel): readonly string[] | undefined {
  return labelsOf.get(model);
}
