// The widget's wire state (types in ./wire, shared with the front end), built from the helpers'
// ChannelStack / FilterStack.
import type { ChannelStack, FilterStack } from "../types";
import type { DisplayPlanes } from "../compute/graph/feature-graph";
import { planeMeans, quantisePlanes, type QuantisedPlanes } from "./quantise";
import { describeAttribution } from "./attribution-state";
import type { ColourScale, FiltersPanelState, MapsPanelState, PanelState, PlanesState, ScaleMode, SortOrder } from "./wire";

export type * from "./wire";

/** Exact float32 values are sent alongside the codes up to this many values (256 KB). */
export const EXACT_VALUES_LIMIT = 65536;

export interface MapsOptions {
  /** heatmaps per page (default 64) and per row (default 8) */
  pageSize: number;
  columns: number;
  colourScale: ColourScale;
  scaleMode: ScaleMode;
  sort: SortOrder;
}

export interface FiltersOptions {
  /** draw 3-channel filters as one RGB image each */
  rgb: boolean;
  colourScale: ColourScale;
}

/** Planes the model's TF graph quantised (featureMapsForDisplay), by the stack they belong to. */
const graphQuantised = new WeakMap<ChannelStack, DisplayPlanes>();

/**
 * `stack`, with the display planes its graph run made (if any) for mapsPanel to use instead of
 * quantising again. Only for a stack convlens made to be shown as it is (an explorer source's
 * computeMaps), not one handed to user code to work with, whose data may change.
 */
export function withDisplayPlanes(stack: ChannelStack, display: DisplayPlanes | null): ChannelStack {
  if (display) graphQuantised.set(stack, display);
  return stack;
}

/** Whether mapsPanel will send the graph's display planes for `stack` rather than quantise it. */
export function hasDisplayPlanes(stack: ChannelStack): boolean {
  return graphQuantised.has(stack);
}

/** The wire planes of `data`, quantised here unless `q` has them quantised already (the graph's display planes). */
export function planesState(data: Float32Array, count: number, height: number, width: number, q: QuantisedPlanes = quantisePlanes(data, count, height * width)): PlanesState {
  const exact = data.length <= EXACT_VALUES_LIMIT ? data.slice() : null;
  return { count, height, width, codes: q.codes, scale: q.scale, offset: q.offset, exact };
}

export const DEFAULT_MAPS_OPTIONS: MapsOptions = {
  pageSize: 64,
  columns: 8,
  colourScale: "grey",
  scaleMode: "channel",
  sort: "index",
};

export function mapsPanel(stack: ChannelStack, image: Uint8Array | null, options: Partial<MapsOptions> = {}): MapsPanelState {
  checkStack(stack);
  const o = { ...DEFAULT_MAPS_OPTIONS, ...options };
  if (!(Number.isInteger(o.pageSize) && o.pageSize > 0)) throw new Error(`convlens: pageSize must be a positive integer, got ${o.pageSize}`);
  if (!(Number.isInteger(o.columns) && o.columns > 0)) throw new Error(`convlens: columns must be a positive integer, got ${o.columns}`);
  const size = stack.height * stack.width;
  const quantised = graphQuantised.get(stack);
  return {
    kind: "maps",
    layer: { name: stack.layer.name, index: stack.layer.index },
    planes: planesState(
      stack.data,
      stack.channels,
      stack.height,
      stack.width,
      quantised && { codes: quantised.codes, scale: Float32Array.from(quantised.min, (min, c) => (quantised.max[c] - min) / 255), offset: quantised.min },
    ),
    means: quantised ? Float32Array.from(quantised.sum, (sum) => sum / size) : planeMeans(stack.data, stack.channels, size),
    image,
    receptive_field: stack.receptiveField
      ? { input_height: stack.receptiveField.input.height, input_width: stack.receptiveField.input.width, rows: stack.receptiveField.rows, cols: stack.receptiveField.cols }
      : null,
    page_size: o.pageSize,
    columns: o.columns,
    colour_scale: o.colourScale,
    scale_mode: o.scaleMode,
    sort: o.sort,
  };
}

export function filtersPanel(stack: FilterStack, options: Partial<FiltersOptions> = {}): FiltersPanelState {
  const count = stack.filters * stack.inChannels;
  const expected = count * stack.kernelHeight * stack.kernelWidth;
  if (stack.data.length !== expected) {
    throw new Error(
      `convlens: filter data of ${stack.layer.name} has ${stack.data.length} values, expected ${stack.filters} filters × ${stack.inChannels} channels × ${stack.kernelHeight}×${stack.kernelWidth} = ${expected}`,
    );
  }
  const signed = stack.normalisation !== "minmax";
  return {
    kind: "filters",
    layer: { name: stack.layer.name, index: stack.layer.index },
    planes: planesState(stack.data, count, stack.kernelHeight, stack.kernelWidth),
    filter_start: stack.filterStart,
    filters: stack.filters,
    channel_start: stack.channelStart,
    in_channels: stack.inChannels,
    total_filters: stack.totalFilters,
    total_in_channels: stack.totalInChannels,
    normalisation: stack.normalisation,
    raw_min: stack.rawMin,
    raw_max: stack.rawMax,
    rgb: options.rgb ?? false,
    colour_scale: options.colourScale ?? (signed ? "diverging" : "grey"),
  };
}

function checkStack(stack: ChannelStack): void {
  const expected = stack.channels * stack.height * stack.width;
  if (stack.data.length !== expected) {
    throw new Error(
      `convlens: feature maps of ${stack.layer.name} have ${stack.data.length} values, expected ${stack.channels} channels × ${stack.height}×${stack.width} = ${expected}`,
    );
  }
}

/** The text/plain line of a display: what a widget-less front end prints. */
export function describePanel(panel: PanelState): string {
  if (panel.kind === "maximized") {
    const p = panel;
    const what = `${p.layer.name} (layer ${p.layer.index}) maximised activations: ${p.channels.length} of ${p.total_channels} channels`;
    if (p.phase === "done") return `${what}, ${p.height}×${p.width} images (${p.steps} steps, seed ${p.seed})`;
    return `${what} (${p.phase} at step ${p.step} of ${p.steps})`;
  }
  if (panel.kind === "attribution") return describeAttribution(panel);
  const l = `${panel.layer.name} (layer ${panel.layer.index})`;
  if (panel.kind === "maps") {
    const p = panel.planes;
    return `${l} feature maps: ${p.count} channels of ${p.height}×${p.width}`;
  }
  const last = (start: number, n: number) => start + n - 1;
  return (
    `${l} filters ${panel.filter_start}–${last(panel.filter_start, panel.filters)} of ${panel.total_filters}` +
    ` × input channels ${panel.channel_start}–${last(panel.channel_start, panel.in_channels)} of ${panel.total_in_channels}` +
    `, ${panel.planes.height}×${panel.planes.width} kernels (${panel.normalisation})`
  );
}
