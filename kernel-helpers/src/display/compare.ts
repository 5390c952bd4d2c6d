// compare(model, images, layer): two to four images in ONE widget, each image's feature maps of the
// same layer in its own grid, drawn by the front end as linked grids (widgets/src/linked.ts): one
// set of controls pages, sorts and scales them all, and a unit hovered in one grid is marked in
// every other and its receptive field boxed on every image.
import * as tf from "@tensorflow/tfjs-node";
import { checkModel } from "../compute/check";
import { featureMapsEngine, featureMapsSync, type ImageLike } from "../compute/featureMaps";
import { isLoadedImage, loadImage, type InputOptions, type LoadedImage } from "../compute/images";
import { ConvlensError, describeValue } from "../errors";
import type { LayerSpec } from "../layers";
import type { ChannelStack } from "../types";
import type { PanelSource } from "./controller";
import { loadedImagePng } from "./model-source";
import { encodeMontagePng, montage, stackImages, tileSize, type MontageImage } from "./montage";
import { open, type ConvLensWidget, type Fallback } from "./show";
import { DEFAULT_MAPS_OPTIONS, mapsPanel, type MapsOptions, type MapsPanelState, type ScaleMode } from "./state";
import type { ViewState } from "./state";

export const MIN_COMPARED = 2;
export const MAX_COMPARED = 4;

/**
 * Grids side by side need narrower pages than one grid alone: 16 channels in rows of 4 (the
 * widget's other defaults hold). `scaleMode` "images" gives a channel one range across the images.
 */
export const COMPARE_DEFAULTS: MapsOptions = { ...DEFAULT_MAPS_OPTIONS, pageSize: 16, columns: 4 };

export interface CompareOptions extends Partial<MapsOptions>, InputOptions {
  title?: string;
  /** the grids side by side (default; they wrap where the notebook is narrower) or one under the other */
  arrangement?: "side" | "stacked";
}

/**
 * Feature maps of one layer for two to four images (paths, URLs, Buffers, loadImage() results or
 * tensors, as featureMaps takes), in one widget: the same channels on every grid's page, paged,
 * sorted and scaled together; hovering a unit of one grid marks that channel and unit on the others
 * and draws its receptive field on every image. Sorting by mean ranks channels by the FIRST image's
 * means, so every grid shows the same channels in the same order. Images of different sizes are
 * fine where the model resizes them to its input size; a model taking any size needs images that
 * give maps of one size.
 */
export async function compare(
  model: tf.LayersModel,
  images: ImageLike[],
  layer: LayerSpec,
  options: CompareOptions = {},
): Promise<ConvLensWidget> {
  checkModel(model, "compare");
  checkImages(images);
  if (Array.isArray(layer)) {
    throw new ConvlensError(`compare() shows one layer, not ${describeValue(layer)}; call it once per layer`);
  }
  const { title = "", arrangement = "side", preprocess, resize, ...mapsOptions } = options;
  if (arrangement !== "side" && arrangement !== "stacked") {
    throw new ConvlensError(`compare(): arrangement is "side" or "stacked", not ${describeValue(arrangement)}`);
  }
  featureMapsEngine(model, layer); // the layer's errors first, named as the layer's, not an image's
  const loaded: (LoadedImage | tf.Tensor)[] = [];
  const stacks: ChannelStack[] = [];
  for (const [i, image] of images.entries()) {
    const named = <T>(step: () => T | Promise<T>) => perImage(i, images.length, step);
    const input = await named(() => (image instanceof tf.Tensor || isLoadedImage(image) ? image : loadImage(image)));
    loaded.push(input);
    stacks.push(await named(() => featureMapsSync(model, input, layer, { preprocess, resize })[0]));
  }
  checkSameSize(stacks);
  const pngs = await Promise.all(loaded.map(displayPng));
  const o: MapsOptions = { ...COMPARE_DEFAULTS, ...mapsOptions };
  const sources: PanelSource[] = stacks.map((stack) => ({ kind: "maps", stack, options: o }));
  const panels = stacks.map((stack, i) => mapsPanel(stack, pngs[i], o));
  return open(sources, panels, { title, arrangement, linked: true }, null, compareFallback);
}

function checkImages(images: unknown): asserts images is ImageLike[] {
  if (!Array.isArray(images)) {
    const range = `${MIN_COMPARED} to ${MAX_COMPARED}`;
    throw new ConvlensError(`compare(model, images, layer) takes a list of ${range} images, not ${describeValue(images)}`);
  }
  if (images.length < MIN_COMPARED || images.length > MAX_COMPARED) {
    const hint =
      images.length < MIN_COMPARED ? "; for one image use showFeatureMaps or explore" : "; compare them in groups";
    throw new ConvlensError(`compare() takes ${MIN_COMPARED} to ${MAX_COMPARED} images, got ${images.length}${hint}`);
  }
  const missing = images.findIndex((image) => image === undefined || image === null);
  if (missing >= 0) {
    throw new ConvlensError(`compare(): image ${missing + 1} of ${images.length} is ${describeValue(images[missing])}`);
  }
}

/** Runs one image's step, naming the image in a convlens error (which of four photos failed to load?). */
async function perImage<T>(i: number, count: number, step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (!(error instanceof ConvlensError)) throw error;
    throw new ConvlensError(`compare(): image ${i + 1} of ${count}: ${error.message.replace(/^convlens: /, "")}`);
  }
}

/** Linked grids put the same channel's tiles in the same places: the maps must have one size. */
function checkSameSize(stacks: ChannelStack[]): void {
  const [first] = stacks;
  const differs = (s: ChannelStack) => s.height !== first.height || s.width !== first.width || s.channels !== first.channels;
  const other = stacks.findIndex(differs);
  if (other < 0) return;
  const size = (s: ChannelStack) => `${s.channels} maps of ${s.height}×${s.width}`;
  throw new ConvlensError(
    `compare(): at ${first.layer.name} image 1 gives ${size(first)} ` +
      `and image ${other + 1} gives ${size(stacks[other])}; ` +
      "this model takes inputs of any size, so give images of one size (resize them, or pass tensors of one shape)",
  );
}

/**
 * The image shown beside a grid, as the model sees it (the whole input, which the receptive-field
 * boxes are in proportion to): a loaded image as is; a tensor as is when its values are 0..255,
 * else stretched to 0..255 (a preprocessed tensor).
 */
async function displayPng(image: LoadedImage | tf.Tensor): Promise<Uint8Array> {
  if (isLoadedImage(image)) return loadedImagePng(image);
  const pixels = tf.tidy(() => {
    const x = image.reshape(image.shape.slice(-3)).toFloat();
    const [min, max] = [x.min().dataSync()[0], x.max().dataSync()[0]];
    const inRange = min >= 0 && max <= 255;
    const scaled = inRange ? x : x.sub(min).div(Math.max(max - min, 1e-12)).mul(255);
    return scaled.clipByValue(0, 255).round().toInt() as tf.Tensor3D;
  });
  try {
    return await tf.node.encodePng(pixels);
  } finally {
    pixels.dispose();
  }
}

/** The text line and the PNG: per image, its picture beside its grid's first page, in the widget's ranges. */
const compareFallback: Fallback = async (state: ViewState) => {
  const panels = state.panels.filter((p): p is MapsPanelState => p.kind === "maps");
  const first = panels[0];
  const p = first.planes;
  const text =
    `convlens: ${state.title ? `${state.title}: ` : ""}compare ${panels.length} images ` +
    `at ${first.layer.name} (layer ${first.layer.index}): ` +
    `${p.count} channels of ${p.height}×${p.width} each`;
  const channels = firstPage(first);
  const rows = panels.map((panel, i) => besideImages([decodePng(panel.image), pageMontage(panels, i, channels)]));
  return { png: await encodeMontagePng(stackImages(rows)), text };
};

/** The first page's channels: index order, or by the first image's means (as the widget sorts). */
export function firstPage(panel: MapsPanelState): number[] {
  const order = Array.from({ length: panel.planes.count }, (_, c) => c);
  if (panel.sort === "mean") order.sort((a, b) => panel.means[b] - panel.means[a] || a - b);
  return order.slice(0, panel.page_size);
}

/**
 * The colour range of `channel` in panel `index` of linked grids: its own; "images": the same
 * channel's across all the images; "shared": the whole layer's across all the images.
 */
export function linkedRange(panels: MapsPanelState[], index: number, channel: number, mode: ScaleMode): [number, number] {
  // as the front end reads a plane's range: the quantisation's offset and 255 steps of its scale
  const range = ({ planes }: MapsPanelState, c: number): [number, number] => {
    return [planes.offset[c], planes.offset[c] + 255 * planes.scale[c]];
  };
  if (mode === "channel") return range(panels[index], channel);
  let [min, max] = [Infinity, -Infinity];
  for (const panel of panels) {
    const all = mode === "shared" ? Array.from({ length: panel.planes.count }, (_, c) => c) : [channel];
    for (const c of all) {
      const [lo, hi] = range(panel, c);
      [min, max] = [Math.min(min, lo), Math.max(max, hi)];
    }
  }
  return [min, max];
}

/** Panel `index`'s tiles of `channels` in grey over the linked ranges of its scale mode. */
function pageMontage(panels: MapsPanelState[], index: number, channels: number[]): MontageImage {
  const panel = panels[index];
  const { height, width, codes, offset, scale } = panel.planes;
  const size = height * width;
  const grey = new Uint8Array(channels.length * size);
  channels.forEach((c, t) => {
    const [lo, hi] = linkedRange(panels, index, c, panel.scale_mode);
    const span = hi > lo ? hi - lo : 1;
    for (let i = 0; i < size; i++) {
      const value = offset[c] + scale[c] * codes[c * size + i];
      grey[t * size + i] = Math.round(Math.min(1, Math.max(0, (value - lo) / span)) * 255);
    }
  });
  return montage(grey, channels.length, height, width, { columns: panel.columns, gap: 2, ...tileSize(height, width) });
}

function decodePng(png: Uint8Array | null): MontageImage | null {
  if (!png || png.length === 0) return null;
  const pixels = tf.node.decodePng(png, 3);
  try {
    const [height, width] = pixels.shape;
    return { height, width, channels: 3, pixels: new Uint8Array(pixels.dataSync()) };
  } finally {
    pixels.dispose();
  }
}

/** Pictures left to right on white, top-aligned, in RGB. */
export function besideImages(images: (MontageImage | null)[], gap = 8): MontageImage {
  const shown = images.filter((i): i is MontageImage => i !== null);
  const height = Math.max(1, ...shown.map((i) => i.height));
  const width = shown.reduce((w, i) => w + i.width, 0) + gap * Math.max(0, shown.length - 1);
  const pixels = new Uint8Array(width * height * 3).fill(255);
  let left = 0;
  for (const image of shown) {
    for (let y = 0; y < image.height; y++) {
      for (let x = 0; x < image.width; x++) {
        const from = (y * image.width + x) * image.channels;
        const to = (y * width + left + x) * 3;
        for (let c = 0; c < 3; c++) pixels[to + c] = image.pixels[from + (image.channels === 3 ? c : 0)];
      }
    }
    left += image.width + gap;
  }
  return { height, width, channels: 3, pixels };
}
