import { test } from "node:test";
import assert from "node:assert/strict";
import { describePanel, EXACT_VALUES_LIMIT, filtersPanel, mapsPanel } from "../../kernel-helpers/src/display/state";
import type { ChannelStack, FilterStack } from "../../kernel-helpers/src/types";

function channelStack(channels: number, height: number, width: number): ChannelStack {
  const data = Float32Array.from({ length: channels * height * width }, (_, i) => Math.sin(i) * (1 + (i % 7)));
  return { layer: { name: "block1_conv1", index: 1 }, channels, height, width, data, min: Math.min(...data), max: Math.max(...data) };
}

function filterStack(filters: number, inChannels: number): FilterStack {
  const data = Float32Array.from({ length: filters * inChannels * 9 }, (_, i) => ((i * 37) % 101) / 100);
  return {
    layer: { name: "block1_conv1", index: 1 },
    kernelHeight: 3,
    kernelWidth: 3,
    filterStart: 0,
    filters,
    channelStart: 0,
    inChannels,
    totalFilters: 64,
    totalInChannels: 3,
    normalisation: "minmax",
    data,
    rawMin: -0.5,
    rawMax: 0.6,
  };
}

test("a maps panel carries uint8 codes, per-channel scale/offset and means as typed arrays", () => {
  const stack = channelStack(4, 5, 6);
  const panel = mapsPanel(stack, null);
  assert.equal(panel.kind, "maps");
  assert.ok(panel.planes.codes instanceof Uint8Array);
  assert.equal(panel.planes.codes.length, 4 * 5 * 6);
  assert.ok(panel.planes.scale instanceof Float32Array && panel.planes.scale.length === 4);
  assert.ok(panel.planes.offset instanceof Float32Array && panel.planes.offset.length === 4);
  assert.ok(panel.means instanceof Float32Array && panel.means.length === 4);
  assert.deepEqual(panel.planes.exact, stack.data, "small stacks send their exact values too");
  assert.equal(panel.page_size, 64);
  assert.equal(panel.columns, 8);
});

test("large stacks leave exact values in the kernel (fetched on hover)", () => {
  const stack = channelStack(2, 200, 200);
  assert.ok(stack.data.length > EXACT_VALUES_LIMIT);
  assert.equal(mapsPanel(stack, null).planes.exact, null);
});

test("the state holds no plain number arrays, so everything numeric travels as buffers", () => {
  const panel = mapsPanel(channelStack(3, 4, 4), new Uint8Array([137, 80]));
  const json = JSON.stringify(panel, (_k, v) => (ArrayBuffer.isView(v) ? "<buffer>" : v));
  assert.doesNotMatch(json, /\[\s*-?\d/);
});

test("a stack whose data length is wrong is refused with the expected shape", () => {
  const stack = { ...channelStack(2, 3, 3), channels: 3 };
  assert.throws(() => mapsPanel(stack, null), /expected 3 channels × 3×3 = 27/);
  assert.throws(() => mapsPanel(channelStack(1, 2, 2), null, { pageSize: 0 }), /pageSize must be a positive integer/);
});

test("a filters panel: filters × channels kernels, diverging scale for signed weights", () => {
  const panel = filtersPanel(filterStack(6, 3));
  assert.equal(panel.planes.count, 18);
  assert.equal(panel.planes.height, 3);
  assert.equal(panel.colour_scale, "grey");
  assert.equal(filtersPanel({ ...filterStack(6, 3), normalisation: "symmetric" }).colour_scale, "diverging");
  assert.deepEqual(panel.planes.exact, filterStack(6, 3).data);
  assert.throws(() => filtersPanel({ ...filterStack(6, 3), filters: 7 }), /expected 7 filters × 3 channels × 3×3 = 189/);
});

test("text/plain lines name the layer and the shape", () => {
  assert.equal(describePanel(mapsPanel(channelStack(4, 5, 6), null)), "block1_conv1 (layer 1) feature maps: 4 channels of 5×6");
  assert.equal(
    describePanel(filtersPanel(filterStack(6, 3))),
    "block1_conv1 (layer 1) filters 0–5 of 64 × input channels 0–2 of 3, 3×3 kernels (minmax)",
  );
});
