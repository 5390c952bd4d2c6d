// Top-k ImageNet classes for models with the 1000-class top (e.g. vgg16({ includeTop: true })).
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../errors";
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
  /** class index, 0..999 */
  classIndex: number;
  /** e.g. "tabby, tabby cat" */
  label: string;
  probability: number;
}

export function imagenetLabel(classIndex: number): string {
  const label = IMAGENET_CLASSES[classIndex];
  if (label === undefined) throw new ConvlensError(`ImageNet class index ${classIndex} is out of range 0..999`);
  return label;
}

export async function predict(model: tf.LayersModel, image: ImageLike, k = 5, options: InputOptions = {}): Promise<Prediction[]> {
  checkModel(model, "predict");
  const out = model.outputs[0].shape;
  if (model.outputs.length !== 1 || out.length !== 2 || out[1] !== 1000) {
    throw new ConvlensError(`predict() needs a model ending in the 1000 ImageNet classes, but "${model.name}" outputs [${out.map(String).join(", ")}]; build it with includeTop: true, e.g. await convlens.vgg16({ includeTop: true })`);
  }
  if (!Number.isInteger(k) || k < 1 || k > 1000) throw new ConvlensError(`k (how many classes) must be an integer from 1 to 1000, not ${describeValue(k)}`);
  const loaded = image instanceof tf.Tensor || isLoadedImage(image) ? image : await loadImage(image);
  const input = imageToInput(model, loaded, options);
  try {
    checkInputFits(model, input.shape[1], input.shape[2], model.outputs);
    const top = tf.tidy(() => {
      const { values, indices } = tf.topk((model.predict(input) as tf.Tensor).squeeze([0]), k);
      return [values, indices];
    });
    const values = top[0].dataSync();
    const indices = top[1].dataSync();
    tf.dispose(top);
    return Array.from(indices, (classIndex, i) => ({ rank: i + 1, classIndex, label: imagenetLabel(classIndex), probability: values[i] }));
  } finally {
    input.dispose();
  }
}
