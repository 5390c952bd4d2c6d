// The random transforms of activation maximisation (Lucid's "transformation robustness"):
// each step the model sees the image shifted, scaled and rotated a little, so the image has to
// excite the channel wherever and at whatever size its pattern lands; that removes the
// pixel-exact adversarial noise gradient ascent otherwise finds.
//
// On the tensorflow backend, tf.image.transform has no kernel and rotateWithOffset / cropAndResize
// have no gradient. So the warp is a bilinear resampling written with tf.gather (which has one):
// the source positions are computed here in JS, the pixels gathered and blended in TensorFlow.
import * as tf from "@tensorflow/tfjs-node";
import type { SeededRandom } from "./seeded-random";

export interface WarpRanges {
  /** largest shift in pixels, each axis */
  jitter: number;
  /** largest relative change of size: 0.1 draws a scale in [0.9, 1.1] */
  scale: number;
  /** largest rotation in degrees, either way */
  rotate: number;
}

/** One draw of the transform: where output pixel (y, x)'s content comes from. */
export interface Warp {
  shiftY: number;
  shiftX: number;
  scale: number;
  /** radians */
  angle: number;
}

export function isIdentity(ranges: WarpRanges): boolean {
  return ranges.jitter === 0 && ranges.scale === 0 && ranges.rotate === 0;
}

/** Draws one transform; always 4 draws, so the stream stays aligned whatever the ranges. */
export function drawWarp(random: SeededRandom, ranges: WarpRanges): Warp {
  return {
    shiftY: random.uniform(-ranges.jitter, ranges.jitter),
    shiftX: random.uniform(-ranges.jitter, ranges.jitter),
    scale: 1 + random.uniform(-ranges.scale, ranges.scale),
    angle: (random.uniform(-ranges.rotate, ranges.rotate) * Math.PI) / 180,
  };
}

/** Mirrors a coordinate into [0, n − 1] without repeating the edge pixel (TF's "reflect"). */
function reflect(u: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((u % period) + period) % period;
  return m <= n - 1 ? m : period - m;
}

/**
 * The four source pixels (flat indices y * width + x) and bilinear weights of every output pixel:
 * output p samples the input at centre + R(−angle) (p − centre) / scale − shift, mirrored at the
 * borders so no flat band enters at the edges.
 */
export function warpTable(warp: Warp, height: number, width: number): { indices: Int32Array; weights: Float32Array } {
  const indices = new Int32Array(height * width * 4);
  const weights = new Float32Array(height * width * 4);
  const cy = (height - 1) / 2;
  const cx = (width - 1) / 2;
  const cos = Math.cos(warp.angle) / warp.scale;
  const sin = Math.sin(warp.angle) / warp.scale;
  // plain scalar code: this runs every step, for every pixel
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dy = y - cy;
      const dx = x - cx;
      const sy = reflect(cy + cos * dy - sin * dx - warp.shiftY, height);
      const sx = reflect(cx + sin * dy + cos * dx - warp.shiftX, width);
      const y0 = Math.floor(sy);
      const x0 = Math.floor(sx);
      const y1 = Math.min(y0 + 1, height - 1);
      const x1 = Math.min(x0 + 1, width - 1);
      const fy = sy - y0;
      const fx = sx - x0;
      const at = (y * width + x) * 4;
      indices[at] = y0 * width + x0;
      indices[at + 1] = y0 * width + x1;
      indices[at + 2] = y1 * width + x0;
      indices[at + 3] = y1 * width + x1;
      weights[at] = (1 - fy) * (1 - fx);
      weights[at + 1] = (1 - fy) * fx;
      weights[at + 2] = fy * (1 - fx);
      weights[at + 3] = fy * fx;
    }
  }
  return { indices, weights };
}

/** Applies one warp to every image of a [batch, height, width, channels] batch; differentiable. */
export function applyWarp(images: tf.Tensor4D, warp: Warp): tf.Tensor4D {
  const [batch, height, width, channels] = images.shape;
  const { indices, weights } = warpTable(warp, height, width);
  return tf.tidy(() => {
    const flat = images.reshape([batch, height * width, channels]);
    const corners = tf.gather(flat, tf.tensor1d(indices, "int32"), 1).reshape([batch, height * width, 4, channels]);
    const blended = corners.mul(tf.tensor4d(weights, [1, height * width, 4, 1])).sum(2);
    return blended.reshape([batch, height, width, channels]) as tf.Tensor4D;
  });
}
