// Held-out pictures for the shapes CNN, as a notebook wants them: images a cell can hand to any
// convlens call (preprocessed like a loaded photo), with the shape's name and where it is.
import * as tf from "@tensorflow/tfjs-node";
import type { LoadedImage } from "../compute/images";
import { ConvlensError, describeValue } from "../errors";
import { makeShapes, SHAPE_CLASSES, type ShapeClass, type ShapeScene } from "./shapes";

export interface ShapeSample {
  image: LoadedImage;
  /** the shape drawn, and its index among the shapes CNN's classes */
  label: ShapeClass;
  classIndex: number;
  /** the shape's bounding box in pixels, [y1, x1, y2, x2) */
  box: ShapeScene["box"];
}

export interface ShapeSamplesOptions {
  /** how many pictures (the shapes take turns: circle, square, …); default 8 */
  count?: number;
  /** side in pixels; default 64, the shapes CNN's input */
  size?: number;
  /** a seed train-demo never used gives pictures the network never saw; default 2026 */
  seed?: number;
}

/** Sets up to this many bytes of pixels are kept for the next call with the same options. */
const KEPT_BYTES = 1 << 20;

/** The last set drawn, if small: the same options give the same pictures (a seeded draw). */
let kept: { key: string; samples: ShapeSample[] } | undefined;

/** A copy a cell may change without changing what the next call returns. */
function copySample(sample: ShapeSample): ShapeSample {
  return { ...sample, image: { ...sample.image, rgb: sample.image.rgb.slice() }, box: [...sample.box] as ShapeSample["box"] };
}

/**
 * Pictures of shapes on the held-out part of the background photos, drawn from a seed. The last
 * small set (up to 1 MB of pixels, the default 8 × 64 × 64 among them) is kept and copied for the
 * next call with the same options: a notebook draws the same set in several cells, and the
 * kernel's warm-up draws the default set before the first cell (decoding the photos it is drawn
 * on is ~0.2 s of CPU per kernel, which a class would otherwise spend at once).
 */
export function shapeSamples(options: ShapeSamplesOptions = {}): ShapeSample[] {
  const { count = 8, size = 64, seed = 2026 } = options;
  for (const [name, value, least] of [["count", count, 1], ["size", size, 16]] as const) {
    if (!Number.isInteger(value) || value < least || value > 1024) {
      throw new ConvlensError(`shapeSamples: ${name} must be an integer from ${least} to 1024, not ${describeValue(value)}`);
    }
  }
  const key = `${count} ${size} ${String(seed)}`;
  if (kept?.key === key) return kept.samples.map(copySample);
  const samples = drawShapeSamples(count, size, seed);
  kept = count * size * size * 3 <= KEPT_BYTES ? { key, samples: samples.map(copySample) } : undefined;
  return samples;
}

/** A new draw of shapeSamples' pictures, none kept. */
export function drawShapeSamples(count: number, size: number, seed: number): ShapeSample[] {
  const set = makeShapes({ split: "test", count, size, seed });
  try {
    // the set is in the network's own scale (x / 127.5 − 1): back to the 0–255 pixels a photo has
    const pixels = tf.tidy(() => set.xs.add(1).mul(127.5).round().clipByValue(0, 255).toInt());
    const rgb = new Uint8Array(pixels.dataSync());
    pixels.dispose();
    return set.scenes.map((scene, i) => ({
      image: { kind: "convlens.image", source: `shape sample ${i} (seed ${seed})`, width: size, height: size, rgb: rgb.slice(i * size * size * 3, (i + 1) * size * size * 3) },
      label: SHAPE_CLASSES[scene.label],
      classIndex: scene.label,
      box: scene.box,
    }));
  } finally {
    tf.dispose([set.xs, set.ys]);
  }
}
