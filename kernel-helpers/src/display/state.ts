// The widget's wire state, built from the helpers' ChannelStack / FilterStack.
// Mirrored by widgets/src/state.ts (the front end's copy); change both together.
// Keys are snake_case like every ipywidgets state; typed arrays travel as binary buffers.
import type { ChannelStack, FilterNormalisation, FilterStack, LayerRef } from "../types";
import { planeMeans, quantisePlanes } from "./quantise";

/** Exact float32 values are sent alongside the codes up to this many values (256 KB). */
export const EXACT_VALUES_LIMIT = 65536;

export interface PlanesState {
  count: number;
  height: number;
  width: number;
  /** count × height × width uint8 codes */
  codes: Uint8Array;
  /** per plane: value ≈ offset + scale × code */
  scale: Float32Array;
  offset: Float32Array;
  /** the exact values when small enough, otherwise null (the front end asks the kernel on hover) */
  exact: Float32Array | null;
}

export type ColourScale = "grey" | "viridis" | "diverging";
export type ScaleMode = "channel" | "shared";
export type SortOrder = "index" | "mean";

export interface MapsOptions {
  /** heatmaps per page (default 64) and per row (default 8) */
  pageSize: number;
  columns: number;
  colourScale: ColourScale;
  scaleMode: ScaleMode;
  sort: SortOrder;
}

export interface MapsPanelState {
  kind: "maps";
  layer: LayerRef;
  planes: PlanesState;
  /** per channel mean, for sorting */
  means: Float32Array;
  /** the input image as PNG bytes, shown beside the grid */
  image: Uint8Array | null;
  page_size: number;
  columns: number;
  colour_scale: ColourScale;
  scale_mode: ScaleMode;
  sort: SortOrder;
}

export interface FiltersOptions {
  /** draw 3-channel filters as one RGB image each */
  rgb: boolean;
  colourScale: ColourScale;
}

export interface FiltersPanelState {
  kind: "filters";
  layer: LayerRef;
  /** planes are filters × in_channels kernels, filter-major */
  planes: PlanesState;
  filter_start: number;
  filters: number;
  channel_start: number;
  in_channels: number;
  total_filters: number;
  total_in_channels: number;
  normalisation: FilterNormalisation;
  raw_min: number;
  raw_max: number;
  rgb: boolean;
  colour_scale: ColourScale;
}

export type PanelState = MapsPanelState | FiltersPanelState;

/** State of one convlens widget: one or more panels, plus the explorer's controls when `layers` is not empty. */
export interface ViewState extends Record<string, unknown> {
  title: string;
  panels: PanelState[];
  layout: "stacked" | "tabs";
  /** explorer: the conv layers to choose from (empty for a fixed display) */
  layers: LayerRef[];
  /** explorer: the chosen layer's index in the model, and what to show; the front end changes these */
  layer_index: number;
  mode: "maps" | "filters";
  /** a short line shown above the panels (e.g. "computing block3_conv3…" or an error) */
  status: string;
}

export function planesState(data: Float32Array, count: number, height: number, width: number): PlanesState {
  const q = quantisePlanes(data, count, height * width);
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
  return {
    kind: "maps",
    layer: { name: stack.layer.name, index: stack.layer.index },
    planes: planesState(stack.data, stack.channels, stack.height, stack.width),
    means: planeMeans(stack.data, stack.channels, stack.height * stack.width),
    image,
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
