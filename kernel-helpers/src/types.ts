// Data shapes shared by the computing helpers (models, filters, activations) and
// the display helpers that turn them into widget state.

/** Which layer of a model: its Keras name and its index in model.layers. */
export interface LayerRef {
  name: string;
  index: number;
}

/**
 * One layer's feature maps for one image, as per-channel planes.
 * Value of channel c at (row y, col x): data[c * height * width + y * width + x].
 */
export interface ChannelStack {
  layer: LayerRef;
  height: number;
  width: number;
  channels: number;
  data: Float32Array;
  /** min / max over every channel */
  min: number;
  max: number;
  /**
   * Which input pixels reach each unit, axis by axis (see receptiveFieldAxes); absent where the
   * path from the input is not a single conv/pool stack.
   */
  receptiveField?: { input: { height: number; width: number }; rows: Int32Array; cols: Int32Array };
}

export type FilterNormalisation = "minmax" | "symmetric" | "raw";

/**
 * Weights of a range of a conv layer's filters over a range of its input channels.
 * Value of filter f, input channel c at kernel (row y, col x), both relative to
 * their range's start: data[((f * inChannels + c) * kernelHeight + y) * kernelWidth + x].
 */
export interface FilterStack {
  layer: LayerRef;
  kernelHeight: number;
  kernelWidth: number;
  /** first filter (output channel) and how many are included */
  filterStart: number;
  filters: number;
  /** first input channel and how many are included */
  channelStart: number;
  inChannels: number;
  /** the layer's full counts, for paging */
  totalFilters: number;
  totalInChannels: number;
  normalisation: FilterNormalisation;
  data: Float32Array;
  /** min / max of the raw weights in the selection, before normalisation */
  rawMin: number;
  rawMax: number;
}
