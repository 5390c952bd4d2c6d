// The image/png fallback of a display: the panel's first page drawn as one montage in the kernel,
// as the widget first draws it (the call's channel order, ranges and colour scale; RGB for a first
// layer's filters shown as RGB composites), so GitHub, nbviewer and widget-less front ends still
// show the picture the notebook's text talks about.
import * as tf from "@tensorflow/tfjs-node";
import type { ColourScale, FiltersPanelState, MapsPanelState, PanelState, PlanesState } from "./state";
import { attributionMontage, colourInto } from "./attribution-state";

export interface MontageImage {
  height: number;
  width: number;
  /** values per pixel: 1 (grey) or 3 (RGB) */
  channels: 1 | 3;
  /** row-major pixels, channels interleaved */
  pixels: Uint8Array;
}

export interface MontageLayout {
  columns: number;
  /** tile side in pixels after nearest-neighbour resampling */
  tileHeight: number;
  tileWidth: number;
  /** white gap between tiles, in pixels */
  gap: number;
}

/** Tiles about `target` pixels high: small kernels are enlarged, big maps shrunk, both by whole factors. */
export function tileSize(height: number, width: number, target = 64): { tileHeight: number; tileWidth: number } {
  if (height >= target) {
    const down = Math.ceil(height / target);
    return { tileHeight: Math.ceil(height / down), tileWidth: Math.ceil(width / down) };
  }
  const up = Math.max(1, Math.floor(target / height));
  return { tileHeight: height * up, tileWidth: width * up };
}

/**
 * Lays `count` tiles of height × width pixels of `channels` values each (tile after tile in
 * `tiles`) out in rows of `columns` on white, resampling each to the layout's tile size.
 */
export function montage(tiles: Uint8Array, count: number, height: number, width: number, layout: MontageLayout, channels: 1 | 3 = 1): MontageImage {
  const { columns, tileHeight, tileWidth, gap } = layout;
  const rows = Math.ceil(count / columns);
  const outW = columns * tileWidth + (columns + 1) * gap;
  const outH = rows * tileHeight + (rows + 1) * gap;
  const pixels = new Uint8Array(outW * outH * channels).fill(255);
  // the source column of each tile column, once (a plain per-value copy: a subarray per pixel cost ~100 ms a seed montage)
  const sourceX = Array.from({ length: tileWidth }, (_, x) => Math.floor((x * width) / tileWidth) * channels);
  for (let t = 0; t < count; t++) {
    const top = gap + Math.floor(t / columns) * (tileHeight + gap);
    const left = gap + (t % columns) * (tileWidth + gap);
    for (let y = 0; y < tileHeight; y++) {
      const rowStart = (t * height + Math.floor((y * height) / tileHeight)) * width * channels;
      let to = ((top + y) * outW + left) * channels;
      for (let x = 0; x < tileWidth; x++) {
        const from = rowStart + sourceX[x];
        for (let c = 0; c < channels; c++) pixels[to++] = tiles[from + c];
      }
    }
  }
  return { height: outH, width: outW, channels, pixels };
}

/** The planes' values (exact where sent, else the codes mapped back), plane after plane. */
function planeValues(planes: PlanesState, first: number, count: number): Float32Array {
  const size = planes.height * planes.width;
  const values = new Float32Array(count * size);
  for (let p = 0; p < count; p++) {
    for (let i = 0; i < size; i++) {
      const k = (first + p) * size + i;
      values[p * size + i] = planes.exact ? planes.exact[k] : planes.offset[first + p] + planes.scale[first + p] * planes.codes[k];
    }
  }
  return values;
}

/** The smallest and largest of `values`. */
function valueRange(values: Float32Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** Grey levels over one range shared by every plane (filters: so weights compare across the grid). */
export function sharedGrey(planes: PlanesState, first: number, count: number): Uint8Array {
  const values = planeValues(planes, first, count);
  const [min, max] = valueRange(values);
  const span = max - min || 1;
  return Uint8Array.from(values, (v) => Math.round(((v - min) / span) * 255));
}

/**
 * A first layer's filters as RGB composites, like the widget's: each filter's weights on the
 * image's R, G and B in one shared range. Interleaved RGB tiles, filter after filter.
 */
export function rgbFilterTiles(planes: PlanesState, filters: number): Uint8Array {
  const size = planes.height * planes.width;
  const grey = sharedGrey(planes, 0, filters * 3);
  const rgb = new Uint8Array(filters * size * 3);
  for (let f = 0; f < filters; f++) {
    for (let i = 0; i < size; i++) {
      for (let c = 0; c < 3; c++) rgb[(f * size + i) * 3 + c] = grey[(f * 3 + c) * size + i];
    }
  }
  return rgb;
}

/** The montage of a panel's first page, as the widget first draws it. */
export function panelMontage(panel: PanelState): MontageImage {
  if (panel.kind === "maximized") {
    // the synthesised images in RGB; a run with none (yet) gives one white pixel
    const count = panel.height * panel.width > 0 ? panel.channels.length : 0;
    if (count === 0) return { height: 1, width: 1, channels: 3, pixels: Uint8Array.of(255, 255, 255) };
    const layout = { columns: Math.min(panel.columns, count), gap: 2, ...tileSize(panel.height, panel.width, 96) };
    return montage(panel.images, count, panel.height, panel.width, layout, 3);
  }
  if (panel.kind === "attribution") return attributionMontage(panel);
  return panel.kind === "maps" ? mapsMontage(panel) : filtersMontage(panel);
}

/**
 * Feature maps: the first page of channels in the panel's order (index, or mean activation
 * highest first, ties by index: the widget's channelOrder), each over its own range or the
 * layer's (the widget's colourRange), in the panel's colour scale.
 */
function mapsMontage(panel: MapsPanelState): MontageImage {
  const p = panel.planes;
  const order = Array.from({ length: p.count }, (_, c) => c);
  if (panel.sort === "mean") order.sort((a, b) => panel.means[b] - panel.means[a] || a - b);
  const page = order.slice(0, Math.min(p.count, panel.page_size));
  const size = p.height * p.width;
  let [low, high] = [Infinity, -Infinity];
  for (let c = 0; c < p.count; c++) {
    low = Math.min(low, p.offset[c]);
    high = Math.max(high, p.offset[c] + 255 * p.scale[c]);
  }
  const span = high - low || 1;
  // a code is its plane's 0–255 step from its own minimum to its own maximum
  const level =
    panel.scale_mode === "shared"
      ? (c: number, code: number) => (p.offset[c] + p.scale[c] * code - low) / span
      : (_c: number, code: number) => code / 255;
  const layout = { columns: panel.columns, gap: 2, ...tileSize(p.height, p.width) };
  // levels and colours only for the pixels the montage shows: a 224 px map shrinks to 56 px tiles,
  // 1/16 of its pixels (the seed's five layers: ~1 M pixels coloured instead of ~4 M); a small
  // map is coloured at its own size and enlarged by montage()
  const shrink = layout.tileHeight * layout.tileWidth < size;
  const [height, width] = shrink ? [layout.tileHeight, layout.tileWidth] : [p.height, p.width];
  const source = shrink ? sampledPixels(p.height, p.width, height, width) : null;
  const shown = height * width;
  // a plane's colour depends only on its code: each plane's 256 colours once, then a look-up per
  // pixel (the seed's montage took ~170 ms colouring pixel by pixel)
  const channels = panel.colour_scale === "grey" ? 1 : 3;
  const codeLevels = new Float64Array(256);
  const tiles = new Uint8Array(page.length * shown * channels);
  page.forEach((c, t) => {
    for (let code = 0; code < 256; code++) codeLevels[code] = level(c, code);
    const [lut] = coloured(codeLevels, panel.colour_scale);
    const plane = c * size;
    let to = t * shown * channels;
    for (let i = 0; i < shown; i++) {
      const from = p.codes[plane + (source ? source[i] : i)] * channels;
      for (let k = 0; k < channels; k++) tiles[to++] = lut[from + k];
    }
  });
  return montage(tiles, page.length, height, width, layout, channels);
}

/** The source pixel (y · width + x) of each pixel of a tileHeight × tileWidth tile: montage()'s nearest-neighbour rule. */
function sampledPixels(height: number, width: number, tileHeight: number, tileWidth: number): Int32Array {
  const source = new Int32Array(tileHeight * tileWidth);
  for (let y = 0; y < tileHeight; y++) {
    const row = Math.floor((y * height) / tileHeight) * width;
    for (let x = 0; x < tileWidth; x++) source[y * tileWidth + x] = row + Math.floor((x * width) / tileWidth);
  }
  return source;
}

/** Filters: every plane of the page over one shared range (symmetric around 0 when diverging), or RGB composites. */
function filtersMontage(panel: FiltersPanelState): MontageImage {
  const p = panel.planes;
  const size = tileSize(p.height, p.width);
  // the widget's rule: a composite stands for the image's colours, so only a first layer's 3 channels
  if (panel.rgb && panel.in_channels === 3 && panel.total_in_channels === 3) {
    return montage(rgbFilterTiles(p, panel.filters), panel.filters, p.height, p.width, { columns: Math.min(8, panel.filters), gap: 2, ...size }, 3);
  }
  const layout = { columns: panel.in_channels, gap: 2, ...size };
  if (panel.colour_scale === "grey") return montage(sharedGrey(p, 0, p.count), p.count, p.height, p.width, layout);
  const values = planeValues(p, 0, p.count);
  let [low, high] = valueRange(values);
  if (panel.colour_scale === "diverging") {
    const reach = Math.max(Math.abs(low), Math.abs(high));
    [low, high] = [-reach, reach];
  }
  const span = high - low || 1;
  const [tiles, channels] = coloured(Float32Array.from(values, (v) => (v - low) / span), panel.colour_scale);
  return montage(tiles, p.count, p.height, p.width, layout, channels);
}

/** Levels in 0..1 as grey bytes, or as RGB on a colour scale (the widget's stops). */
function coloured(levels: Float32Array | Float64Array, scale: ColourScale): [Uint8Array, 1 | 3] {
  if (scale === "grey") return [Uint8Array.from(levels, (t) => Math.round(Math.min(Math.max(t, 0), 1) * 255)), 1];
  const rgb = new Uint8Array(levels.length * 3);
  for (let i = 0; i < levels.length; i++) colourInto(scale, levels[i], rgb, i * 3);
  return [rgb, 3];
}

/** The same picture with 3 values per pixel. */
function asRgb(image: MontageImage): MontageImage {
  if (image.channels === 3) return image;
  const pixels = new Uint8Array(image.pixels.length * 3);
  image.pixels.forEach((v, i) => pixels.fill(v, i * 3, i * 3 + 3));
  return { ...image, channels: 3, pixels };
}

/** Stacks montages vertically (several layers in one picture), in RGB if any of them is. */
export function stackImages(images: MontageImage[], gap = 8): MontageImage {
  const channels: 1 | 3 = images.some((i) => i.channels === 3) ? 3 : 1;
  const same = channels === 3 ? images.map(asRgb) : images;
  const width = Math.max(1, ...same.map((i) => i.width));
  const height = same.reduce((h, i) => h + i.height, 0) + gap * Math.max(0, same.length - 1);
  const pixels = new Uint8Array(width * height * channels).fill(255);
  let top = 0;
  for (const image of same) {
    const row = image.width * channels;
    for (let y = 0; y < image.height; y++) pixels.set(image.pixels.subarray(y * row, (y + 1) * row), (top + y) * width * channels);
    top += image.height + gap;
  }
  return { height, width, channels, pixels };
}

export async function encodeMontagePng(image: MontageImage): Promise<Uint8Array> {
  const tensor = tf.tensor3d(image.pixels, [image.height, image.width, image.channels], "int32");
  try {
    return await tf.node.encodePng(tensor);
  } finally {
    tensor.dispose();
  }
}
