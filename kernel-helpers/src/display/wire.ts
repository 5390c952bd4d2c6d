// The widget's wire state and messages: what the kernel sends and the front end receives. The one
// definition both sides use (the front end imports these types from the built kernel package).
// Keys are snake_case like every ipywidgets state; typed arrays travel as binary buffers. The value
// lists are values, not only types, so that the kernel checks a front end's choices against them.
import type { FilterNormalisation, LayerRef } from "../types";

export type { FilterNormalisation, LayerRef };

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

export const COLOUR_SCALES = ["grey", "viridis", "diverging"] as const;
export const SCALE_MODES = ["channel", "shared"] as const;
export const SORT_ORDERS = ["index", "mean"] as const;
export const VIEW_MODES = ["maps", "filters"] as const;

export type ColourScale = (typeof COLOUR_SCALES)[number];
export type ScaleMode = (typeof SCALE_MODES)[number];
export type SortOrder = (typeof SORT_ORDERS)[number];
/** several panels: one under the other, or one tab each */
export type Arrangement = "stacked" | "tabs";
/** what the explorer shows of the chosen layer */
export type ViewMode = (typeof VIEW_MODES)[number];

export interface MapsPanelState {
  kind: "maps";
  layer: LayerRef;
  planes: PlanesState;
  /** per channel mean, for sorting */
  means: Float32Array;
  /** the input image as PNG bytes, shown beside the grid */
  image: Uint8Array | null;
  /**
   * Which input pixels reach each unit (hover draws that box on the image): rows[2r], rows[2r + 1]
   * are the first and last input row of output row r (−1 where only padding reaches), likewise
   * cols; in the model input's pixels, `input_height` × `input_width`. Null when not known.
   */
  receptive_field: { input_height: number; input_width: number; rows: Int32Array; cols: Int32Array } | null;
  page_size: number;
  columns: number;
  colour_scale: ColourScale;
  scale_mode: ScaleMode;
  sort: SortOrder;
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

/**
 * What a viewer chose in a panel's controls, kept in the widget's state so a saved notebook shows
 * it again; unset keys keep the panel's own setting. Per kind of panel: the explorer shows maps and
 * filters in the same place, and a filters choice (say, the diverging scale) is not one for maps.
 */
export interface PanelChoices {
  /** `page` is 0-based and belongs to one layer: the explorer shows another layer from its first page */
  maps?: {
    colour_scale?: ColourScale;
    scale_mode?: ScaleMode;
    sort?: SortOrder;
    page?: { layer: number; page: number };
    /** a channel laid over the input image, and how opaque */
    overlay?: boolean;
    opacity?: number;
  };
  filters?: { colour_scale?: ColourScale; rgb?: boolean };
}

/** State of one convlens widget: one or more panels, plus the explorer's controls when `layers` is not empty. */
export interface ViewState extends Record<string, unknown> {
  title: string;
  panels: PanelState[];
  /** not `layout`: ipywidgets' DOMWidgetModel keeps its Layout model reference under that key */
  arrangement: Arrangement;
  /** explorer: the conv layers to choose from (empty for a fixed display) */
  layers: LayerRef[];
  /** explorer: the chosen layer's index in the model, and what to show; the front end changes these */
  layer_index: number;
  mode: ViewMode;
  /** a short line shown above the panels (e.g. "computing block3_conv3…" or an error) */
  status: string;
  /** per panel: the viewer's choices (set by the front end) */
  choices: PanelChoices[];
}

/** Front end → kernel custom messages (widget method "custom"). */
export type Request =
  | { type: "value"; request: number; panel: number; channel: number; row: number; col: number }
  | { type: "filters_page"; panel: number; filter_start: number; channel_start: number };

/** Kernel → front end answer to a "value" request. */
export interface ValueReply {
  type: "value";
  request: number;
  panel: number;
  channel: number;
  row: number;
  col: number;
  /** the exact float32 value, or null when out of range */
  value: number | null;
}
