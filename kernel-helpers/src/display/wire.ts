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
/** "images": one range per channel across the images that linked grids compare (compare()); a lone grid's own */
export const SCALE_MODES = ["channel", "shared", "images"] as const;
export const SORT_ORDERS = ["index", "mean"] as const;
export const VIEW_MODES = ["maps", "filters"] as const;

export type ColourScale = (typeof COLOUR_SCALES)[number];
export type ScaleMode = (typeof SCALE_MODES)[number];
export type SortOrder = (typeof SORT_ORDERS)[number];
/** several panels: one under the other, one tab each, or side by side (wrapping where the page is narrow) */
export type Arrangement = "stacked" | "tabs" | "side";
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

// --- attribution panel (issue 16 item 3): a class's attribution map over the image, beside the top-k classes ---

/** The methods showAttribution computes; the state also says "smoothgrad" (saliency over noisy copies). */
export const ATTRIBUTION_METHODS = ["gradcam", "saliency", "occlusion"] as const;
export type AttributionMethod = (typeof ATTRIBUTION_METHODS)[number];

/** One class in the panel's bar chart. */
export interface ClassBar {
  class_index: number;
  /** from the call's labels, a labels file or ImageNet's names: shown as text, never as markup */
  label: string;
  /** the model's probability for the image (the softmax of its outputs when it has no softmax) */
  probability: number;
  /** 1 for the top class */
  rank: number;
}

export interface AttributionPanelState {
  kind: "attribution";
  method: AttributionMethod | "smoothgrad";
  /** the class the map explains */
  class_index: number;
  class_label: string;
  /** Grad-CAM: the layer whose maps were weighed; null for saliency and occlusion */
  layer: LayerRef | null;
  /** the map at the model's input size, one plane (count 1), stretched over the image as the model saw it */
  map: PlanesState;
  /** values are signed (occlusion: hiding a part can raise the score): colours centre on 0 */
  signed: boolean;
  /** the values at the colour scale's two ends: [0, max] for a map ≥ 0, symmetric about 0 for a signed one */
  colour_range: [number, number];
  /** what a value of the map is, e.g. "drop in probability" */
  measure: string;
  /** the input image as PNG bytes */
  image: Uint8Array;
  /** the top-k classes, best first; the explained class is added at the end when it is not among them */
  classes: ClassBar[];
  colour_scale: ColourScale;
  /** the map's opacity over the image, 0..1 */
  opacity: number;
}

// --- end of the attribution panel's types ---

// --- maximized panel (issue 16 item 2): its types are in maximized-wire.ts ---
import type { MaximizedPanelState } from "./maximized-wire";
export type * from "./maximized-wire";
// --- end of the maximized panel's types ---

export type PanelState = MapsPanelState | FiltersPanelState | AttributionPanelState | MaximizedPanelState;

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
  /** the attribution map's colours and opacity over the image */
  attribution?: { colour_scale?: ColourScale; opacity?: number };
  /** the maximized panel: the channel whose feature map is shown (clicked), a channel number */
  maximized?: { channel?: number };
}

/** State of one convlens widget: one or more panels, plus the explorer's controls when `layers` is not empty. */
export interface ViewState extends Record<string, unknown> {
  title: string;
  panels: PanelState[];
  /** not `layout`: ipywidgets' DOMWidgetModel keeps its Layout model reference under that key */
  arrangement: Arrangement;
  /**
   * compare(): the panels are maps of one layer for different images, drawn as linked grids (one set of
   * controls, the same channels on every page, hover shown on all); their choices are the first panel's
   */
  linked?: boolean;
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
  | { type: "filters_page"; panel: number; filter_start: number; channel_start: number }
  /** attribution panel: explain another class (the kernel recomputes the map and replaces the panel) */
  | { type: "attribution_class"; panel: number; class_index: number };

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
