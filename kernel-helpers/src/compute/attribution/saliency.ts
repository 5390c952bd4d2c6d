// Saliency maps: vanilla gradients (Simonyan et al. 2013, https://arxiv.org/abs/1312.6034) and
// SmoothGrad (Smilkov et al. 2017, https://arxiv.org/abs/1706.03825), as tf-keras-vis's Saliency
// computes them.
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../../errors";
import { checkModel } from "../check";
import type { ImageLike } from "../featureMaps";
import type { InputOptions } from "../images";
import {
  checkClassIndex,
  checkOptions,
  classifierHead,
  type ClassifierHead,
  type ClassScores,
  classScore,
  defaultBatch,
  logitsOf,
  modelInput,
  positiveInteger,
  rangeOf,
  readScores,
  runGraph,
  scaleToUnit,
} from "./shared";

export interface SaliencyOptions extends InputOptions {
  /** the class to explain; default the top predicted class */
  classIndex?: number;
  /** SmoothGrad: how many noisy copies to average over; default 0 (vanilla gradients) */
  smoothSamples?: number;
  /** SmoothGrad: the noise's standard deviation as a fraction of the input's range (max − min); default 0.2 */
  noise?: number;
  /** SmoothGrad: the noise's seed, an integer from 0 to 2³² − 1; default a random one (returned in the result) */
  seed?: number;
  /** SmoothGrad: noisy copies per gradient pass; default by input size (5 at 224 × 224) */
  batchSize?: number;
}

/** A saliency map over the model's input; a widget stretches it over the image as shown. */
export interface SaliencyResult extends ClassScores {
  method: "saliency" | "smoothgrad";
  /** the model's input size, the map's size */
  height: number;
  width: number;
  /** pixel (y, x) at data[y * width + x], in [0, 1] */
  data: Float32Array;
  min: number;
  max: number;
  /** data × scale = max over channels of |gradient| (SmoothGrad: of the mean gradient) */
  scale: number;
  /** 0 for vanilla gradients */
  smoothSamples: number;
  noise: number;
  /** the noise's seed (null for vanilla gradients): the same seed gives the same map */
  seed: number | null;
}

const SEED_LIMIT = 2 ** 32;

/** Per-copy seeds: tfjs's seeded random treats a seed of 0 as "no seed", so none is 0. */
function copySeed(seed: number, copy: number): number {
  return seed * 65537 + copy + 1;
}

/**
 * SmoothGrad's noisy copies `from` to `to` (exclusive) of `input` [1, H, W, C]: input plus
 * Gaussian noise of standard deviation noise × (max(input) − min(input)), as tf-keras-vis draws
 * it. Copy i depends only on (seed, i), whatever the batch size.
 */
export function smoothGradCopies(
  input: tf.Tensor4D,
  noise: number,
  seed: number,
  from: number,
  to: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const sigma = input.max().sub(input.min()).mul(noise).dataSync()[0];
    const copies = [];
    for (let i = from; i < to; i++) {
      copies.push(input.add(tf.randomNormal(input.shape, 0, sigma, "float32", copySeed(seed, i))));
    }
    return tf.concat(copies, 0) as tf.Tensor4D;
  });
}

/** The gradient of the class score with respect to `x` (a batch), and the scores of its first image. */
function classGradient(
  model: tf.LayersModel,
  head: ClassifierHead,
  x: tf.Tensor4D,
  classIndex: number | undefined,
): { grad: tf.Tensor4D; scores: ClassScores } {
  let scores: ClassScores | undefined;
  const grad = tf.grad((batch: tf.Tensor) => {
    const [from, output] = runGraph(new Map([[model.inputs[0].id, batch]]), [head.from, head.output]);
    const logits = logitsOf(head, from);
    scores = readScores(head, logits.slice(0, 1), output.slice(0, 1), classIndex);
    return classScore(logits, scores.classIndex);
  })(x) as tf.Tensor4D;
  return { grad, scores: scores as ClassScores };
}

function checkSmoothing(options: SaliencyOptions): { samples: number; noise: number; seed: number | null } {
  const samples = options.smoothSamples ?? 0;
  if (!Number.isInteger(samples) || samples < 0) {
    throw new ConvlensError(
      `saliency(): smoothSamples must be an integer ≥ 0 (0 for vanilla gradients, e.g. 20 for SmoothGrad), ` +
        `not ${describeValue(samples)}`,
    );
  }
  const noise = options.noise ?? 0.2;
  if (typeof noise !== "number" || !(noise >= 0) || !Number.isFinite(noise)) {
    throw new ConvlensError(
      "saliency(): noise is the noise's standard deviation as a fraction of the input's range, " +
        `a number ≥ 0 (e.g. 0.2), not ${describeValue(noise)}`,
    );
  }
  const seed = options.seed;
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed >= SEED_LIMIT)) {
    throw new ConvlensError(
      `saliency(): seed must be an integer from 0 to ${SEED_LIMIT - 1}, not ${describeValue(seed)}`,
    );
  }
  if (samples === 0) return { samples, noise, seed: null };
  return { samples, noise, seed: seed ?? Math.floor(Math.random() * SEED_LIMIT) };
}

/**
 * A saliency map of one class for one image (path, URL, Buffer, LoadedImage or preprocessed
 * tensor): the gradient of the class's pre-softmax score with respect to the input, and per pixel
 * the maximum of its absolute value over the colour channels (tf-keras-vis's Saliency with
 * keepdims=False), divided by the map's maximum. With smoothSamples > 0, SmoothGrad: the gradient
 * is first averaged over that many copies of the input with Gaussian noise added (σ = noise × the
 * input's max − min), as tf-keras-vis averages gradients before taking |·|. No tensor outlives the call.
 */
export async function saliency(
  model: tf.LayersModel,
  image: ImageLike,
  options: SaliencyOptions = {},
): Promise<SaliencyResult> {
  checkModel(model, "saliency");
  checkOptions(options, ["classIndex", "smoothSamples", "noise", "seed", "batchSize"], "saliency");
  const head = classifierHead(model, "saliency");
  checkClassIndex(options.classIndex, head, "saliency");
  const { samples, noise, seed } = checkSmoothing(options);
  const input = await modelInput(model, image, options, [head.output], "saliency");
  const [, height, width] = input.shape;
  const fallbackBatch = defaultBatch(height, width, 2 ** 18, 16);
  const batchSize = positiveInteger(options.batchSize, fallbackBatch, "batchSize", "saliency");
  let scores: ClassScores | undefined;
  // the gradient (vanilla) or the running sum of the copies' gradients (SmoothGrad)
  let grad: tf.Tensor | undefined;
  try {
    if (seed === null) {
      grad = tf.tidy(() => {
        const pass = classGradient(model, head, input, options.classIndex);
        scores = pass.scores;
        return pass.grad;
      });
    } else {
      // the clean image's scores first: the default class is its top one
      tf.tidy(() => {
        const [from, output] = runGraph(new Map([[model.inputs[0].id, input]]), [head.from, head.output]);
        scores = readScores(head, logitsOf(head, from), output, options.classIndex);
      });
      const classIndex = (scores as ClassScores).classIndex;
      grad = tf.zerosLike(input);
      for (let from = 0; from < samples; from += batchSize) {
        const to = Math.min(samples, from + batchSize);
        const sum: tf.Tensor = grad;
        grad = tf.tidy(() => {
          const copies = smoothGradCopies(input, noise, seed, from, to);
          return sum.add(classGradient(model, head, copies, classIndex).grad.sum(0, true));
        });
        sum.dispose();
      }
    }
    const sum = grad as tf.Tensor;
    const map = tf.tidy(() => (seed === null ? sum : sum.div(samples)).abs().max(-1));
    const data = map.dataSync() as Float32Array;
    map.dispose();
    const scale = scaleToUnit(data);
    return {
      method: seed === null ? "saliency" : "smoothgrad",
      ...(scores as ClassScores),
      height,
      width,
      data,
      ...rangeOf(data),
      scale,
      smoothSamples: samples,
      noise,
      seed,
    };
  } finally {
    input.dispose();
    grad?.dispose();
  }
}
