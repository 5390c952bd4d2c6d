// The demo CNN's data: square crops of the training photos, labelled by the photo
// they come from ("which photo is this patch of: cat fur, coffee, galaxies, brick…").
// Each photo is split by columns: crops for training come from its left 75 %, held-out
// crops from its right 25 %, so no held-out pixel is ever seen in training.
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-node";
import { photoPath, TRAINING_PHOTOS, type PackagePhoto } from "./photos";

export type Split = "train" | "test";

/** Fraction of each photo's width (from the left) that training crops come from. */
export const TRAIN_FRACTION = 0.75;
/** Crop side, as a fraction of the photo's shorter side. */
const CROP_MIN = 0.08;
const CROP_MAX = 0.25;

export interface CropOptions {
  split: Split;
  /** crops per photo */
  perPhoto: number;
  /** side of the square output crops, in pixels */
  size: number;
  seed: number;
  photos?: readonly PackagePhoto[];
}

export interface CropSet {
  /** [n, size, size, 3], values in [-1, 1] (the "tf" preprocessing: x / 127.5 − 1) */
  xs: tf.Tensor4D;
  /** [n] class index into `photos` */
  ys: tf.Tensor1D;
  photos: readonly PackagePhoto[];
}

/** mulberry32: a small seeded PRNG, so the same seed gives the same crops. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Decodes a PNG/JPEG file to an RGB uint8 tensor [h, w, 3] (grey files get 3 equal channels). */
export function readRgb(path: string): tf.Tensor3D {
  return tf.node.decodeImage(readFileSync(path), 3, "int32", false) as tf.Tensor3D;
}

/** Column range [left, right) of an image `w` pixels wide that a split's crops come from. */
export function splitColumns(w: number, split: Split): [number, number] {
  return split === "train" ? [0, Math.floor(w * TRAIN_FRACTION)] : [Math.ceil(w * TRAIN_FRACTION), w];
}

/**
 * One normalised crop box [y1, x1, y2, x2] inside a split's column range of an h×w photo,
 * its side `min`–`max` of the photo's shorter side (capped by the range's width), mirrored
 * half of the time (x2 < x1: cropAndResize flips it, which teaches left/right symmetry for free).
 */
export function cropBox(h: number, w: number, split: Split, random: () => number, min = CROP_MIN, max = CROP_MAX): number[] {
  const [left, right] = splitColumns(w, split);
  const shorter = Math.min(h, w);
  const maxSide = Math.min(shorter * max, right - left);
  const side = shorter * min + random() * (maxSide - shorter * min);
  const x = left + random() * (right - left - side);
  const y = random() * (h - side);
  const box = [y / h, x / w, (y + side) / h, (x + side) / w];
  if (random() < 0.5) [box[1], box[3]] = [box[3], box[1]];
  return box;
}

/** Normalised crop boxes [y1, x1, y2, x2] inside one split's column range of an h×w photo. */
function cropBoxes(h: number, w: number, opts: CropOptions, random: () => number): number[][] {
  return Array.from({ length: opts.perPhoto }, () => cropBox(h, w, opts.split, random));
}

export function makeCrops(opts: CropOptions): CropSet {
  const photos = opts.photos ?? TRAINING_PHOTOS;
  const random = seededRandom(opts.seed);
  const { xs, ys } = tf.tidy(() => {
    const parts = photos.map((photo) => {
      const image = readRgb(photoPath(photo));
      const [h, w] = image.shape;
      const boxes = cropBoxes(h, w, opts, random);
      const batch = image.toFloat().expandDims(0) as tf.Tensor4D;
      const crops = tf.image.cropAndResize(batch, boxes, new Array<number>(boxes.length).fill(0), [opts.size, opts.size]);
      return crops.div(127.5).sub(1) as tf.Tensor4D;
    });
    const labels = photos.flatMap((_, c) => new Array<number>(opts.perPhoto).fill(c));
    return { xs: tf.concat(parts) as tf.Tensor4D, ys: tf.tensor1d(labels, "int32") };
  });
  return { xs, ys, photos };
}

/** Applies one seeded permutation to both tensors (model.fit's own shuffle is not seedable). */
export function shuffled(set: CropSet, seed: number): CropSet {
  const n = set.ys.shape[0];
  const order = Array.from({ length: n }, (_, i) => i);
  const random = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const { xs, ys } = tf.tidy(() => {
    const idx = tf.tensor1d(order, "int32");
    return { xs: tf.gather(set.xs, idx), ys: tf.gather(set.ys, idx) };
  });
  return { xs, ys, photos: set.photos };
}
