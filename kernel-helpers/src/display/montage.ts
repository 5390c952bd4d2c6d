// The image/png fallback of a display: the panel's first page drawn as one grey montage in the
// kernel, so GitHub, nbviewer and widget-less front ends still show the picture.
import * as tf from "@tensorflow/tfjs-node";
import type { PanelState, PlanesState } from "./state";

export interface GreyImage {
  height: number;
  width: number;
  /** row-major grey pixels */
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
 * Lays `count` grey tiles of height × width (tile after tile in `tiles`) out in rows of `columns`,
 * resampling each to the layout's tile size.
 */
export function montage(tiles: Uint8Array, count: number, height: number, width: number, layout: MontageLayout): GreyImage {
  const { columns, tileHeight, tileWidth, gap } = layout;
  const rows = Math.ceil(count / columns);
  const outW = columns * tileWidth + (columns + 1) * gap;
  const outH = rows * tileHeight + (rows + 1) * gap;
  const pixels = new Uint8Array(outW * outH).fill(255);
  for (let t = 0; t < count; t++) {
    const top = gap + Math.floor(t / columns) * (tileHeight + gap);
    const left = gap + (t % columns) * (tileWidth + gap);
    for (let y = 0; y < tileHeight; y++) {
      const sy = Math.floor((y * height) / tileHeight);
      for (let x = 0; x < tileWidth; x++) {
        const sx = Math.floor((x * width) / tileWidth);
        pixels[(top + y) * outW + left + x] = tiles[(t * height + sy) * width + sx];
      }
    }
  }
  return { height: outH, width: outW, pixels };
}

/** Grey levels over one range shared by every plane (filters: so weights compare across the grid). */
export function sharedGrey(planes: PlanesState, first: number, count: number): Uint8Array {
  const size = planes.height * planes.width;
  const values = new Float32Array(count * size);
  for (let p = 0; p < count; p++) {
    for (let i = 0; i < size; i++) {
      const k = (first + p) * size + i;
      values[p * size + i] = planes.exact ? planes.exact[k] : planes.offset[first + p] + planes.scale[first + p] * planes.codes[k];
    }
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min || 1;
  return Uint8Array.from(values, (v) => Math.round(((v - min) / span) * 255));
}

/** The montage of a panel's first page: feature maps in their per-channel grey, filters in a shared grey. */
export function panelMontage(panel: PanelState): GreyImage {
  const p = panel.planes;
  const size = tileSize(p.height, p.width);
  if (panel.kind === "maps") {
    const count = Math.min(p.count, panel.page_size);
    return montage(p.codes.subarray(0, count * p.height * p.width), count, p.height, p.width, { columns: panel.columns, gap: 2, ...size });
  }
  return montage(sharedGrey(p, 0, p.count), p.count, p.height, p.width, { columns: panel.in_channels, gap: 2, ...size });
}

/** Stacks montages vertically (several layers in one picture). */
export function stackImages(images: GreyImage[], gap = 8): GreyImage {
  const width = Math.max(1, ...images.map((i) => i.width));
  const height = images.reduce((h, i) => h + i.height, 0) + gap * Math.max(0, images.length - 1);
  const pixels = new Uint8Array(width * height).fill(255);
  let top = 0;
  for (const image of images) {
    for (let y = 0; y < image.height; y++) pixels.set(image.pixels.subarray(y * image.width, (y + 1) * image.width), (top + y) * width);
    top += image.height + gap;
  }
  return { height, width, pixels };
}

export async function encodeGreyPng(image: GreyImage): Promise<Uint8Array> {
  const tensor = tf.tensor3d(image.pixels, [image.height, image.width, 1], "int32");
  try {
    return await tf.node.encodePng(tensor);
  } finally {
    tensor.dispose();
  }
}
