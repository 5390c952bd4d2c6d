// The attribution panel's wire state (types in ./wire), built from a gradCam / saliency / occlusion
// result and the model's predictions, plus what the kernel draws of it without a front end: the
// text line and the PNG fallback (the map blended over the image in the widget's colours).
import * as tf from "@tensorflow/tfjs-node";
import type { GradCamResult, OcclusionResult, SaliencyResult } from "../compute/attribution";
import type { Prediction } from "../compute/predict";
import type { MontageImage } from "./montage";
import { quantisePlanes } from "./quantise";
import type { AttributionPanelState, ClassBar, ColourScale } from "./wire";

export type AttributionResult = GradCamResult | SaliencyResult | OcclusionResult;

/** How the header, the status line and the text line name a method. */
export const METHOD_NAMES: Record<AttributionPanelState["method"], string> = {
  gradcam: "Grad-CAM",
  saliency: "saliency",
  smoothgrad: "SmoothGrad",
  occlusion: "occlusion",
};

export const DEFAULT_OPACITY = 0.5;

/** Viridis for maps ≥ 0 (Grad-CAM, saliency); a diverging scale for occlusion, whose drops are signed. */
export function defaultColourScale(method: AttributionPanelState["method"]): ColourScale {
  return method === "occlusion" ? "diverging" : "viridis";
}

export interface AttributionPanelInput {
  result: AttributionResult;
  /** the model's classes, best first (predict with k = every class): bars and labels come from here */
  predictions: Prediction[];
  /** how many bars */
  k: number;
  /** PNG bytes of the image shown under the map */
  image: Uint8Array;
  colourScale?: ColourScale;
  opacity?: number;
}

function measureOf(result: AttributionResult): string {
  switch (result.method) {
    case "gradcam":
      return "class evidence (ReLU of the weighted maps, 1 = the largest)";
    case "saliency":
    case "smoothgrad":
      return "|gradient| of the class score (1 = the largest)";
    case "occlusion":
      return `drop in ${result.measure === "probability" ? "probability" : "the class output"} when the patch hides it`;
  }
}

/** The values at the colour scale's ends: from 0 to the largest for a map ≥ 0, symmetric about 0 for a signed one. */
export function colourRange(min: number, max: number, signed: boolean): [number, number] {
  if (signed) {
    const most = Math.max(Math.abs(min), Math.abs(max));
    return most > 0 && Number.isFinite(most) ? [-most, most] : [-1, 1];
  }
  const low = Math.min(0, min);
  return max > low && Number.isFinite(max) ? [low, max] : [low, low + 1];
}

export function attributionPanel(input: AttributionPanelInput): AttributionPanelState {
  const { result, predictions, k, image } = input;
  const size = result.height * result.width;
  if (result.data.length !== size) {
    const expected = `${result.height}×${result.width} = ${size}`;
    throw new Error(`convlens: the ${result.method} map has ${result.data.length} values, expected ${expected}`);
  }
  const q = quantisePlanes(result.data, 1, size);
  const bar = (p: Prediction): ClassBar => ({
    class_index: p.classIndex,
    label: p.label,
    probability: p.probability,
    rank: p.rank,
  });
  const classes = predictions.slice(0, k).map(bar);
  const explained = predictions.find((p) => p.classIndex === result.classIndex);
  // a class asked for that is not among the top k still gets its bar, so the chart shows what is explained
  if (explained && !classes.some((c) => c.class_index === result.classIndex)) classes.push(bar(explained));
  const signed = result.method === "occlusion";
  return {
    kind: "attribution",
    method: result.method,
    class_index: result.classIndex,
    class_label: explained?.label ?? `class ${result.classIndex}`,
    layer: result.method === "gradcam" ? { name: result.layer.name, index: result.layer.index } : null,
    map: { count: 1, height: result.height, width: result.width, ...q, exact: null },
    signed,
    colour_range: colourRange(result.min, result.max, signed),
    measure: measureOf(result),
    image,
    classes,
    colour_scale: input.colourScale ?? defaultColourScale(result.method),
    opacity: input.opacity ?? DEFAULT_OPACITY,
  };
}

/** One line for the text/plain fallback. */
export function describeAttribution(panel: AttributionPanelState): string {
  const where = panel.layer ? ` at ${panel.layer.name} (layer ${panel.layer.index})` : "";
  const percent = (p: number) => `${(100 * p).toFixed(1)} %`;
  const top = panel.classes.map((c) => `${c.label} ${percent(c.probability)}`).join(", ");
  return (
    `${METHOD_NAMES[panel.method]} of "${panel.class_label}" (class ${panel.class_index})${where}, ` +
    `${panel.map.height}×${panel.map.width}; top classes: ${top}`
  );
}

// The widget's colour scales as stops (position 0..1, RGB): widgets/src/colours.ts, whose
// colourAt a test compares with this one, so the PNG fallback shows the colours the widget paints.
// A black-to-white ramp, plotly.js's Viridis, and plotly.js's RdBu (blue low, red high).
const VIRIDIS = ["440154", "48186a", "472d7b", "424086", "3b528b", "33638d", "2c728e", "26828e", "21918c", "1fa088", "28ae80", "3fbc73", "5ec962", "84d44b", "addc30", "d8e219", "fde725"];
const STOPS: Record<ColourScale, [number, [number, number, number]][]> = {
  grey: [
    [0, [0, 0, 0]],
    [1, [255, 255, 255]],
  ],
  viridis: VIRIDIS.map((h, i) => [i === 16 ? 1 : (i * 16) / 255, [0, 2, 4].map((k) => parseInt(h.slice(k, k + 2), 16)) as [number, number, number]]),
  diverging: [
    [0, [5, 10, 172]],
    [0.35, [106, 137, 247]],
    [0.5, [190, 190, 190]],
    [0.6, [220, 170, 132]],
    [0.7, [230, 145, 90]],
    [1, [178, 10, 28]],
  ],
};

/** The colour of `t` in 0..1 on `scale` (clamped; NaN is the low end), as the widget computes it. */
export function colourAt(scale: ColourScale, t: number): [number, number, number] {
  const rgb: [number, number, number] = [0, 0, 0];
  colourInto(scale, t, rgb, 0);
  return rgb;
}

/** colourAt's colour written into `out` at `at` (R, G, B): no allocation, for whole pictures. */
export function colourInto(scale: ColourScale, t: number, out: { [i: number]: number }, at: number): void {
  const stops = STOPS[scale];
  const x = Number.isFinite(t) ? Math.min(Math.max(t, 0), 1) : 0;
  let i = 0;
  while (i < stops.length - 2 && x > stops[i + 1][0]) i++;
  const [p0, a] = stops[i];
  const [p1, b] = stops[i + 1];
  const f = p1 > p0 ? (x - p0) / (p1 - p0) : 0;
  for (let c = 0; c < 3; c++) out[at + c] = Math.round(a[c] + f * (b[c] - a[c]));
}

/** The map's value at fractional pixel (y, x): bilinear, with half-pixel centres like the browser's scaling. */
function sampler(panel: AttributionPanelState): (y: number, x: number) => number {
  const { height, width, codes, scale, offset } = panel.map;
  const values = Float32Array.from(codes, (c) => offset[0] + scale[0] * c);
  const clamp = (v: number, n: number) => Math.min(Math.max(v, 0), n - 1);
  return (y, x) => {
    const sy = clamp(y, height);
    const sx = clamp(x, width);
    const [y0, x0] = [Math.floor(sy), Math.floor(sx)];
    const [y1, x1] = [Math.min(y0 + 1, height - 1), Math.min(x0 + 1, width - 1)];
    const [fy, fx] = [sy - y0, sx - x0];
    const top = values[y0 * width + x0] * (1 - fx) + values[y0 * width + x1] * fx;
    const bottom = values[y1 * width + x0] * (1 - fx) + values[y1 * width + x1] * fx;
    return top * (1 - fy) + bottom * fy;
  };
}

/**
 * The PNG fallback's picture: the image with the map stretched over it (as the model saw it) in the
 * panel's colour scale and opacity. Decoding the small PNG is synchronous in tfjs-node.
 */
export function attributionMontage(panel: AttributionPanelState): MontageImage {
  const decoded = tf.node.decodePng(panel.image, 3);
  const [height, width] = decoded.shape;
  const pixels = new Uint8Array(decoded.dataSync()); // int32 → uint8, natively
  decoded.dispose();
  const at = sampler(panel);
  const [low, high] = panel.colour_range;
  const span = high > low ? high - low : 1;
  const alpha = panel.opacity;
  const [ry, rx] = [panel.map.height / height, panel.map.width / width];
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 3) {
      const colour = colourAt(panel.colour_scale, (at((y + 0.5) * ry - 0.5, (x + 0.5) * rx - 0.5) - low) / span);
      for (let c = 0; c < 3; c++) pixels[i + c] = Math.round((1 - alpha) * pixels[i + c] + alpha * colour[c]);
    }
  }
  return { height, width, channels: 3, pixels };
}
