// How activation maximisation parameterises its images: the optimised variable is not the
// pixels but (by default) their 2-D spectrum, scaled by 1/frequency, as Lucid does. Gradient
// ascent on pixels turns up high-frequency noise first; on a 1/f-scaled spectrum every
// frequency moves at the same pace, so the images come out smooth and readable.
//
// tfjs has irfft, but no gradient for it (Real, Imag and Complex have none), so the inverse
// transform here is written as two real matrix products, which do have gradients.
import * as tf from "@tensorflow/tfjs-node";
import { deriveSeed, seededRandom } from "./seeded-random";

export type Parameterization = "fourier" | "pixel";

/** Lucid's starting amplitude: low enough that the first image is a nearly flat grey. */
const INITIAL_SD = 0.01;
/** Divides the spectrum's image before the sigmoid so the starting contrast stays low (Lucid uses 4 too). */
const SPECTRUM_SOFTENING = 4;

/** An image batch as a function of one trainable variable; `dispose()` frees the variable and constants. */
export interface ImageParam {
  variable: tf.Variable;
  /** RGB in [0, 1], [batch, height, width, 3]; call inside a tidy (or gradient) scope */
  rgb(): tf.Tensor4D;
  dispose(): void;
}

/**
 * A parameterised batch of `streams.length` images, image i started from noise seeded by
 * (seed, streams[i]): an image's start does not depend on which others share the batch.
 */
export function imageParam(
  kind: Parameterization,
  height: number,
  width: number,
  seed: number,
  streams: number[],
): ImageParam {
  return kind === "fourier" ? fourierParam(height, width, seed, streams) : pixelParam(height, width, seed, streams);
}

/** Per-image noise of `perImage` values, image i from its own seeded stream. */
function noise(seed: number, streams: number[], perImage: number): Float32Array {
  const values = new Float32Array(streams.length * perImage);
  streams.forEach((stream, i) => {
    const random = seededRandom(deriveSeed(seed, stream));
    for (let j = 0; j < perImage; j++) values[i * perImage + j] = INITIAL_SD * random.normal();
  });
  return values;
}

/** A trainable variable holding `initial`'s values; `initial` is disposed (the variable keeps its own reference). */
function variableFrom(initial: tf.Tensor): tf.Variable {
  try {
    return tf.variable(initial, true);
  } finally {
    initial.dispose();
  }
}

function pixelParam(height: number, width: number, seed: number, streams: number[]): ImageParam {
  const values = noise(seed, streams, height * width * 3);
  const variable = variableFrom(tf.tensor4d(values, [streams.length, height, width, 3]));
  return {
    variable,
    rgb: () => tf.sigmoid(variable) as tf.Tensor4D,
    dispose: () => variable.dispose(),
  };
}

/** Frequency of index k along an axis of n samples, in cycles per sample (negative past n/2). */
function frequency(k: number, n: number): number {
  return (k <= n / 2 ? k : k - n) / n;
}

/**
 * The variable holds real and imaginary parts as [2, height, batch * 3, width / 2 + 1]:
 * the frequency along y first, so the first inverse transform is one matrix product with no
 * transpose. Image b, colour c is column b * 3 + c.
 */
function fourierParam(height: number, width: number, seed: number, streams: number[]): ImageParam {
  const batch = streams.length;
  const half = Math.floor(width / 2) + 1;
  const columns = batch * 3;
  // each image draws its own noise in (part, colour, ky, kx) order, then it is laid out as above
  const drawn = noise(seed, streams, 2 * 3 * height * half);
  const values = new Float32Array(drawn.length);
  for (let b = 0; b < batch; b++)
    for (let part = 0; part < 2; part++)
      for (let c = 0; c < 3; c++)
        for (let ky = 0; ky < height; ky++)
          for (let kx = 0; kx < half; kx++) {
            const from = (((b * 2 + part) * 3 + c) * height + ky) * half + kx;
            values[((part * height + ky) * columns + b * 3 + c) * half + kx] = drawn[from];
          }
  const variable = variableFrom(tf.tensor4d(values, [2, height, columns, half]));

  // 1/f scaling, with the zero frequency's scale capped at that of the lowest non-zero one;
  // √(H·W) undoes the 1/(H·W) of the inverse transform, so amplitudes do not depend on the size
  const scale = new Float32Array(height * half);
  for (let ky = 0; ky < height; ky++)
    for (let kx = 0; kx < half; kx++) {
      const f = Math.hypot(frequency(ky, height), kx / width);
      scale[ky * half + kx] = Math.sqrt(height * width) / Math.max(f, 1 / Math.max(height, width));
    }

  // along y, a full complex inverse DFT: [Tr; Ti] = [[C, -S], [S, C]] · [Sr; Si]
  const alongY = new Float32Array(4 * height * height);
  for (let y = 0; y < height; y++)
    for (let ky = 0; ky < height; ky++) {
      const angle = (2 * Math.PI * ((y * ky) % height)) / height;
      const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
      alongY[y * 2 * height + ky] = cos;
      alongY[y * 2 * height + height + ky] = -sin;
      alongY[(height + y) * 2 * height + ky] = sin;
      alongY[(height + y) * 2 * height + height + ky] = cos;
    }

  // along x, the inverse of a real signal's half spectrum: x = Σ w_k (Tr cos − Ti sin) / (H·W),
  // w_k = 2 for the frequencies that stand for a conjugate pair, 1 for zero and Nyquist
  const alongX = new Float32Array(2 * half * width);
  for (let kx = 0; kx < half; kx++) {
    const weight = kx === 0 || (width % 2 === 0 && kx === width / 2) ? 1 : 2;
    for (let x = 0; x < width; x++) {
      const angle = (2 * Math.PI * ((x * kx) % width)) / width;
      alongX[kx * width + x] = (weight * Math.cos(angle)) / (height * width);
      alongX[(half + kx) * width + x] = (-weight * Math.sin(angle)) / (height * width);
    }
  }
  const constants = {
    scale: tf.tensor3d(scale, [height, 1, half]),
    alongY: tf.tensor2d(alongY, [2 * height, 2 * height]),
    alongX: tf.tensor2d(alongX, [2 * half, width]),
  };

  const rgb = (): tf.Tensor4D => {
    const spectrum = variable.mul(constants.scale).reshape([2 * height, columns * half]);
    const rows = tf.matMul(constants.alongY, spectrum); // [2·H, columns·half]: Tr over Ti
    // → [H · columns, 2 · half]: for each row y and column, its Tr then Ti coefficients
    const perRow = rows
      .reshape([2, height, columns, half])
      .transpose([1, 2, 0, 3])
      .reshape([height * columns, 2 * half]);
    const pixels = tf.matMul(perRow, constants.alongX).reshape([height, batch, 3, width]);
    return tf.sigmoid(pixels.transpose([1, 0, 3, 2]).div(SPECTRUM_SOFTENING)) as tf.Tensor4D;
  };
  return {
    variable,
    rgb,
    dispose: () => {
      variable.dispose();
      tf.dispose(Object.values(constants));
    },
  };
}
