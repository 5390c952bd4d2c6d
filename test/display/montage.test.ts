import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-node";
import { encodeMontagePng, montage, panelMontage, stackImages, tileSize } from "../../kernel-helpers/src/display/montage";
import { filtersPanel, mapsPanel } from "../../kernel-helpers/src/display/state";
import { colourAt } from "../../kernel-helpers/src/display/attribution-state";

test("tiles are laid out in rows with white gaps, enlarged by whole factors", () => {
  // two 1×2 tiles, each enlarged ×2, one row of 2 columns, gap 1
  const tiles = Uint8Array.from([10, 20, 30, 40]);
  const image = montage(tiles, 2, 1, 2, { columns: 2, tileHeight: 2, tileWidth: 4, gap: 1 });
  assert.equal(image.width, 2 * 4 + 3);
  assert.equal(image.height, 2 + 2);
  const row = (y: number) => Array.from(image.pixels.subarray(y * image.width, (y + 1) * image.width));
  assert.deepEqual(row(0), Array(11).fill(255));
  assert.deepEqual(row(1), [255, 10, 10, 20, 20, 255, 30, 30, 40, 40, 255]);
  assert.deepEqual(row(2), row(1));
  assert.deepEqual(row(3), Array(11).fill(255));
});

test("shrunk RGB tiles keep every other source pixel, with its three values together", () => {
  // two 2×4 RGB tiles shrunk to 1×2, in a column of 1, gap 0: pixel value = tile, row, col, channel
  const tiles = Uint8Array.from({ length: 2 * 2 * 4 * 3 }, (_, i) => i);
  const image = montage(tiles, 2, 2, 4, { columns: 1, tileHeight: 1, tileWidth: 2, gap: 0 }, 3);
  assert.deepEqual([image.width, image.height, image.channels], [2, 2, 3]);
  const source = (t: number, y: number, x: number) => Array.from(tiles.subarray(((t * 2 + y) * 4 + x) * 3, ((t * 2 + y) * 4 + x) * 3 + 3));
  assert.deepEqual(Array.from(image.pixels), [...source(0, 0, 0), ...source(0, 0, 2), ...source(1, 0, 0), ...source(1, 0, 2)]);
});

test("tile sizes: 3×3 kernels grow to about 64 px, 224 px maps shrink", () => {
  assert.deepEqual(tileSize(3, 3), { tileHeight: 63, tileWidth: 63 });
  assert.deepEqual(tileSize(224, 224), { tileHeight: 56, tileWidth: 56 });
  assert.deepEqual(tileSize(14, 14), { tileHeight: 56, tileWidth: 56 });
});

test("the PNG montage of a feature-map panel decodes to the laid-out page", async () => {
  const channels = 70; // more than a page: only the first 64 are drawn
  const data = Float32Array.from({ length: channels * 4 * 4 }, (_, i) => i % 16);
  const panel = mapsPanel({ layer: { name: "c", index: 0 }, channels, height: 4, width: 4, data, min: 0, max: 15 }, null);
  const grey = panelMontage(panel);
  assert.equal(grey.width, 8 * 64 + 9 * 2);
  assert.equal(grey.height, 8 * 64 + 9 * 2);
  const before = tf.memory().numTensors;
  const png = await encodeMontagePng(grey);
  assert.equal(tf.memory().numTensors, before, "no tensor leaks from encoding");
  assert.deepEqual(Array.from(png.subarray(0, 4)), [0x89, 0x50, 0x4e, 0x47]);
  const decoded = tf.node.decodePng(png, 1);
  assert.deepEqual(decoded.shape, [grey.height, grey.width, 1]);
  assert.deepEqual(Buffer.from(decoded.dataSync()), Buffer.from(grey.pixels));
  decoded.dispose();
});

test("filter montages share one grey range across the grid; images stack vertically", () => {
  const data = Float32Array.from({ length: 2 * 1 * 9 }, (_, i) => (i < 9 ? 0 : 1));
  const panel = filtersPanel({
    layer: { name: "c", index: 0 }, kernelHeight: 3, kernelWidth: 3, filterStart: 0, filters: 2, channelStart: 0, inChannels: 1,
    totalFilters: 2, totalInChannels: 1, normalisation: "minmax", data, rawMin: 0, rawMax: 1,
  });
  const grey = panelMontage(panel);
  // filter 0 is all 0 → black, filter 1 all 1 → white (per-plane scaling would make both black)
  assert.equal(grey.pixels[2 * grey.width + 2], 0);
  assert.equal(grey.pixels[(2 + 63 + 2) * grey.width + 2], 255);
  const both = stackImages([grey, { height: 1, width: 3, channels: 1, pixels: Uint8Array.from([1, 2, 3]) }], 4);
  assert.equal(both.height, grey.height + 4 + 1);
  assert.deepEqual(Array.from(both.pixels.subarray((grey.height + 4) * both.width, (grey.height + 4) * both.width + 4)), [1, 2, 3, 255]);
});

test("a first layer's filters shown as RGB composites get a colour fallback; stacked with grey, the grey turns RGB", async () => {
  // 2 filters × 3 channels of 1×1: filter 0 is pure red (R weight high), filter 1 pure blue
  const data = Float32Array.from([1, 0, 0, 0, 0, 1]);
  const stack = {
    layer: { name: "block1_conv1", index: 1 }, kernelHeight: 1, kernelWidth: 1, filterStart: 0, filters: 2, channelStart: 0, inChannels: 3,
    totalFilters: 2, totalInChannels: 3, normalisation: "minmax" as const, data, rawMin: 0, rawMax: 1,
  };
  const rgb = panelMontage(filtersPanel(stack, { rgb: true }));
  assert.equal(rgb.channels, 3);
  const pixel = (image: typeof rgb, y: number, x: number) => Array.from(image.pixels.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));
  const tile = rgb.height - 4; // one row of two tiles, gap 2 around
  assert.deepEqual(pixel(rgb, 2, 2), [255, 0, 0], "filter 0 is red");
  assert.deepEqual(pixel(rgb, 2, 2 + tile + 2), [0, 0, 255], "filter 1 is blue");
  assert.deepEqual(pixel(rgb, 0, 0), [255, 255, 255], "white gaps");
  assert.equal(panelMontage(filtersPanel(stack)).channels, 1, "without rgb: the grey 2 × 3 grid");
  const both = stackImages([{ height: 1, width: 2, channels: 1, pixels: Uint8Array.from([7, 9]) }, rgb], 2);
  assert.equal(both.channels, 3);
  assert.deepEqual(pixel(both, 0, 1), [9, 9, 9]);
  const decoded = tf.node.decodePng(await encodeMontagePng(both), 3);
  assert.deepEqual(decoded.shape, [both.height, both.width, 3]);
  assert.deepEqual(Buffer.from(decoded.dataSync()), Buffer.from(both.pixels));
  decoded.dispose();
});

test("a map fallback follows the call's sort, shared range and colour scale, as the widget first draws it", () => {
  // 3 channels of 1×2: channel c holds [0, c + 1] + 10c, so channel 2 has the highest mean and range
  const data = Float32Array.from([0, 1, 10, 12, 20, 23]);
  const stack = { layer: { name: "c", index: 0 }, channels: 3, height: 1, width: 2, data, min: 0, max: 23 };
  const tile = (image: ReturnType<typeof panelMontage>, t: number, x: number) => {
    const side = tileSize(1, 2); // 1×2 maps grow to 64 × 128
    const at = (2 * image.width + 2 + t * (side.tileWidth + 2) + x * (side.tileWidth / 2)) * image.channels;
    return Array.from(image.pixels.subarray(at, at + image.channels));
  };
  // by index, each channel over its own range: every tile runs black → white
  const plain = panelMontage(mapsPanel(stack, null, { columns: 3 }));
  assert.deepEqual([tile(plain, 0, 0), tile(plain, 0, 1), tile(plain, 2, 0), tile(plain, 2, 1)], [[0], [255], [0], [255]]);
  // highest mean first, one range for the layer (0…23): brute force from the values
  const sorted = panelMontage(mapsPanel(stack, null, { columns: 3, sort: "mean", scaleMode: "shared" }));
  const level = (v: number) => Math.round((v / 23) * 255);
  assert.deepEqual(
    [tile(sorted, 0, 0), tile(sorted, 0, 1), tile(sorted, 1, 0), tile(sorted, 1, 1), tile(sorted, 2, 0), tile(sorted, 2, 1)].map(([g]) => g),
    [20, 23, 10, 12, 0, 1].map(level),
  );
  // viridis: RGB, a channel's minimum at the scale's dark end and its maximum at the yellow end
  const viridis = panelMontage(mapsPanel(stack, null, { columns: 3, colourScale: "viridis" }));
  assert.equal(viridis.channels, 3);
  assert.deepEqual([tile(viridis, 1, 0), tile(viridis, 1, 1)], [[68, 1, 84], [253, 231, 37]]);
});

test("a diverging filter fallback is centred on 0: zero weights are the scale's middle", () => {
  // one filter, one channel, 1×3: −2, 0, 1 → the range is −2…2, so 0 is the middle and 1 is ¾
  const data = Float32Array.from([-2, 0, 1]);
  const panel = filtersPanel(
    {
      layer: { name: "c", index: 0 }, kernelHeight: 1, kernelWidth: 3, filterStart: 0, filters: 1, channelStart: 0, inChannels: 1,
      totalFilters: 1, totalInChannels: 1, normalisation: "symmetric", data, rawMin: -2, rawMax: 1,
    },
    { colourScale: "diverging" },
  );
  const image = panelMontage(panel);
  assert.equal(image.channels, 3);
  const { tileWidth } = tileSize(1, 3);
  const pixel = (x: number) => Array.from(image.pixels.subarray((2 * image.width + 2 + x * (tileWidth / 3)) * 3, (2 * image.width + 2 + x * (tileWidth / 3)) * 3 + 3));
  // plotly.js's RdBu, the widget's diverging scale: blue (5, 10, 172) at 0, grey (190, 190, 190) at ½,
  // (230, 145, 90) at 0.7, red (178, 10, 28) at 1
  assert.deepEqual(pixel(0), [5, 10, 172]);
  assert.deepEqual(pixel(1), [190, 190, 190]);
  // weight 1 of ±2 is at ¾: a sixth of the way from 0.7's colour to the red end, (221.3, 122.5, 79.7),
  // where 122.5 is 122.4999… in floating point
  assert.deepEqual(pixel(2), [221, 122, 80]);
});

test("a map larger than its tile is coloured only where the montage samples it, with the same pixels", () => {
  // 3 channels of 130 × 70 (shrunk to 65 × 35 tiles), values from their position; viridis, one shared range
  const [height, width, channels] = [130, 70, 3];
  const data = Float32Array.from({ length: channels * height * width }, (_, k) => Math.sin(k * 0.37) * (1 + Math.floor(k / (height * width))));
  const stack = { layer: { name: "c", index: 0 }, channels, height, width, data, min: -3, max: 3 };
  const panel = mapsPanel(stack, null, { columns: 3, colourScale: "viridis", scaleMode: "shared", sort: "mean" });
  const image = panelMontage(panel);
  // brute force, as before the change: every pixel's level and colour at full size, then nearest-neighbour sampling
  const p = panel.planes;
  const size = height * width;
  let [low, high] = [Infinity, -Infinity];
  for (let c = 0; c < channels; c++) [low, high] = [Math.min(low, p.offset[c]), Math.max(high, p.offset[c] + 255 * p.scale[c])];
  const order = [0, 1, 2].sort((a, b) => panel.means[b] - panel.means[a] || a - b);
  const full = new Uint8Array(channels * size * 3);
  order.forEach((c, t) => {
    for (let i = 0; i < size; i++) full.set(colourAt("viridis", (p.offset[c] + p.scale[c] * p.codes[c * size + i] - low) / (high - low)), (t * size + i) * 3);
  });
  const expected = montage(full, channels, height, width, { columns: 3, gap: 2, ...tileSize(height, width) }, 3);
  assert.deepEqual([image.height, image.width, image.channels], [expected.height, expected.width, 3]);
  assert.ok(Buffer.from(image.pixels).equals(Buffer.from(expected.pixels)), "the montage's pixels differ from the full-size colouring");
});
