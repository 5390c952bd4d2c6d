// Occlusion sensitivity (Zeiler & Fergus 2014, https://arxiv.org/abs/1311.2901; CS231n's
// "occluding parts of the image"): how much the class's score drops while a grey patch hides each
// part of the image. It only runs the model, so it works for any model with a classifier head.
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../../errors";
import { preprocessingFor } from "../../models/info";
import { checkModel } from "../check";
import type { ImageLike } from "../featureMaps";
import { type InputOptions, preprocess } from "../images";
import {
  checkClassIndex,
  checkOptions,
  classifierHead,
  defaultBatch,
  modelInput,
  positiveInteger,
  rangeOf,
} from "./shared";

export interface OcclusionOptions extends InputOptions {
  /** the class to explain; default the top predicted class */
  classIndex?: number;
  /** the patch's size in input pixels, n or [height, width]; default about a seventh of the input's smaller side */
  patch?: number | [number, number];
  /** the step between patch positions, n or [down, across]; default the patch's size (patches side by side) */
  stride?: number | [number, number];
  /**
   * the patch's value in the model's input space: one number, or one per channel; default mid-grey
   * (RGB 128, 128, 128) put through the model's preprocessing (so an input tensor is taken to be
   * preprocessed that way too)
   */
  fill?: number | number[];
  /** occluded copies per forward pass; default by input size (10 at 224 × 224) */
  batchSize?: number;
}

/**
 * Occlusion sensitivity over the model's input: per patch position the drop in the class's score
 * (the unoccluded score minus the occluded one; negative where hiding a part raises the score).
 */
export interface OcclusionResult {
  method: "occlusion";
  classIndex: number;
  /** what is compared: the model's output for the class, its probability when the model ends in softmax */
  measure: "probability" | "output";
  /** that output for the whole, unoccluded image (each drop is baseline minus the occluded output) */
  baseline: number;
  /** the model's input size */
  height: number;
  width: number;
  /**
   * per pixel of the input, the mean drop of the patches that cover it (every pixel is covered);
   * pixel (y, x) at data[y * width + x]. For drawing over the image.
   */
  data: Float32Array;
  min: number;
  max: number;
  /** the drops at the patch positions: row i, column j at grid[i * cols + j] */
  grid: Float32Array;
  rows: number;
  cols: number;
  /** top-left corners: row i's patches start at y = ys[i], column j's at x = xs[j] */
  ys: number[];
  xs: number[];
  patch: [number, number];
  stride: [number, number];
  /** the patch's value per channel, in the model's input space */
  fill: number[];
}

function pairOption(value: unknown, fallback: [number, number], what: string, hint: string): [number, number] {
  if (value === undefined) return fallback;
  const list = Array.isArray(value) ? value : [value, value];
  if (list.length !== 2 || !list.every((v) => Number.isInteger(v) && v > 0)) {
    throw new ConvlensError(
      `occlusion(): ${what} must be a positive integer or a pair [height, width] of them, ` +
        `not ${describeValue(value)}${hint}`,
    );
  }
  return list as [number, number];
}

/**
 * Patch positions along one axis: every `stride` pixels from 0, plus one flush with the far edge
 * when the stride does not land there, so every pixel is covered.
 */
export function patchPositions(size: number, patch: number, stride: number): number[] {
  const positions: number[] = [];
  for (let p = 0; p + patch <= size; p += stride) positions.push(p);
  if (positions[positions.length - 1] + patch < size) positions.push(size - patch);
  return positions;
}

function fillValues(model: tf.LayersModel, options: OcclusionOptions, channels: number): number[] {
  const fill = options.fill;
  if (fill === undefined) {
    const grey = tf.tidy(() => preprocess(tf.fill([channels], 128), options.preprocess ?? preprocessingFor(model)));
    const values = Array.from(grey.dataSync());
    grey.dispose();
    return values;
  }
  const list = typeof fill === "number" ? new Array<number>(channels).fill(fill) : fill;
  const valid = Array.isArray(list) && list.length === channels && list.every((v) => Number.isFinite(v));
  if (!valid) {
    throw new ConvlensError(
      `occlusion(): fill is one number or ${channels} numbers (one per channel) in the model's input space, ` +
        `not ${describeValue(fill)}`,
    );
  }
  return list;
}

/**
 * Occlusion sensitivity of one class for one image (path, URL, Buffer, LoadedImage or
 * preprocessed tensor): a patch of `fill` slides over the input and, at each position, the drop
 * in the model's output for the class is recorded (its probability, for a softmax model). The
 * occluded copies go through the model `batchSize` at a time. No tensor outlives the call.
 */
export async function occlusion(
  model: tf.LayersModel,
  image: ImageLike,
  options: OcclusionOptions = {},
): Promise<OcclusionResult> {
  checkModel(model, "occlusion");
  checkOptions(options, ["classIndex", "patch", "stride", "fill", "batchSize"], "occlusion");
  const head = classifierHead(model, "occlusion");
  checkClassIndex(options.classIndex, head, "occlusion");
  const input = await modelInput(model, image, options, [head.output], "occlusion");
  try {
    const [, height, width, channels] = input.shape;
    const side = Math.max(1, Math.round(Math.min(height, width) / 7));
    const patch = pairOption(options.patch, [side, side], "patch", "");
    if (patch[0] > height || patch[1] > width) {
      throw new ConvlensError(
        `occlusion(): the patch (${patch[0]}×${patch[1]}) is larger than the ${height}×${width} input; ` +
          `give a patch of at most ${height}×${width} pixels`,
      );
    }
    const stride = pairOption(options.stride, patch, "stride", " (the step between patch positions, in pixels)");
    const fill = fillValues(model, options, channels);
    const fallbackBatch = defaultBatch(height, width, 2 ** 19, 32);
    const batchSize = positiveInteger(options.batchSize, fallbackBatch, "batchSize", "occlusion");
    const ys = patchPositions(height, patch[0], stride[0]);
    const xs = patchPositions(width, patch[1], stride[1]);

    const output = tf.tidy(() => (model.predict(input) as tf.Tensor).squeeze([0]));
    const outputs = output.dataSync();
    output.dispose();
    let classIndex = options.classIndex ?? 0;
    if (options.classIndex === undefined) {
      for (let i = 1; i < outputs.length; i++) if (outputs[i] > outputs[classIndex]) classIndex = i;
    }
    const unoccluded = outputs[classIndex];

    const grid = new Float32Array(ys.length * xs.length);
    for (let first = 0; first < grid.length; first += batchSize) {
      const count = Math.min(batchSize, grid.length - first);
      // 1 inside each copy's patch, 0 elsewhere
      const masks = new Float32Array(count * height * width);
      for (let k = 0; k < count; k++) {
        const y0 = ys[Math.floor((first + k) / xs.length)];
        const x0 = xs[(first + k) % xs.length];
        for (let y = y0; y < y0 + patch[0]; y++) {
          const row = (k * height + y) * width;
          masks.fill(1, row + x0, row + x0 + patch[1]);
        }
      }
      const scores = tf.tidy(() => {
        const mask = tf.tensor4d(masks, [count, height, width, 1]);
        const occluded = input.mul(tf.scalar(1).sub(mask)).add(mask.mul(tf.tensor1d(fill)));
        return (model.predict(occluded) as tf.Tensor).slice([0, classIndex], [count, 1]);
      });
      const values = scores.dataSync();
      scores.dispose();
      for (let k = 0; k < count; k++) grid[first + k] = unoccluded - values[k];
    }

    const data = pixelMeans(grid, ys, xs, patch, height, width);
    return {
      method: "occlusion",
      classIndex,
      measure: head.softmax ? "probability" : "output",
      baseline: unoccluded,
      height,
      width,
      data,
      ...rangeOf(data),
      grid,
      rows: ys.length,
      cols: xs.length,
      ys,
      xs,
      patch,
      stride,
      fill,
    };
  } finally {
    input.dispose();
  }
}

/** Per pixel, the mean of the grid values of the patches covering it. */
function pixelMeans(
  grid: Float32Array,
  ys: number[],
  xs: number[],
  patch: [number, number],
  height: number,
  width: number,
): Float32Array {
  const sum = new Float64Array(height * width);
  const count = new Uint32Array(height * width);
  ys.forEach((y0, i) =>
    xs.forEach((x0, j) => {
      const value = grid[i * xs.length + j];
      for (let y = y0; y < y0 + patch[0]; y++) {
        for (let x = x0; x < x0 + patch[1]; x++) {
          sum[y * width + x] += value;
          count[y * width + x]++;
        }
      }
    }),
  );
  return Float32Array.from(sum, (s, i) => s / count[i]);
}
