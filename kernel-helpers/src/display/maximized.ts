// showMaximized: maximizeActivation's synthesised images in a convlens widget. While the run goes
// the panel shows its progress; when it is done, one image per channel, each clickable for that
// channel's feature map on a sample image, with the sample images that excite the channel most.
// Interrupting the cell cancels the run: the widget says so and the call rejects.
import { randomUUID } from "node:crypto";
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../errors";
import { featureMapsSync } from "../compute/featureMaps";
import { isLoadedImage, loadImage, type ImageSource, type LoadedImage } from "../compute/images";
import { maximizeActivation, type MaximizedActivations, type MaximizeOptions } from "../compute/maximize";
import { type LayerSpec, resolveLayer } from "../layers";
import { currentCellSignal, kernelRuntime } from "../runtime/runtime";
import { Widget, widgetBundle, type DisplayFallback } from "../runtime/widget";
import type { ChannelStack, LayerRef } from "../types";
import { DisplayController, type PanelSource } from "./controller";
import { viewWidgetSpec } from "./front-end";
import type { MaximizedPanelState, MaximizedSamples } from "./maximized-wire";
import { loadedImagePng } from "./model-source";
import { encodeMontagePng, panelMontage } from "./montage";
import { ConvLensWidget, textLine } from "./show";
import { planesState } from "./state";
import type { ViewState } from "./wire";

/** An image shown as well as run through the model: a path, URL, Buffer or loadImage() result. */
export type SampleImage = LoadedImage | ImageSource;

interface PanelOptions {
  title?: string;
  /** a sample image: clicking a channel's image shows that channel's feature map for it */
  image?: SampleImage | null;
  /** images to rank for each channel by its mean activation; the best ones are shown under its image */
  samples?: SampleImage[];
  /** how many samples per channel (default 3) */
  topSamples?: number;
  /** images per row (default 4) */
  columns?: number;
}

export interface ShowMaximizedOptions extends MaximizeOptions, PanelOptions {
  /**
   * Least time between two progress updates of the widget, in ms (default 100). A step of a small
   * model takes a few ms: an update per step would flood the page with messages it cannot draw.
   */
  progressInterval?: number;
}

export interface ShowMaximizedResultOptions extends PanelOptions {
  /** the model the result was computed on: needed for `image` and `samples` */
  model?: tf.LayersModel;
}

const PANEL_KEYS = ["title", "image", "samples", "topSamples", "columns"];
/** At most this many progress updates per run, however long it is (plus the final state). */
export const MAX_PROGRESS_UPDATES = 50;
const THUMBNAIL_SIDE = 64;

/**
 * The images that maximise `channels` of `layer`, synthesised here by maximizeActivation (its
 * options apply: steps, seed, size, …) while a progress bar moves; interrupting the cell (or
 * aborting `signal`) cancels the run. Or a result computed before: showMaximized(result, { model }).
 */
export function showMaximized(
  model: tf.LayersModel,
  layer: LayerSpec,
  channels: number | number[],
  options?: ShowMaximizedOptions,
): Promise<ConvLensWidget>;
export function showMaximized(
  result: MaximizedActivations,
  options?: ShowMaximizedResultOptions,
): Promise<ConvLensWidget>;
export async function showMaximized(
  first: tf.LayersModel | MaximizedActivations,
  second?: LayerSpec | ShowMaximizedResultOptions,
  channels?: number | number[],
  options: ShowMaximizedOptions = {},
): Promise<ConvLensWidget> {
  if (isMaximized(first)) return showResult(first, (second ?? {}) as ShowMaximizedResultOptions);
  return runAndShow(first, second as LayerSpec, channels as number | number[], options);
}

function isMaximized(value: unknown): value is MaximizedActivations {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "convlens.maximized";
}

async function showResult(result: MaximizedActivations, options: ShowMaximizedResultOptions): Promise<ConvLensWidget> {
  checkOptionsObject(options, [...PANEL_KEYS, "model"]);
  const settings = panelSettings(options, result.channels.length);
  const model = options.model;
  if ((settings.image || settings.samples) && !model) {
    throw new ConvlensError(
      "showMaximized(result, { image, samples }) needs the model the result was computed on to run them: " +
        "add model to the options",
    );
  }
  const extras = model ? await sampleExtras(model, result.layer.index, settings, undefined) : NO_EXTRAS;
  const channels = result.channels.map((c) => c.channel);
  const shown = new MaximizedDisplay(settings.title, mapsSource(extras, channels, result.totalChannels));
  return shown.finish(result, extras, settings);
}

async function runAndShow(
  model: tf.LayersModel,
  layer: LayerSpec,
  channels: number | number[],
  options: ShowMaximizedOptions,
): Promise<ConvLensWidget> {
  checkOptionsObject(options, null);
  const { title, image, samples, topSamples, columns, progressInterval = 100, onProgress, signal, ...maximize } =
    options;
  const list = Array.isArray(channels) ? channels : [channels];
  const settings = panelSettings({ title, image, samples, topSamples, columns }, list.length);
  if (typeof progressInterval !== "number" || !(progressInterval >= 0) || !Number.isFinite(progressInterval)) {
    const given = describeValue(progressInterval);
    throw new ConvlensError(`progressInterval must be a number of milliseconds ≥ 0, not ${given}`);
  }
  // The kernel aborts the cell's signal on an interrupt; outside a kernel there is none.
  const cancel = signal ?? currentCellSignal();
  // The sample images go first, so a bad path fails before the long run, not after it.
  const extras = await sampleExtras(model, layer, settings, cancel);
  const run: { shown: MaximizedDisplay | null } = { shown: null };
  const displayOf = (steps: number): MaximizedDisplay => {
    if (run.shown) return run.shown;
    const { ref, total } = layerOf(model, layer);
    run.shown = new MaximizedDisplay(settings.title, mapsSource(extras, list, total));
    run.shown.start(runningPanel(ref, total, list, steps, maximize.seed ?? -1, settings.columns));
    return run.shown;
  };
  let result: MaximizedActivations;
  try {
    result = await maximizeActivation(model, layer, channels, {
      ...maximize,
      signal: cancel,
      onProgress: (step, steps) => {
        onProgress?.(step, steps);
        // Opened at the first step: by then maximizeActivation has accepted every argument, so a
        // bad one fails the call without leaving a widget behind.
        displayOf(steps).progress(step, steps, progressInterval);
      },
    });
  } catch (error) {
    try {
      run.shown?.stop(error, cancel?.aborted === true);
    } catch {
      // the widget could not be told (its front end went away); the run's own error is the one to report
    }
    throw unknownOptionHint(error);
  }
  return displayOf(result.steps).finish(result, extras, settings);
}

/** maximizeActivation names only its own options when it refuses one; these are ours too. */
function unknownOptionHint(error: unknown): unknown {
  if (!(error instanceof ConvlensError) || !error.message.includes("unknown maximizeActivation option")) return error;
  const message = error.message.replace(/^convlens: /, "");
  return new ConvlensError(`${message}; showMaximized also takes ${[...PANEL_KEYS, "progressInterval"].join(", ")}`);
}

/**
 * One widget showing one run: opened with a running panel, moved on by progress updates (at most
 * one per `interval` ms and MAX_PROGRESS_UPDATES per run), and given the images at the end. Its
 * display has a display_id, so the final PNG and text replace the ones shown while it ran.
 */
class MaximizedDisplay {
  private widget: Widget<ViewState> | null = null;
  private controller: DisplayController | null = null;
  private panel: MaximizedPanelState | null = null;
  private readonly displayId = randomUUID();
  private updated = { step: 0, time: 0 };
  /** the last step reported, shown where a cancelled run stopped */
  private step = 0;

  constructor(
    private readonly title: string,
    /** the sample image's maps of the shown channels, so the kernel answers the page's exact-value requests */
    private readonly maps: PanelSource | null,
  ) {}

  start(panel: MaximizedPanelState): void {
    this.open(panel, {});
    this.updated = { step: panel.step, time: Date.now() }; // opening counts as an update
  }

  progress(step: number, steps: number, interval: number): void {
    this.step = step;
    const stride = Math.max(1, Math.ceil(steps / MAX_PROGRESS_UPDATES));
    const now = Date.now();
    // the last step is not shown: the final images follow it at once
    if (step >= steps || step - this.updated.step < stride || now - this.updated.time < interval) return;
    this.updated = { step, time: now };
    this.update({ step }, "");
  }

  /** The run failed or was cancelled: the panel keeps where it stopped, the status line says why. */
  stop(error: unknown, cancelled: boolean): void {
    if (!this.widget?.isOpen || !this.panel) return;
    const message = error instanceof Error ? error.message : String(error);
    const status = message.startsWith("convlens") ? message : `convlens: ${message}`;
    this.update({ phase: cancelled ? "cancelled" : "failed", step: this.step }, status);
    this.redisplay({});
  }

  async finish(result: MaximizedActivations, extras: Extras, settings: PanelSettings): Promise<ConvLensWidget> {
    const panel = donePanel(result, await rankedExtras(extras, result, settings), settings.columns);
    const png = await encodeMontagePng(panelMontage(panel));
    if (!this.widget) {
      const widget = this.open(panel, { png });
      return new ConvLensWidget(widget, this.controller as DisplayController);
    }
    const widget = this.widget;
    if (widget.isOpen) {
      this.panel = panel;
      widget.set({ panels: [panel], status: "" });
      this.redisplay({ png });
    }
    return new ConvLensWidget(widget, this.controller as DisplayController);
  }

  private open(panel: MaximizedPanelState, fallback: DisplayFallback): Widget<ViewState> {
    this.panel = panel;
    const state = viewState(this.title, panel, "");
    const widget = new Widget<ViewState>(viewWidgetSpec(state));
    try {
      this.controller = new DisplayController(widget, this.maps ? [this.maps] : [], null);
      const data = widgetBundle(widget, { ...fallback, text: textLine(state) });
      kernelRuntime().display({ data, metadata: {}, transient: { display_id: this.displayId } });
    } catch (error) {
      widget.close(); // no comm left behind without a display
      throw error;
    }
    this.widget = widget;
    return widget;
  }

  private update(patch: Partial<MaximizedPanelState>, status: string): void {
    if (!this.widget?.isOpen || !this.panel) return;
    this.panel = { ...this.panel, ...patch };
    this.widget.set({ panels: [this.panel], status });
  }

  /**
   * A new fallback for the display shown at the start: a front end matches it by display_id, but
   * only while the cell runs (after an interrupt, JupyterLab no longer routes the cell's messages).
   */
  private redisplay(fallback: DisplayFallback): void {
    if (!this.widget?.isOpen || !this.panel) return;
    const text = textLine(viewState(this.title, this.panel, ""));
    const data = widgetBundle(this.widget, { ...fallback, text });
    kernelRuntime().publish("update_display_data", { data, metadata: {}, transient: { display_id: this.displayId } });
  }
}

function viewState(title: string, panel: MaximizedPanelState, status: string): ViewState {
  return {
    title, panels: [panel], status, arrangement: "stacked", layers: [], layer_index: -1, mode: "maps", choices: [],
  };
}

function layerOf(model: tf.LayersModel, layer: LayerSpec): { ref: LayerRef; total: number } {
  const { ref, layer: found } = resolveLayer(model, layer);
  const output = found.output as tf.SymbolicTensor;
  return { ref, total: output.shape[3] as number };
}

function runningPanel(
  ref: LayerRef,
  total: number,
  channels: number[],
  steps: number,
  seed: number,
  columns: number,
): MaximizedPanelState {
  return {
    kind: "maximized",
    layer: { name: ref.name, index: ref.index },
    total_channels: total,
    channels,
    phase: "running",
    step: 0,
    steps,
    seed,
    height: 0,
    width: 0,
    images: new Uint8Array(0),
    activations: new Float32Array(0),
    start_activations: new Float32Array(0),
    image: null,
    maps: null,
    receptive_field: null,
    samples: null,
    columns,
  };
}

function donePanel(result: MaximizedActivations, extras: RankedExtras, columns: number): MaximizedPanelState {
  const { height, width } = result;
  const size = height * width * 3;
  const images = new Uint8Array(result.channels.length * size);
  result.channels.forEach((c, i) => images.set(c.image.rgb.subarray(0, size), i * size));
  const maps = extras.maps;
  const field = maps?.receptiveField;
  const channels = result.channels.map((c) => c.channel);
  return {
    ...runningPanel(result.layer, result.totalChannels, channels, result.steps, result.seed, columns),
    phase: "done",
    step: result.steps,
    height,
    width,
    images,
    activations: Float32Array.from(result.channels, (c) => c.activation),
    start_activations: Float32Array.from(result.channels, (c) => c.startActivation),
    image: extras.imagePng,
    maps: maps ? planesState(maps.data, maps.channels, maps.height, maps.width) : null,
    receptive_field: field
      ? { input_height: field.input.height, input_width: field.input.width, rows: field.rows, cols: field.cols }
      : null,
    samples: extras.samples,
  };
}

// ---- options ----

interface PanelSettings {
  title: string;
  image: SampleImage | null;
  samples: SampleImage[] | null;
  topSamples: number;
  columns: number;
}

function checkOptionsObject(options: unknown, keys: string[] | null): void {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    const example = `{ steps: 64, image: "images/cat.png" }`;
    throw new ConvlensError(`showMaximized options are an object like ${example}, not ${describeValue(options)}`);
  }
  const unknown = keys && Object.keys(options).find((k) => !keys.includes(k));
  if (unknown) {
    const known = keys.join(", ");
    const what = `unknown showMaximized option "${unknown}" with a computed result`;
    throw new ConvlensError(`${what}; the options are ${known}`);
  }
}

function panelSettings(options: PanelOptions, count: number): PanelSettings {
  const positive = (name: string, value: unknown, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value === "number" && Number.isInteger(value) && value >= 1) return value;
    throw new ConvlensError(`${name} must be an integer ≥ 1, not ${describeValue(value)}`);
  };
  const samples = options.samples;
  if (samples !== undefined && !Array.isArray(samples)) {
    const what = "a list of images (paths, URLs, Buffers or loadImage() results)";
    throw new ConvlensError(`samples must be ${what}, not ${describeValue(samples)}`);
  }
  if (options.title !== undefined && typeof options.title !== "string") {
    throw new ConvlensError(`title must be a string, not ${describeValue(options.title)}`);
  }
  return {
    title: options.title ?? "",
    image: options.image ?? null,
    samples: samples && samples.length > 0 ? samples : null,
    topSamples: positive("topSamples", options.topSamples, 3),
    // four a row leaves room beside them for the clicked channel's feature map
    columns: positive("columns", options.columns, Math.max(1, Math.min(4, count))),
  };
}

// ---- the sample image and the samples ----

interface Extras {
  /** the sample image as PNG and its feature maps of the whole layer */
  imagePng: Uint8Array | null;
  maps: ChannelStack | null;
  /** the samples and, per sample, every channel's mean activation */
  samples: { images: LoadedImage[]; means: Float32Array[] } | null;
}

interface RankedExtras {
  imagePng: Uint8Array | null;
  /** the maps of the shown channels only, plane i for the i-th shown channel */
  maps: ChannelStack | null;
  samples: MaximizedSamples | null;
}

const NO_EXTRAS: Extras = { imagePng: null, maps: null, samples: null };

async function sampleExtras(
  model: tf.LayersModel,
  layer: LayerSpec,
  settings: PanelSettings,
  signal: AbortSignal | undefined,
): Promise<Extras> {
  const extras: Extras = { ...NO_EXTRAS };
  if (settings.image) {
    const image = await loadSample(settings.image, "image");
    extras.maps = featureMapsSync(model, image, layer)[0];
    extras.imagePng = await loadedImagePng(image);
  }
  if (settings.samples) {
    const images: LoadedImage[] = [];
    const means: Float32Array[] = [];
    for (const [i, sample] of settings.samples.entries()) {
      // a long list of samples can be interrupted too
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) {
        throw new ConvlensError(
          `showMaximized() was cancelled while it ranked the samples (${i} of ${settings.samples.length} done); ` +
            "run the cell again to start over",
        );
      }
      const image = await loadSample(sample, `samples[${i}]`);
      images.push(image);
      means.push(planeMeans(featureMapsSync(model, image, layer)[0]));
    }
    extras.samples = { images, means };
  }
  return extras;
}

async function loadSample(value: unknown, what: string): Promise<LoadedImage> {
  if (isLoadedImage(value)) return value;
  if (typeof value === "string" || value instanceof Uint8Array) return loadImage(value);
  throw new ConvlensError(
    `${what} must be a path, URL, Buffer or loadImage() result (it is shown as well as run through the model), ` +
      `not ${describeValue(value)}`,
  );
}

function planeMeans(stack: ChannelStack): Float32Array {
  const size = stack.height * stack.width;
  const means = new Float32Array(stack.channels);
  for (let c = 0; c < stack.channels; c++) {
    let sum = 0;
    for (let i = c * size; i < (c + 1) * size; i++) sum += stack.data[i];
    means[c] = sum / size;
  }
  return means;
}

/** The source of the kernel's exact values for the feature maps a click shows (plane i = channels[i]). */
function mapsSource(extras: Extras, channels: number[], total: number): PanelSource | null {
  if (!extras.maps) return null;
  if (extras.maps.channels !== total) {
    throw new ConvlensError(
      `the image's feature maps of layer "${extras.maps.layer.name}" have ${extras.maps.channels} channels, ` +
        `the result has ${total}: pass the model the result was computed on`,
    );
  }
  return { kind: "maps", stack: shownPlanes(extras.maps, channels), options: {} };
}

function shownPlanes(stack: ChannelStack, channels: number[]): ChannelStack {
  const size = stack.height * stack.width;
  const data = new Float32Array(channels.length * size);
  channels.forEach((c, i) => data.set(stack.data.subarray(c * size, (c + 1) * size), i * size));
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { ...stack, channels: channels.length, data, min, max };
}

async function rankedExtras(
  extras: Extras,
  result: MaximizedActivations,
  settings: PanelSettings,
): Promise<RankedExtras> {
  const channels = result.channels.map((c) => c.channel);
  const source = mapsSource(extras, channels, result.totalChannels);
  const maps = source?.kind === "maps" ? source.stack : null;
  const samples = extras.samples ? await rankSamples(extras.samples, channels, settings.topSamples) : null;
  return { imagePng: extras.imagePng, maps, samples };
}

/** Per channel, the samples with the highest mean activation (ties: the earlier sample). */
export async function rankSamples(
  samples: { images: LoadedImage[]; means: Float32Array[] },
  channels: number[],
  perChannel: number,
): Promise<MaximizedSamples> {
  const thumbnailOf = new Map<number, number>(); // sample index → thumbnail index
  const top = new Int32Array(channels.length * perChannel).fill(-1);
  const means = new Float32Array(channels.length * perChannel);
  const order = samples.images.map((_, s) => s);
  channels.forEach((channel, i) => {
    const mean = (s: number) => samples.means[s][channel];
    const best = [...order].sort((a, b) => mean(b) - mean(a) || a - b).slice(0, perChannel);
    best.forEach((s, rank) => {
      if (!thumbnailOf.has(s)) thumbnailOf.set(s, thumbnailOf.size);
      top[i * perChannel + rank] = thumbnailOf.get(s) as number;
      means[i * perChannel + rank] = samples.means[s][channel];
    });
  });
  const shown = [...thumbnailOf.keys()];
  return {
    thumbnails: await Promise.all(shown.map((s) => loadedImagePng(samples.images[s], THUMBNAIL_SIDE))),
    names: shown.map((s) => sampleName(samples.images[s], s)),
    per_channel: perChannel,
    top,
    means,
  };
}

function sampleName(image: LoadedImage, index: number): string {
  if (image.source === "buffer" || image.source === "") return `sample ${index}`;
  const path = image.source.split(/[?#]/)[0];
  return path.slice(path.lastIndexOf("/") + 1) || `sample ${index}`;
}
