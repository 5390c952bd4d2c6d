// The shapes CNN's data: one shape a student can name (circle, square, triangle, star…),
// drawn procedurally in a random colour, size, position and rotation, filled or outlined,
// on a random crop of one of the photos that scikit-image and scikit-learn ship. Every
// image is generated from a seed, and the shape's bounding box is known, so where Grad-CAM
// looks can be measured. Held-out images use another seed and backgrounds cut from the
// right quarter of each photo, which training never sees (dataset.ts's split).
import * as tf from "@tensorflow/tfjs-node";
import { cropBox, readRgb, seededRandom, type Split } from "./dataset";
import { photoPath, TRAINING_PHOTOS, type PackagePhoto } from "./photos";

/** The classes, in output order. */
export const SHAPE_CLASSES = ["circle", "square", "triangle", "star", "plus", "heart", "arrow", "moon"] as const;
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

type Point = readonly [number, number];
/** A signed distance in the shape's unit frame (negative inside; the shape fits in the unit disc). */
type Sdf = (x: number, y: number) => number;

/** Signed distance to a closed polygon (Inigo Quilez's formula: nearest edge, sign by crossings). */
function polygonSdf(vertices: readonly Point[]): Sdf {
  const n = vertices.length;
  return (px, py) => {
    let d = Infinity;
    let inside = false;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const [xi, yi] = vertices[i];
      const [xj, yj] = vertices[j];
      const ex = xj - xi;
      const ey = yj - yi;
      const wx = px - xi;
      const wy = py - yi;
      const t = Math.min(1, Math.max(0, (wx * ex + wy * ey) / (ex * ex + ey * ey)));
      const bx = wx - ex * t;
      const by = wy - ey * t;
      d = Math.min(d, bx * bx + by * by);
      if (yi > py !== yj > py && px < xi + ((py - yi) * ex) / ey) inside = !inside;
    }
    return inside ? -Math.sqrt(d) : Math.sqrt(d);
  };
}

const regular = (n: number, radius: (k: number) => number): Point[] =>
  Array.from({ length: n }, (_, k) => {
    const a = Math.PI / 2 + (2 * Math.PI * k) / n;
    return [radius(k) * Math.cos(a), radius(k) * Math.sin(a)] as const;
  });

/** The classic parametric heart, scaled into the unit disc. */
const heart = Array.from({ length: 48 }, (_, k) => {
  const t = (2 * Math.PI * k) / 48;
  const x = 16 * Math.sin(t) ** 3;
  const y = 13 * Math.cos(t) - 5 * Math.cos(2 * t) - 2 * Math.cos(3 * t) - Math.cos(4 * t);
  return [x / 17, (y + 2.5) / 17] as const;
});

const SDFS: Record<ShapeClass, Sdf> = {
  circle: (x, y) => Math.hypot(x, y) - 0.9,
  square: polygonSdf(regular(4, () => 0.95).map(([x, y]) => [x * Math.SQRT1_2 - y * Math.SQRT1_2, x * Math.SQRT1_2 + y * Math.SQRT1_2])),
  triangle: polygonSdf(regular(3, () => 1)),
  star: polygonSdf(regular(10, (k) => (k % 2 ? 0.42 : 1))),
  plus: polygonSdf([
    [0.28, 0.95], [0.28, 0.28], [0.95, 0.28], [0.95, -0.28], [0.28, -0.28], [0.28, -0.95],
    [-0.28, -0.95], [-0.28, -0.28], [-0.95, -0.28], [-0.95, 0.28], [-0.28, 0.28], [-0.28, 0.95],
  ]),
  heart: polygonSdf(heart),
  arrow: polygonSdf([[-0.95, 0.2], [0.15, 0.2], [0.15, 0.6], [0.95, 0], [0.15, -0.6], [0.15, -0.2], [-0.95, -0.2]]),
  // a disc minus an overlapping disc
  moon: (x, y) => Math.max(Math.hypot(x, y) - 0.95, 0.8 - Math.hypot(x - 0.45, y - 0.25)),
};

/** How a shape is painted: filled, outlined (a stroke on its contour) or filled with a border of another colour. */
export type ShapeStyle = "fill" | "outline" | "bordered";

export interface ShapeScene {
  label: number;
  /** the shape's bounding box in pixels, [y1, x1, y2, x2) (rows y1…y2−1, columns x1…x2−1) */
  box: [number, number, number, number];
  style: ShapeStyle;
  /** index into the background photos */
  photo: number;
}

export interface ShapeSetOptions {
  split: Split;
  /** number of images; classes take turns, so every class has count / classes of them */
  count: number;
  /** side of the square images, in pixels */
  size: number;
  seed: number;
  photos?: readonly PackagePhoto[];
}

export interface ShapeSet {
  /** [n, size, size, 3], values in [-1, 1] (the "tf" preprocessing: x / 127.5 − 1) */
  xs: tf.Tensor4D;
  /** [n] class index into SHAPE_CLASSES */
  ys: tf.Tensor1D;
  scenes: ShapeScene[];
}

/** Shape radius (the unit disc it fits in), as a fraction of the image side. */
const RADIUS_MIN = 0.16;
const RADIUS_MAX = 0.34;
/** Background crop side, as a fraction of the photo's shorter side (capped by the split's columns). */
const BACKGROUND_MIN = 0.1;
const BACKGROUND_MAX = 0.45;
/** Smallest RGB distance between a shape's colour and the mean of the background it covers. */
const MIN_CONTRAST = 90;
/** Amplitude of the uniform pixel noise added to every image (0–255 scale). */
const NOISE = 6;

/**
 * Each background photo a set draws on, decoded once for that set as an int32 [1, h, w, 3] batch
 * (cropAndResize works in float whatever the input type, so crops match a float copy's exactly).
 * Nothing outlives the set: a kernel that drew a few sample pictures keeps no photo (the largest
 * is ~24 MB as int32), and train-demo's ~50 sets decode their photos again (~0.2 s each).
 */
class PhotoBatches {
  private readonly batches = new Map<PackagePhoto, tf.Tensor4D>();
  get(photo: PackagePhoto): tf.Tensor4D {
    let batch = this.batches.get(photo);
    if (!batch) {
      const rgb = readRgb(photoPath(photo));
      batch = rgb.expandDims(0) as tf.Tensor4D; // a view: shares rgb's data
      rgb.dispose();
      this.batches.set(photo, batch);
    }
    return batch;
  }
  dispose(): void {
    tf.dispose([...this.batches.values()]);
    this.batches.clear();
  }
}

/** A colour far enough from `under` (mean RGB) to be seen: a random hue, or grey now and then. */
function shapeColour(random: () => number, under: readonly number[]): number[] {
  let best: number[] = [];
  let bestDistance = -1;
  for (let attempt = 0; attempt < 12; attempt++) {
    let rgb: number[];
    if (random() < 0.15) {
      rgb = new Array<number>(3).fill(255 * random());
    } else {
      const [h, s, v] = [random() * 6, 0.35 + 0.65 * random(), 0.3 + 0.7 * random()];
      const f = (k: number) => {
        const m = (k + h) % 6;
        return 255 * v * (1 - s * Math.max(0, Math.min(m, 4 - m, 1)));
      };
      rgb = [f(5), f(3), f(1)];
    }
    const distance = Math.hypot(rgb[0] - under[0], rgb[1] - under[1], rgb[2] - under[2]);
    if (distance >= MIN_CONTRAST) return rgb;
    if (distance > bestDistance) [best, bestDistance] = [rgb, distance];
  }
  return best;
}

/**
 * Paints one random shape of class `label` into `pixels` (one size×size×3 image, 0–255, at
 * `offset`) and returns its bounding box and style.
 */
function drawShape(pixels: Float32Array, offset: number, size: number, label: number, random: () => number): Omit<ShapeScene, "label" | "photo"> {
  const sdf = SDFS[SHAPE_CLASSES[label]];
  const radius = size * (RADIUS_MIN + random() * (RADIUS_MAX - RADIUS_MIN));
  const cx = radius + 1 + random() * (size - 2 * radius - 2);
  const cy = radius + 1 + random() * (size - 2 * radius - 2);
  const angle = 2 * Math.PI * random();
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  const u = random();
  const style: ShapeStyle = u < 0.6 ? "fill" : u < 0.85 ? "outline" : "bordered";
  const stroke = size * (0.04 + 0.03 * random()); // 2.6–4.5 px at 64 px, 1.3–2.2 at 32

  const [x0, x1] = [Math.max(0, Math.floor(cx - radius - 2)), Math.min(size, Math.ceil(cx + radius + 2))];
  const [y0, y1] = [Math.max(0, Math.floor(cy - radius - 2)), Math.min(size, Math.ceil(cy + radius + 2))];
  const under = [0, 0, 0];
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++) under[c] += pixels[offset + (y * size + x) * 3 + c];
  }
  const area = (x1 - x0) * (y1 - y0);
  const fill = shapeColour(random, under.map((v) => v / area));
  const border = style === "bordered" ? shapeColour(random, fill) : fill;

  const box: [number, number, number, number] = [size, size, 0, 0];
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      // pixel centre → the shape's unit frame; distances scale back to pixels
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const d = sdf((cos * dx + sin * dy) / radius, (-sin * dx + cos * dy) / radius) * radius;
      // one pixel of anti-aliasing on every edge
      const inside = Math.min(1, Math.max(0, 0.5 - d));
      const onEdge = Math.min(1, Math.max(0, stroke / 2 + 0.5 - Math.abs(d)));
      const layers: [number, number[]][] =
        style === "fill" ? [[inside, fill]] : style === "outline" ? [[onEdge, fill]] : [[inside, fill], [onEdge, border]];
      let covered = 0;
      for (const [alpha, colour] of layers) {
        if (alpha <= 0) continue;
        const p = offset + (y * size + x) * 3;
        for (let c = 0; c < 3; c++) pixels[p + c] += alpha * (colour[c] - pixels[p + c]);
        covered = Math.max(covered, alpha);
      }
      if (covered >= 0.5) {
        box[0] = Math.min(box[0], y);
        box[1] = Math.min(box[1], x);
        box[2] = Math.max(box[2], y + 1);
        box[3] = Math.max(box[3], x + 1);
      }
    }
  }
  return { box, style };
}

/** Seeded images of shapes on photo crops, classes in turn (image i shows class i mod classes). */
export function makeShapes(opts: ShapeSetOptions): ShapeSet {
  const photos = opts.photos ?? TRAINING_PHOTOS;
  const { count: n, size } = opts;
  const random = seededRandom(opts.seed);
  const scenes: ShapeScene[] = [];
  const boxes: number[][][] = photos.map(() => []);
  const slots: number[][] = photos.map(() => []);
  const pixels = new Float32Array(n * size * size * 3);
  const batches = new PhotoBatches();
  try {
    for (let i = 0; i < n; i++) {
      const photo = Math.floor(random() * photos.length);
      const [, h, w] = batches.get(photos[photo]).shape;
      boxes[photo].push(cropBox(h, w, opts.split, random, BACKGROUND_MIN, BACKGROUND_MAX));
      slots[photo].push(i);
      scenes.push({ label: i % SHAPE_CLASSES.length, box: [0, 0, 0, 0], style: "fill", photo });
    }
    photos.forEach((photo, p) => {
      if (!boxes[p].length) return;
      const crops = tf.image.cropAndResize(batches.get(photo), boxes[p], new Array<number>(boxes[p].length).fill(0), [size, size]);
      const data = crops.dataSync();
      crops.dispose();
      slots[p].forEach((i, k) => pixels.set(data.subarray(k * size * size * 3, (k + 1) * size * size * 3), i * size * size * 3));
    });
  } finally {
    batches.dispose();
  }
  for (let i = 0; i < n; i++) {
    Object.assign(scenes[i], drawShape(pixels, i * size * size * 3, size, scenes[i].label, random));
  }
  // sensor-like noise, uniform in ±NOISE: cheap, and flat fills are not perfectly flat
  for (let k = 0; k < pixels.length; k++) {
    pixels[k] = Math.min(255, Math.max(0, pixels[k] + NOISE * (2 * random() - 1))) / 127.5 - 1;
  }
  const xs = tf.tensor4d(pixels, [n, size, size, 3]);
  return {
    xs,
    ys: tf.tensor1d(scenes.map((s) => s.label), "int32"),
    scenes,
  };
}

/** Share of the image a box [y1, x1, y2, x2) covers: the chance level of a map's share inside it. */
export function boxArea([y1, x1, y2, x2]: readonly number[], size: number): number {
  return ((y2 - y1) * (x2 - x1)) / (size * size);
}

/** Share of a non-negative size×size map's mass (row-major) inside a box [y1, x1, y2, x2); 0 for an all-zero map. */
export function shareInBox(map: ArrayLike<number>, size: number, [y1, x1, y2, x2]: readonly number[]): number {
  let inside = 0;
  let total = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = map[y * size + x];
      total += v;
      if (y >= y1 && y < y2 && x >= x1 && x < x2) inside += v;
    }
  }
  return total > 0 ? inside / total : 0;
}
