// Activation maximisation (feature visualisation): for each asked channel of a layer, an image
// that excites it, found by gradient ascent from faint noise on the channel's mean activation
// over space (Lucid's "channel" objective: the mean, not one centre unit, so the pattern may
// appear anywhere and repeat; climbed before a ReLU, see maximize-objective.ts). The images are
// parameterised by a 1/f-scaled spectrum and seen through small random shifts, scalings and
// rotations each step (maximize-param.ts, maximize-warp.ts): without those, gradient ascent
// finds high-frequency noise, not a picture.
//
// All channels are optimised at once as one batch (image i is scored only on channel i), with
// noise and transforms from a seeded generator: the same seed gives the same bytes, and a
// channel's image does not depend on which other channels share its batch (each image's noise
// is drawn from its own (seed, channel) stream; the transforms are the same for all images).
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../errors";
import { type LayerSpec, resolveLayer } from "../layers";
import { layersView } from "../layers-view";
import { PREPROCESSING_MODES, type Preprocessing, preprocessingFor } from "../models/info";
import type { LayerRef } from "../types";
import { checkModel } from "./check";
import { checkInputFits } from "./geometry";
import { inputSize, type LoadedImage, preprocess } from "./images";
import { imageParam, type ImageParam, type Parameterization } from "./maximize-param";
import { type ScoredTensor, scoredTensor } from "./maximize-objective";
import { applyWarp, drawWarp, isIdentity, type Warp, type WarpRanges } from "./maximize-warp";
import { type AscentGraph, ascentGraph } from "./graph/ascent-graph";
import { deriveSeed, seededRandom } from "./seeded-random";

export interface MaximizeOptions {
  /** gradient-ascent steps; default 128 */
  steps?: number;
  /**
   * Image side in pixels, or [height, width], for models that take any input size (default 128).
   * A model with a fixed input size is always given that size.
   */
  size?: number | [number, number];
  /** Adam's learning rate; default 0.05 (on the spectrum, or on the pixels' logits) */
  learningRate?: number;
  /** integer 0 … 2³²−1; the same seed gives identical images. Default: a random one (the result says which) */
  seed?: number;
  /** "fourier" (default): a 1/f-scaled spectrum, smooth images; "pixel": each pixel's logit, noisier */
  parameterization?: Parameterization;
  /** largest random shift per step, in pixels; default 1/16 of the image side (at least 1); 0: none */
  jitter?: number;
  /** largest random relative change of size per step; default 0.1 (scales 0.9 … 1.1); 0: none */
  scale?: number;
  /** largest random rotation per step, in degrees; default 5; 0: none */
  rotate?: number;
  /** how the model's input is preprocessed; default the model's own (see preprocessingFor) */
  preprocess?: Preprocessing;
  /** called after every step with (step, steps), step counting from 1 */
  onProgress?: (step: number, steps: number) => void;
  /** checked between steps: aborting it stops the run with a "cancelled" ConvlensError */
  signal?: AbortSignal;
}

/** One channel's synthesised image. */
export interface MaximizedChannel {
  channel: number;
  /** RGB uint8 in display space (what a photo would look like), height × width × 3, row-major */
  image: LoadedImage;
  /** the channel's mean activation over space on `image` (8-bit, as returned): the final objective */
  activation: number;
  /** the same on the starting noise image */
  startActivation: number;
}

/** maximizeActivation's result: one entry per asked channel, in the order asked. */
export interface MaximizedActivations {
  kind: "convlens.maximized";
  layer: LayerRef;
  /** the layer's channel count, for paging */
  totalChannels: number;
  height: number;
  width: number;
  steps: number;
  /** the seed used (the one given, or the random one drawn): passing it again repeats the images */
  seed: number;
  parameterization: Parameterization;
  /**
   * what was climbed: the channel's "pre-activation" (a conv's output before its activation, a
   * ReLU made leaky; or a pooling of it) or the layer's "output"; the activations above are always
   * the layer's real output
   */
  objective: ScoredTensor["kind"];
  channels: MaximizedChannel[];
}

const OPTION_NAMES = [
  "steps",
  "size",
  "learningRate",
  "seed",
  "parameterization",
  "jitter",
  "scale",
  "rotate",
  "preprocess",
  "onProgress",
  "signal",
];
const DEFAULT_SIZE = 128;
const MAX_SIZE = 1024;

/**
 * Synthesises one image per channel of `layer` (a conv or pooling layer) that maximises that
 * channel's mean activation. `channels`: one index or a list of distinct ones (a page of the
 * layer). Yields to the event loop between steps, so a kernel interrupt can abort `signal`.
 */
export async function maximizeActivation(
  model: tf.LayersModel,
  layer: LayerSpec,
  channels: number | number[],
  options: MaximizeOptions = {},
): Promise<MaximizedActivations> {
  checkModel(model, "maximizeActivation");
  // layers by path inside nested models ("vgg16/block5_conv3") live in the flat view; the model
  // itself keeps what convlens knows of it (its preprocessing)
  const graph = layersView(model);
  const { ref, output } = checkLayer(graph, layer);
  const totalChannels = output.shape[3] as number;
  const list = checkChannels(channels, ref, totalChannels);
  const settings = checkOptions(model, options);
  const [height, width] = settings.size;
  checkInputFits(graph, height, width, [output]);
  throwIfAborted(settings.signal, 0, settings.steps);

  const upTo = (tensor: tf.SymbolicTensor) => partModel(graph, tensor);
  const sub = upTo(output);
  const scored = scoredTensor(graph, ref.index, upTo, list);
  const mode = settings.preprocess;
  const param = imageParam(settings.parameterization, height, width, settings.seed, list);
  const optimizer = tf.train.adam(settings.learningRate);
  // image i's own channel: list[i] of the layer's output, column i of a page-only pre-activation
  const mask = tf.tidy(() => tf.oneHot(tf.tensor1d(list, "int32"), totalChannels).reshape([list.length, 1, 1, -1]));
  const climbMask = scored.channels ? tf.tidy(() => tf.eye(list.length).reshape([list.length, 1, 1, -1])) : mask;
  // the transforms' own stream, apart from the images' noise streams (which use the channel indices)
  const random = seededRandom(deriveSeed(settings.seed, -1));
  // the network's forward and backward pass as one TF graph where it can be (same function, ~2×
  // faster on the demo network); eagerly op by op otherwise
  const built = ascentGraph(graph, ref.index, scored.channels, climbMask, [list.length, height, width, 3]);
  let ascent = typeof built === "string" ? null : built;
  /** One step; false if the graph failed (nothing applied: the step is to be taken again eagerly). */
  const climb = (warp: Warp | null, through: AscentGraph | null): boolean =>
    tf.tidy(() => {
      const { grads } = optimizer.computeGradients(() => {
        const rgb = param.rgb();
        const seen = warp ? applyWarp(rgb, warp) : rgb;
        const input = preprocess(seen.mul(255), mode) as tf.Tensor4D;
        if (through) return through.loss(input);
        return objective(scored.forward(input), climbMask).sum().neg() as tf.Scalar;
      }, [param.variable]);
      if (through?.failure) return false;
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      return true;
    });
  try {
    const start = finalImages(param);
    const startActivation = channelMeans(sub, start, settings.size, mode, mask);
    for (let step = 1; step <= settings.steps; step++) {
      // lets a kernel interrupt (or anything else queued) run, then honours it
      await new Promise((resolve) => setImmediate(resolve));
      throwIfAborted(settings.signal, step - 1, settings.steps);
      const warp = isIdentity(settings.warp) ? null : drawWarp(random, settings.warp);
      if (!climb(warp, ascent) && ascent) {
        // TF refused the graph: the eager pass computes the same, only slower
        console.warn(
          `convlens: maximizeActivation continues op by op (slower): TensorFlow could not run its graph: ${ascent.failure}`,
        );
        ascent.dispose();
        ascent = null;
        climb(warp, null);
      }
      settings.onProgress?.(step, settings.steps);
    }
    const images = finalImages(param);
    const activation = channelMeans(sub, images, settings.size, mode, mask);
    return {
      kind: "convlens.maximized",
      layer: ref,
      totalChannels,
      height,
      width,
      steps: settings.steps,
      seed: settings.seed,
      parameterization: settings.parameterization,
      objective: scored.kind,
      channels: list.map((channel, i) => ({
        channel,
        image: {
          kind: "convlens.image",
          source: `maximizeActivation(layer ${ref.index} "${ref.name}", channel ${channel})`,
          width,
          height,
          rgb: images.slice(i * height * width * 3, (i + 1) * height * width * 3),
        },
        activation: activation[i],
        startActivation: startActivation[i],
      })),
    };
  } finally {
    ascent?.dispose();
    param.dispose();
    optimizer.dispose();
    tf.dispose(climbMask === mask ? [mask] : [mask, climbMask]);
  }
}

/** Each image's mean over space of its own channel: [batch, h, w, C] → [batch]. */
function objective(activations: tf.Tensor4D, mask: tf.Tensor): tf.Tensor1D {
  return activations.mul(mask).sum(3).mean([1, 2]) as tf.Tensor1D;
}

/** The images as 8-bit RGB, one after another: what is shown, and what activations are measured on. */
function finalImages(param: ImageParam): Uint8Array {
  const pixels = tf.tidy(() => param.rgb().mul(255).round().clipByValue(0, 255).cast("int32"));
  try {
    return new Uint8Array(pixels.dataSync());
  } finally {
    pixels.dispose();
  }
}

function channelMeans(
  sub: tf.LayersModel,
  rgb: Uint8Array,
  [height, width]: [number, number],
  mode: Preprocessing,
  mask: tf.Tensor,
): number[] {
  const shape: [number, number, number, number] = [mask.shape[0], height, width, 3];
  const means = tf.tidy(() => {
    const input = preprocess(tf.tensor4d(rgb, shape, "int32"), mode);
    return objective(sub.predict(input) as tf.Tensor4D, mask);
  });
  try {
    return Array.from(means.dataSync());
  } finally {
    means.dispose();
  }
}

function throwIfAborted(signal: AbortSignal | undefined, done: number, steps: number): void {
  if (!signal?.aborted) return;
  throw new ConvlensError(
    `maximizeActivation() was cancelled after ${done} of ${steps} steps (its AbortSignal was aborted); ` +
      "run the cell again to start over",
  );
}

// One model per (model, tensor) from the input to that tensor; it shares the model's weights.
const partModels = new WeakMap<tf.LayersModel, Map<number, tf.LayersModel>>();

function partModel(model: tf.LayersModel, output: tf.SymbolicTensor): tf.LayersModel {
  let perModel = partModels.get(model);
  if (!perModel) partModels.set(model, (perModel = new Map()));
  let sub = perModel.get(output.id);
  if (!sub) {
    sub = tf.model({ inputs: model.inputs, outputs: output, name: `${model.name}_maximize_${output.id}` });
    perModel.set(output.id, sub);
  }
  return sub;
}

function checkLayer(model: tf.LayersModel, spec: LayerSpec): { ref: LayerRef; output: tf.SymbolicTensor } {
  const { ref, layer } = resolveLayer(model, spec);
  const out = layer.output;
  const kind = layer.getClassName();
  if (Array.isArray(out) || out.shape.length !== 4 || out.shape[3] === null || kind === "InputLayer") {
    const shape = Array.isArray(out) ? "several outputs" : `output shape [${out.shape.map(String).join(", ")}]`;
    throw new ConvlensError(
      `layer ${ref.index} "${ref.name}" (${kind}) has ${shape}, not feature maps [batch, height, width, channels]; ` +
        "maximizeActivation needs a convolution or pooling layer",
    );
  }
  return { ref, output: out };
}

function checkChannels(channels: unknown, ref: LayerRef, total: number): number[] {
  const range = `layer ${ref.index} "${ref.name}" has ${total} channels, so use integers from 0 to ${total - 1}`;
  const list = typeof channels === "number" ? [channels] : Array.isArray(channels) ? (channels as unknown[]) : null;
  if (list === null || list.length === 0) {
    throw new ConvlensError(
      `maximizeActivation() needs a channel index or a non-empty list of them (e.g. [0, 1, 2, 3]), ` +
        `not ${describeValue(channels)}; ${range}`,
    );
  }
  for (const c of list) {
    if (typeof c !== "number" || !Number.isInteger(c)) {
      throw new ConvlensError(`channel ${typeof c === "number" ? c : describeValue(c)} is not an integer: ${range}`);
    }
    if (c < 0 || c >= total) throw new ConvlensError(`channel ${c} is out of range: ${range}`);
  }
  const seen = new Set<number>();
  for (const c of list as number[]) {
    if (seen.has(c)) {
      throw new ConvlensError(`channel ${c} is asked for twice; give each channel once (its image would be the same)`);
    }
    seen.add(c);
  }
  return list as number[];
}

interface Settings {
  steps: number;
  size: [number, number];
  learningRate: number;
  seed: number;
  parameterization: Parameterization;
  warp: WarpRanges;
  preprocess: Preprocessing;
  onProgress?: (step: number, steps: number) => void;
  signal?: AbortSignal;
}

function checkOptions(model: tf.LayersModel, raw: unknown): Settings {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConvlensError(
      `maximizeActivation options are an object like { steps: 128, seed: 1 }, not ${describeValue(raw)}`,
    );
  }
  for (const key of Object.keys(raw)) {
    if (!OPTION_NAMES.includes(key)) {
      throw new ConvlensError(`unknown maximizeActivation option "${key}"; the options are ${OPTION_NAMES.join(", ")}`);
    }
  }
  const options = raw as MaximizeOptions;
  const number = (name: keyof MaximizeOptions, fallback: number, ok: (v: number) => boolean, wanted: string) => {
    const value = options[name];
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) {
      throw new ConvlensError(`${name} must be ${wanted}, not ${describeValue(value)}`);
    }
    return value;
  };
  const integer = (low: number, high: number) => (v: number) => Number.isInteger(v) && v >= low && v <= high;
  const steps = number("steps", 128, integer(1, Infinity), "an integer ≥ 1 (the number of gradient-ascent steps)");
  const size = checkSize(model, options.size);
  const learningRate = number("learningRate", 0.05, (v) => v > 0, "a positive number, e.g. 0.05");
  const drawn = Math.floor(Math.random() * 2 ** 32);
  const seed = number("seed", drawn, integer(0, 2 ** 32 - 1), "an integer from 0 to 2³²−1");
  const parameterization = options.parameterization ?? "fourier";
  if (parameterization !== "fourier" && parameterization !== "pixel") {
    throw new ConvlensError(`parameterization must be "fourier" or "pixel", not ${describeValue(parameterization)}`);
  }
  const side = Math.min(...size);
  const shift = `a shift in pixels from 0 to less than the image side (${side})`;
  const warp: WarpRanges = {
    jitter: number("jitter", Math.max(1, Math.round(side / 16)), (v) => v >= 0 && v < side, shift),
    scale: number("scale", 0.1, (v) => v >= 0 && v < 1, "a relative size change from 0 to less than 1, e.g. 0.1"),
    rotate: number("rotate", 5, (v) => v >= 0 && v <= 180, "an angle in degrees from 0 to 180, e.g. 5"),
  };
  const preprocess = options.preprocess ?? preprocessingFor(model);
  if (!PREPROCESSING_MODES.includes(preprocess)) {
    const modes = PREPROCESSING_MODES.map((m) => `"${m}"`).join(", ");
    throw new ConvlensError(`preprocess must be one of ${modes}, not ${describeValue(preprocess)}`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
    throw new ConvlensError(
      `onProgress must be a function (step, steps) => void, not ${describeValue(options.onProgress)}`,
    );
  }
  const signal = options.signal;
  if (signal !== undefined && (signal === null || typeof signal !== "object" || typeof signal.aborted !== "boolean")) {
    const given = describeValue(signal);
    throw new ConvlensError(`signal must be an AbortSignal (new AbortController().signal), not ${given}`);
  }
  const onProgress = options.onProgress;
  return { steps, size, learningRate, seed, parameterization, warp, preprocess, onProgress, signal };
}

/** The image size: the model's fixed input size, else `size`, else the default. */
function checkSize(model: tf.LayersModel, size: unknown): [number, number] {
  const fixed = inputSize(model);
  let wanted: [number, number] | null = null;
  if (size !== undefined) {
    const pair = typeof size === "number" ? [size, size] : Array.isArray(size) && size.length === 2 ? size : null;
    if (!pair || !pair.every((v) => Number.isInteger(v) && v >= 1 && v <= MAX_SIZE)) {
      const given = JSON.stringify(size) ?? describeValue(size);
      const wantedSize = `an integer from 1 to ${MAX_SIZE}, or a [height, width] pair of them`;
      throw new ConvlensError(`size must be ${wantedSize}; not ${given}`);
    }
    wanted = pair as [number, number];
  }
  const [height, width] = [0, 1].map((axis) => fixed[axis] ?? wanted?.[axis] ?? DEFAULT_SIZE);
  if (wanted && (wanted[0] !== height || wanted[1] !== width)) {
    throw new ConvlensError(
      `model "${model.name}" takes a fixed ${fixed[0] ?? "any"}×${fixed[1] ?? "any"} input, so size ` +
        `${JSON.stringify(size)} cannot be used; leave size out (the images are then ${height}×${width})`,
    );
  }
  return [height, width];
}
