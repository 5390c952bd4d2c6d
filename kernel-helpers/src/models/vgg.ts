// VGG16 / VGG19 exactly as keras.applications builds them: same layer names and order
// (model.layers indices match Keras's), weights from the Keras applications .h5 files.
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../errors";
import type { ProgressHandler } from "./download";
import { setPreprocessing } from "./info";
import { loadKerasWeights } from "./weights";

const KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications";

export interface VggOptions {
  /**
   * "imagenet" (default): the Keras applications file, from a cache (convlens's or Keras's ~/.keras/models)
   * or downloaded into it; a path or http(s) URL of a Keras .h5 weights file; null: random weights.
   */
  weights?: "imagenet" | string | null;
  /** add flatten, fc1, fc2 and the 1000-class predictions layer (needed by predict()); default false */
  includeTop?: boolean;
  /** [height, width, 3]; default [224, 224, 3] (the top needs exactly that) */
  inputShape?: [number, number, number];
  /** download cache folder (default: convlens's own, see cacheDirs(); Keras's ~/.keras/models is searched too) */
  cacheDir?: string;
  onProgress?: ProgressHandler | false;
}

/** Convolutions per block: VGG16 2-2-3-3-3, VGG19 2-2-4-4-4. */
const BLOCKS = { vgg16: [2, 2, 3, 3, 3], vgg19: [2, 2, 4, 4, 4] } as const;
const FILTERS = [64, 128, 256, 512, 512];

function checkOptions(options: unknown): VggOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new ConvlensError(`VGG options are an object like { weights: "imagenet", includeTop: false }, not ${describeValue(options)}`);
  }
  const known = ["weights", "includeTop", "inputShape", "cacheDir", "onProgress"];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new ConvlensError(`unknown VGG option "${key}"; the options are ${known.join(", ")}`);
  }
  return options as VggOptions;
}

export function buildVgg(kind: keyof typeof BLOCKS, includeTop: boolean, inputShape: [number, number, number]): tf.LayersModel {
  const wanted = "inputShape must be [height, width, 3] with height and width at least 32";
  if (!Array.isArray(inputShape)) throw new ConvlensError(`${wanted}, not ${describeValue(inputShape)}`);
  const [height, width, depth] = inputShape;
  if (!(Number.isInteger(height) && Number.isInteger(width) && height >= 32 && width >= 32 && depth === 3)) {
    throw new ConvlensError(`${wanted}, not [${inputShape.join(", ")}]`);
  }
  if (includeTop && (height !== 224 || width !== 224)) {
    throw new ConvlensError(`with includeTop the input must be [224, 224, 3] (the fc layers expect 7×7×512), not [${inputShape.join(", ")}]`);
  }
  const input = tf.input({ shape: inputShape, name: "input_1" });
  let x: tf.SymbolicTensor = input;
  BLOCKS[kind].forEach((convs, b) => {
    for (let c = 1; c <= convs; c++) {
      x = tf.layers
        .conv2d({ filters: FILTERS[b], kernelSize: 3, padding: "same", activation: "relu", name: `block${b + 1}_conv${c}` })
        .apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` }).apply(x) as tf.SymbolicTensor;
  });
  if (includeTop) {
    x = tf.layers.flatten({ name: "flatten" }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 4096, activation: "relu", name: "fc1" }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 4096, activation: "relu", name: "fc2" }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 1000, activation: "softmax", name: "predictions" }).apply(x) as tf.SymbolicTensor;
  }
  const model = tf.model({ inputs: input, outputs: x, name: kind });
  setPreprocessing(model, "caffe");
  return model;
}

async function vgg(kind: keyof typeof BLOCKS, rawOptions: unknown): Promise<tf.LayersModel> {
  const options = checkOptions(rawOptions);
  const includeTop = options.includeTop ?? false;
  const weights = options.weights === undefined ? "imagenet" : options.weights;
  if (weights !== null && typeof weights !== "string") {
    throw new ConvlensError(`weights is "imagenet", a path or URL of a .h5 file, or null for random weights; not ${describeValue(weights)}`);
  }
  const model = buildVgg(kind, includeTop, options.inputShape ?? [224, 224, 3]);
  if (weights === null) return model;
  const source = weights === "imagenet" ? `${KERAS_WEIGHTS}/${kind}/${kind}_weights_tf_dim_ordering_tf_kernels${includeTop ? "" : "_notop"}.h5` : weights;
  try {
    await loadKerasWeights(model, source, { cacheDir: options.cacheDir, onProgress: options.onProgress });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/** VGG16 with Keras's layer names; `await vgg16()` loads the ImageNet no-top weights. */
export function vgg16(options?: VggOptions): Promise<tf.LayersModel> {
  return vgg("vgg16", options);
}

/** VGG19 with Keras's layer names; `await vgg19()` loads the ImageNet no-top weights. */
export function vgg19(options?: VggOptions): Promise<tf.LayersModel> {
  return vgg("vgg19", options);
}
