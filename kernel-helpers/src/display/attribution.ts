// showAttribution: which parts of an image a CNN's class score depends on (Grad-CAM, saliency or
// occlusion), laid over the image beside the model's top-k classes, in one convlens widget.
// Clicking a class in the widget asks the kernel to explain that class instead.
import { inspect } from "node:util";
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../errors";
import {
  gradCam,
  occlusion,
  saliency,
  type GradCamOptions,
  type OcclusionOptions,
  type SaliencyOptions,
} from "../compute/attribution";
import { checkModel } from "../compute/check";
import type { ImageLike } from "../compute/featureMaps";
import { isLoadedImage, loadImage, type InputOptions, type LoadedImage } from "../compute/images";
import { predict, type Prediction } from "../compute/predict";
import { preprocessingFor, type Preprocessing } from "../models/info";
import { Widget, display } from "../runtime/widget";
import {
  attributionMontage,
  attributionPanel,
  describeAttribution,
  METHOD_NAMES,
  type AttributionResult,
} from "./attribution-state";
import type { ViewWidget } from "./controller";
import { viewWidgetSpec } from "./front-end";
import { loadedImagePng } from "./model-source";
import { encodeMontagePng } from "./montage";
import {
  ATTRIBUTION_METHODS,
  COLOUR_SCALES,
  type AttributionMethod,
  type AttributionPanelState,
  type ColourScale,
  type ViewState,
} from "./wire";

/** What every method's call takes besides its own options. */
interface DisplayOptions {
  /** how many of the model's classes the bar chart shows, best first (default 5, at most the model's classes) */
  k?: number;
  /** class names in output order, or a labels JSON's path (default: the model's, or ImageNet's for 1000 classes) */
  labels?: readonly string[] | string;
  title?: string;
  /** default viridis for Grad-CAM and saliency, diverging (centred on 0) for occlusion */
  colourScale?: ColourScale;
  /** the map's opacity over the image, 0..1 (default 0.5) */
  opacity?: number;
}

/**
 * `showAttribution(model, image, { method, classIndex, … })`: the method's own options (gradCam's
 * `layer`, saliency's `smoothSamples`, occlusion's `patch`, …) go in the same object.
 */
export type ShowAttributionOptions = DisplayOptions &
  (
    | ({ method?: "gradcam" } & GradCamOptions)
    | ({ method: "saliency" } & SaliencyOptions)
    | ({ method: "occlusion" } & OcclusionOptions)
  );

const DISPLAY_KEYS = ["method", "k", "labels", "title", "colourScale", "opacity"] as const;

/** A handle on a displayed attribution widget: the map shown now, and close(). */
export class AttributionWidget {
  constructor(
    readonly widget: Widget<ViewState>,
    readonly controller: AttributionController,
  ) {}
  /** the result behind the map shown now (it changes when a class is clicked in the widget) */
  get result(): AttributionResult {
    return this.controller.result;
  }
  close(): void {
    this.widget.close();
  }
  [inspect.custom](): string {
    return `ConvLensWidget ${this.widget.commId}${this.widget.isOpen ? "" : " (closed)"}`;
  }
}

/** What the controller needs to explain one more class of the same image. */
export interface Explainer {
  method: AttributionMethod;
  /** the model's classes, best first (every class: a label for any index) */
  predictions: Prediction[];
  /** computes the map of one class and builds its panel */
  explain(classIndex: number): Promise<{ result: AttributionResult; panel: AttributionPanelState }>;
}

/**
 * Kernel side of an attribution widget: answers the front end's "attribution_class" requests by
 * recomputing the map and replacing the panel. A bad request becomes the status line.
 */
export class AttributionController {
  private generation = 0;
  /** the latest request's work (tests and callers can await it) */
  settled: Promise<void> = Promise.resolve();

  constructor(
    private readonly widget: ViewWidget,
    private readonly explainer: Explainer,
    public result: AttributionResult,
  ) {
    widget.on("msg", (content) => {
      const request = content as { type?: unknown; panel?: unknown; class_index?: unknown } | null;
      if (typeof request !== "object" || request === null || request.type !== "attribution_class") return;
      this.settled = this.explainClass(request.class_index, request.panel);
    });
  }

  /** Shows the map of another class in panel `panel` (the one attribution panel is 0). */
  async explainClass(classIndex: unknown, panel: unknown = 0): Promise<void> {
    const generation = ++this.generation;
    const panels = this.widget.get("panels");
    const classes = this.explainer.predictions.length;
    if (!Number.isInteger(panel) || panels[panel as number]?.kind !== "attribution") {
      this.update({ status: `convlens: panel ${given(panel)} of this widget is not an attribution map` });
      return;
    }
    if (!Number.isInteger(classIndex) || (classIndex as number) < 0 || (classIndex as number) >= classes) {
      const range = `this model's classes are 0 to ${classes - 1}`;
      this.update({ status: `convlens: cannot explain class ${given(classIndex)}: ${range}` });
      return;
    }
    const label = this.explainer.predictions.find((p) => p.classIndex === classIndex)?.label ?? `class ${classIndex}`;
    this.update({ status: `computing ${METHOD_NAMES[this.explainer.method]} for ${label}…` });
    try {
      const { result, panel: shown } = await this.explainer.explain(classIndex as number);
      if (generation !== this.generation) return; // a newer click took over
      this.result = result;
      const now = this.widget.get("panels");
      this.update({ panels: now.map((p, i) => (i === panel ? shown : p)), status: "" });
    } catch (error) {
      if (generation !== this.generation) return;
      const message = error instanceof Error ? error.message : String(error);
      this.update({ status: message.startsWith("convlens") ? message : `convlens: ${message}` });
    }
  }

  /** set(), unless the widget was closed meanwhile. */
  private update(patch: Partial<ViewState>): void {
    if (this.widget.isOpen) this.widget.set(patch);
  }
}

const quoted = (values: readonly string[]) => values.map((v) => `"${v}"`).join(", ");

/** A value sent or given, in a message: a number as itself. */
function given(value: unknown): string {
  return typeof value === "number" ? String(value) : describeValue(value);
}

type Settings = DisplayOptions & { method: AttributionMethod; k: number };

function checkDisplayOptions(options: unknown, classes: number): Settings {
  const fail = (message: string): never => {
    throw new ConvlensError(`showAttribution()${message}`);
  };
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    fail(` options are an object like { method: "gradcam", classIndex: 3 }, not ${describeValue(options)}`);
  }
  const o = options as DisplayOptions & { method?: unknown };
  const method = o.method ?? "gradcam";
  if (!ATTRIBUTION_METHODS.includes(method as AttributionMethod)) {
    fail(`: method is one of ${quoted(ATTRIBUTION_METHODS)}, not ${describeValue(method)}`);
  }
  const k = o.k ?? Math.min(5, classes);
  if (!Number.isInteger(k) || k < 1 || k > classes) {
    fail(`: k (how many classes the chart shows) is an integer from 1 to ${classes}, not ${given(k)}`);
  }
  if (o.colourScale !== undefined && !COLOUR_SCALES.includes(o.colourScale)) {
    fail(`: colourScale is one of ${quoted(COLOUR_SCALES)}, not ${describeValue(o.colourScale)}`);
  }
  if (o.opacity !== undefined && !(typeof o.opacity === "number" && o.opacity >= 0 && o.opacity <= 1)) {
    fail(`: opacity is a number from 0 to 1, not ${given(o.opacity)}`);
  }
  if (o.title !== undefined && typeof o.title !== "string") {
    fail(`: title is a string, not ${describeValue(o.title)}`);
  }
  return { ...o, method: method as AttributionMethod, k };
}

/** The method's own options: everything but the display's (the method's function refuses what it does not know). */
function methodOptions(options: object): Record<string, unknown> {
  const display: readonly string[] = DISPLAY_KEYS;
  return Object.fromEntries(Object.entries(options).filter(([key]) => !display.includes(key)));
}

function compute(
  method: AttributionMethod,
  model: tf.LayersModel,
  image: ImageLike,
  options: Record<string, unknown>,
): Promise<AttributionResult> {
  switch (method) {
    case "gradcam":
      return gradCam(model, image, options as GradCamOptions);
    case "saliency":
      return saliency(model, image, options as SaliencyOptions);
    case "occlusion":
      return occlusion(model, image, options as OcclusionOptions);
  }
}

/** An input tensor (already preprocessed, as the methods take it) back in 0..255 RGB for display. */
function unpreprocess(input: tf.Tensor, mode: Preprocessing): LoadedImage {
  const rgb = tf.tidy(() => {
    const x = (input.rank === 4 ? input.squeeze([0]) : input).toFloat();
    const pixels = (() => {
      switch (mode) {
        case "caffe":
          return tf.reverse(x.add(tf.tensor1d([103.939, 116.779, 123.68])), -1);
        case "tf":
          return x.add(1).mul(127.5);
        case "torch":
          return x.mul(tf.tensor1d([0.229, 0.224, 0.225])).add(tf.tensor1d([0.485, 0.456, 0.406])).mul(255);
        case "unit":
          return x.mul(255);
        case "none":
          return x;
      }
    })();
    return pixels.clipByValue(0, 255).round().toInt();
  });
  const [height, width] = rgb.shape;
  const bytes = new Uint8Array(rgb.dataSync());
  rgb.dispose();
  return { kind: "convlens.image", source: "tensor", height, width, rgb: bytes };
}

/**
 * One convlens widget explaining a classifier's decision for one image: the attribution map of a
 * class (Grad-CAM by default; saliency or occlusion with `method`) over the image, with an
 * opacity slider and a colour scale, beside the model's top-k classes as bars. Clicking a bar
 * explains that class (the kernel recomputes the map). The image is a path, URL, Buffer,
 * loadImage() result or a preprocessed input tensor, as gradCam / saliency / occlusion take it.
 *
 *   await showAttribution(model, photo);                                        // Grad-CAM of the top class
 *   await showAttribution(model, photo, { method: "occlusion", patch: 16, k: 3 });
 */
export async function showAttribution(
  model: tf.LayersModel,
  image: ImageLike,
  options: ShowAttributionOptions = {},
): Promise<AttributionWidget> {
  checkModel(model, "showAttribution");
  const shape = model.outputs[0]?.shape ?? [];
  const classes = shape.length === 2 && typeof shape[1] === "number" ? shape[1] : 1;
  const settings = checkDisplayOptions(options, classes);
  const own = methodOptions(options);
  if (image === undefined || image === null) {
    throw new ConvlensError(
      `showAttribution() needs an image (path, URL, Buffer, loadImage() result or tensor), not ${describeValue(image)}`,
    );
  }
  // Loaded once, kept for every class clicked later: a path is not read again, and a tensor is
  // copied (the cell that made it may dispose it) and freed with the widget.
  const kept: LoadedImage | tf.Tensor =
    image instanceof tf.Tensor ? tf.clone(image) : isLoadedImage(image) ? image : await loadImage(image);
  let widget: Widget<ViewState> | null = null;
  try {
    const first = await compute(settings.method, model, kept, own);
    const input: InputOptions = { preprocess: own.preprocess as Preprocessing | undefined };
    if (own.resize !== undefined) input.resize = own.resize as InputOptions["resize"];
    const predictions = await predict(model, kept, { k: classes, labels: settings.labels }, input);
    const shown = kept instanceof tf.Tensor ? unpreprocess(kept, input.preprocess ?? preprocessingFor(model)) : kept;
    const png = await loadedImagePng(shown);
    // SmoothGrad draws its noise from a seed: another class gets the same noise, so maps compare.
    const again = first.method === "smoothgrad" ? { ...own, seed: first.seed } : own;
    const { k, colourScale, opacity } = settings;
    const panelOf = (result: AttributionResult) =>
      attributionPanel({ result, predictions, k, image: png, colourScale, opacity });
    const explainer: Explainer = {
      method: settings.method,
      predictions,
      explain: async (classIndex) => {
        const result = await compute(settings.method, model, kept, { ...again, classIndex });
        return { result, panel: panelOf(result) };
      },
    };
    const panel = panelOf(first);
    const state: ViewState = {
      title: settings.title ?? "",
      panels: [panel],
      arrangement: "stacked",
      layers: [],
      layer_index: -1,
      mode: "maps",
      status: "",
      choices: [],
    };
    widget = new Widget<ViewState>(viewWidgetSpec(state));
    if (kept instanceof tf.Tensor) widget.on("close", () => kept.dispose());
    const controller = new AttributionController(widget, explainer, first);
    await new Promise((resolve) => setImmediate(resolve)); // lets the queued comm_open leave first
    const fallback = await encodeMontagePng(attributionMontage(panel));
    const text = `convlens: ${state.title ? `${state.title}: ` : ""}${describeAttribution(panel)}`;
    display(widget, { png: fallback, text });
    return new AttributionWidget(widget, controller);
  } catch (error) {
    if (widget) widget.close(); // no comm left behind without a display (its close frees the kept tensor)
    else if (kept instanceof tf.Tensor) kept.dispose();
    throw error;
  }
}
