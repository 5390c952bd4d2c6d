// What a notebook cell calls: showFeatureMaps, showFilters, showLayers, explore.
// Each opens one convlens widget and displays it with a PNG montage and a text line as fallbacks.
import { inspect } from "node:util";
import * as tf from "@tensorflow/tfjs-node";
import { Widget, display } from "../runtime/widget";
import type { ChannelStack, FilterStack } from "../types";
import { isLoadedImage, type LoadedImage } from "../compute/images";
import type { ImageLike } from "../compute/featureMaps";
import { viewWidgetSpec } from "./front-end";
import { loadedImagePng, modelExplorerSource } from "./model-source";
import {
  DEFAULT_FILTER_PAGE,
  DisplayController,
  explorerPanelSource,
  panelOf,
  type ExplorerSource,
  type FilterSource,
  type PanelSource,
} from "./controller";
import { encodeMontagePng, panelMontage, stackImages } from "./montage";
import { describePanel, type FiltersOptions, type MapsOptions, type PanelState, type ViewState } from "./state";

export { WIDGET_MODULE, WIDGET_MODULE_VERSION } from "./front-end";

/** An input image: a loadImage() result, PNG bytes, or an [h, w, 1|3|4] tensor with values in 0..255. */
export type ImageInput = LoadedImage | Uint8Array | tf.Tensor3D;

export interface ShowOptions {
  title?: string;
  /** several panels: one under the other, or one tab each */
  arrangement?: ViewState["arrangement"];
  /** @deprecated the earlier name of `arrangement`, still understood */
  layout?: ViewState["arrangement"];
}

export interface ShowMapsOptions extends ShowOptions, Partial<MapsOptions> {
  image?: ImageInput | null;
}

export interface ShowFiltersOptions extends ShowOptions, Partial<FiltersOptions> {
  /** filters and input channels per page when paging through a FilterSource (default 8 × 8) */
  pageFilters?: number;
  pageChannels?: number;
}

export interface ExploreOptions {
  title?: string;
  /** filter normalisation when the explorer is given a model (default "minmax", like the seed) */
  normalise?: "minmax" | "symmetric" | "raw";
  /** the layer shown first: its index in the model or its name (default: the first conv layer) */
  layer?: number | string;
  mode?: ViewState["mode"];
}

/** A handle on a displayed widget (close() removes it). */
export class ConvLensWidget {
  constructor(
    readonly widget: Widget<ViewState>,
    readonly controller: DisplayController,
  ) {}
  close(): void {
    this.widget.close();
  }
  /** One line when a cell ends with `await show…(…)`: the kernel prints its last value with util.inspect. */
  [inspect.custom](): string {
    return `ConvLensWidget ${this.widget.commId}${this.widget.isOpen ? "" : " (closed)"}`;
  }
}

/** Feature maps of one layer, or of several layers at once (stacked or in tabs). */
export async function showFeatureMaps(maps: ChannelStack | ChannelStack[], options: ShowMapsOptions = {}): Promise<ConvLensWidget> {
  const stacks = Array.isArray(maps) ? maps : [maps];
  if (stacks.length === 0) throw new Error("convlens: showFeatureMaps needs at least one ChannelStack (from featureMaps(model, image, layers))");
  const image = options.image ? await imagePng(options.image) : null;
  const { title, arrangement, layout, image: _image, ...mapsOptions } = options;
  const sources: PanelSource[] = stacks.map((stack) => ({ kind: "maps", stack, options: mapsOptions }));
  return open(sources, sources.map((s) => panelOf(s, image)), { title: title ?? "", arrangement: arrangement ?? layout ?? "stacked" }, null);
}

/** The seed's several blocks in one call: the same as showFeatureMaps with a list, tabbed by default. */
export function showLayers(maps: ChannelStack[], options: ShowMapsOptions = {}): Promise<ConvLensWidget> {
  return showFeatureMaps(maps, { ...options, arrangement: options.arrangement ?? options.layout ?? "tabs" });
}

/**
 * A filter grid (rows = filters, columns = input channels). Given a FilterSource instead of a
 * FilterStack, the grid pages through all filters and channels, asking the kernel for each page.
 */
export async function showFilters(filters: FilterStack | FilterSource, options: ShowFiltersOptions = {}): Promise<ConvLensWidget> {
  const { title, arrangement, layout, pageFilters = DEFAULT_FILTER_PAGE.filters, pageChannels = DEFAULT_FILTER_PAGE.channels, ...filterOptions } = options;
  const compute = typeof filters === "function" ? filters : null;
  const stack = compute ? await compute({ filterStart: 0, filters: pageFilters, channelStart: 0, channels: pageChannels }) : (filters as FilterStack);
  const source: PanelSource = { kind: "filters", stack, compute, pageFilters, pageChannels, options: filterOptions };
  return open([source], [panelOf(source, null)], { title: title ?? "", arrangement: arrangement ?? layout ?? "stacked" }, null);
}

/**
 * The layer explorer: a dropdown of conv layers, a filters / feature maps switch and paging, all
 * answered by the kernel. `explore(model, image)`, or `explore(source)` with any ExplorerSource.
 */
export async function explore(model: tf.LayersModel, image: ImageLike, options?: ExploreOptions): Promise<ConvLensWidget>;
export async function explore(source: ExplorerSource, options?: ExploreOptions): Promise<ConvLensWidget>;
export async function explore(first: tf.LayersModel | ExplorerSource, second?: ImageLike | ExploreOptions, third?: ExploreOptions): Promise<ConvLensWidget> {
  const isSource = (v: unknown): v is ExplorerSource => typeof v === "object" && v !== null && "computeMaps" in v && "layers" in v && Array.isArray((v as ExplorerSource).layers);
  let source: ExplorerSource;
  let options: ExploreOptions;
  if (isSource(first)) {
    source = first;
    options = (second as ExploreOptions | undefined) ?? {};
  } else {
    if (second === undefined || second === null) throw new Error("convlens: explore(model, image) needs an image (path, URL, Buffer, loadImage() result or tensor)");
    options = third ?? {};
    source = await modelExplorerSource(first, second as ImageLike, options.normalise);
  }
  if (source.layers.length === 0) throw new Error("convlens: explore needs at least one conv layer in source.layers");
  const wanted = options.layer ?? source.layers[0].index;
  const layer = source.layers.find((l) => (typeof wanted === "number" ? l.index === wanted : l.name === wanted));
  if (!layer) {
    throw new Error(`convlens: explore: no conv layer ${JSON.stringify(wanted)}; the conv layers are ${source.layers.map((l) => `${l.index}: ${l.name}`).join(", ")}`);
  }
  const mode = options.mode ?? "maps";
  const shown = await explorerPanelSource(source, layer.index, mode);
  return open([shown], [panelOf(shown, source.image ?? null)], { title: options.title ?? "", arrangement: "stacked", layers: source.layers, layer_index: layer.index, mode }, source);
}

/** What a front end without widgets shows of a widget: a PNG and a text/plain line. */
export type Fallback = (state: ViewState) => Promise<{ png: Uint8Array; text: string }>;

const panelsFallback: Fallback = async (state) => ({ png: await encodeMontagePng(stackImages(state.panels.map(panelMontage))), text: textLine(state) });

/** Opens a convlens widget on `panels` (made from `sources`) and displays it with its fallback. */
export async function open(sources: PanelSource[], panels: PanelState[], view: Partial<ViewState>, explorer: ExplorerSource | null, fallback = panelsFallback): Promise<ConvLensWidget> {
  const state: ViewState = { title: "", arrangement: "stacked", layers: [], layer_index: -1, mode: "maps", status: "", choices: [], ...view, panels };
  // comm_open (with every plane) goes out first: the front end unpacks it while the kernel draws
  // the PNG fallback, which only the display_data after it carries.
  const widget = new Widget<ViewState>(viewWidgetSpec(state));
  try {
    const controller = new DisplayController(widget, sources, explorer);
    await new Promise((resolve) => setImmediate(resolve)); // lets the queued comm_open leave
    const { png, text } = await fallback(state);
    display(widget, { png, text });
    return new ConvLensWidget(widget, controller);
  } catch (error) {
    widget.close(); // no comm left behind without a display
    throw error;
  }
}

/** The text/plain line: one description per panel. */
export function textLine(state: ViewState): string {
  const what = state.panels.map(describePanel).join("; ");
  return `convlens: ${state.title ? `${state.title}: ` : ""}${what}`;
}

async function imagePng(image: ImageInput): Promise<Uint8Array> {
  if (isLoadedImage(image)) return loadedImagePng(image);
  if (image instanceof Uint8Array) return image;
  if (image.rank !== 3 || ![1, 3, 4].includes(image.shape[2])) {
    throw new Error(`convlens: the image must be PNG bytes or an [height, width, 1|3|4] tensor, got shape [${image.shape.join(", ")}]`);
  }
  const pixels = tf.tidy(() => image.clipByValue(0, 255).round().toInt() as tf.Tensor3D);
  try {
    return await tf.node.encodePng(pixels);
  } finally {
    pixels.dispose();
  }
}
