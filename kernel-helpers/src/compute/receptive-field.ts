// Receptive fields: which input pixels a unit of a layer can see. Read from the layer configs along
// the single path from the input to the layer (the windows of compute/geometry.ts), with the
// recurrences of Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural
// Networks", Distill 2019 (https://distill.pub/2019/computing-receptive-fields/).
//
// Coordinates are input pixel indices: row 0 is the image's top row, and a box's top-left can be
// negative (it starts in padding). TensorFlow's "same" padding puts the odd pixel of padding at
// the bottom/right and, with strides above 1, pads by an amount that depends on the input size,
// so every result is for one input size.
import type * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../errors";
import { type LayerSpec, resolveLayer } from "../layers";
import { producingNode } from "../tfjs-layers-internals";
import type { LayerRef } from "../types";
import { checkModel } from "./check";
import { windowOf, windowOutputLength } from "./geometry";

export interface ReceptiveFieldOptions {
  /**
   * The input image's height and width in pixels. Default: the model's input size; needed when
   * the model takes images of any size (TensorFlow's "same" padding with strides depends on it).
   */
  height?: number;
  width?: number;
}

/** A rectangle of input pixels: rows top … top + height − 1, columns left … left + width − 1. */
export interface PixelBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/**
 * The receptive field of a layer's units, in input pixels. Unit (row, col) sees the box with
 * top = offset.row + row · jump.row, left = offset.col + col · jump.col and the height and width
 * of `size` (before clipping to the image).
 */
export interface ReceptiveField {
  layer: LayerRef;
  /** the input size these numbers are for */
  input: { height: number; width: number };
  /** the layer's output height and width: units go from (0, 0) to (height − 1, width − 1) */
  output: { height: number; width: number };
  /** the receptive field's height and width in input pixels */
  size: { height: number; width: number };
  /** input pixels from one unit to the next (the product of the strides on the way) */
  jump: { row: number; col: number };
  /**
   * Input row and column of the top-left pixel of unit (0, 0)'s field; negative where it starts
   * in padding (minus the "effective padding" of Araujo et al.'s tables).
   */
  offset: { row: number; col: number };
  /** input row and column of the centre of unit (0, 0)'s field (a half pixel when the size is even) */
  centre: { row: number; col: number };
}

/** One unit's receptive field on the input image. */
export interface UnitReceptiveField extends ReceptiveField {
  row: number;
  col: number;
  /** the unit's whole field, padding included (it may reach outside the image) */
  box: PixelBox;
  /**
   * The bounding box of the input pixels that reach the unit: `box` clipped to the image, and
   * further where a layer on the way never reads its last rows or columns (a stride that does
   * not fit the size) or crops them (Cropping2D). null when no pixel reaches the unit (it sees
   * only padding).
   */
  clipped: PixelBox | null;
  /** how much of `box` lies outside the image (in padding): pixels, and fraction of its area */
  outside: { pixels: number; fraction: number };
}

/**
 * The receptive field of `layer` (a Keras name or model.layers index) of a convolution / pooling
 * stack: its size, jump (stride) and offset in input pixels. Element-wise layers (activations,
 * batch normalisation, dropout) pass through; ZeroPadding2D and Cropping2D shift it.
 */
export function receptiveField(
  model: tf.LayersModel,
  layer: LayerSpec,
  options?: ReceptiveFieldOptions,
): ReceptiveField {
  return fieldOf(trace(model, layer, options, "receptiveField"));
}

/**
 * Unit (row, col) of `layer` on the input image: its whole box, the part that reaches it from
 * the image, and how much of the box is padding.
 */
export function receptiveFieldOf(
  model: tf.LayersModel,
  layer: LayerSpec,
  row: number,
  col: number,
  options?: ReceptiveFieldOptions,
): UnitReceptiveField {
  const path = trace(model, layer, options, "receptiveFieldOf");
  checkUnit(path, "row", row, path.output.height);
  checkUnit(path, "col", col, path.output.width);
  const field = fieldOf(path);
  const box: PixelBox = {
    top: field.offset.row + row * field.jump.row,
    left: field.offset.col + col * field.jump.col,
    height: field.size.height,
    width: field.size.width,
  };
  const rows = reach(path.steps.map((s) => s[0]), row);
  const cols = reach(path.steps.map((s) => s[1]), col);
  const clipped =
    rows && cols ? { top: rows[0], left: cols[0], height: rows[1] - rows[0] + 1, width: cols[1] - cols[0] + 1 } : null;
  const area = box.height * box.width;
  const inside = overlap(box.top, box.height, path.input.height) * overlap(box.left, box.width, path.input.width);
  return { ...field, row, col, box, clipped, outside: { pixels: area - inside, fraction: (area - inside) / area } };
}

/**
 * Every unit's clipped box at once, axis by axis (a box is a row interval × a column interval):
 * rows[2r], rows[2r + 1] are the first and last input row reaching units of output row r, and
 * likewise cols; −1, −1 where only padding reaches. What the feature-map widget draws on hover.
 */
export interface ReceptiveFieldAxes {
  input: { height: number; width: number };
  rows: Int32Array;
  cols: Int32Array;
}

export function receptiveFieldAxes(model: tf.LayersModel, layer: LayerSpec, options?: ReceptiveFieldOptions): ReceptiveFieldAxes {
  const path = trace(model, layer, options, "receptiveFieldAxes");
  const axis = (a: 0 | 1, count: number) => {
    const steps = path.steps.map((s) => s[a]);
    const out = new Int32Array(2 * count).fill(-1);
    for (let unit = 0; unit < count; unit++) {
      const reached = reach(steps, unit);
      if (reached) out.set(reached, 2 * unit);
    }
    return out;
  };
  return { input: path.input, rows: axis(0, path.output.height), cols: axis(1, path.output.width) };
}

/**
 * How one layer maps its output units (0 … outLength − 1) to its input along one axis: unit i
 * reads the input positions i · stride − before + t · dilation for t = 0 … kernel − 1; those
 * outside 0 … inLength − 1 are padding.
 */
interface Step {
  kernel: number;
  stride: number;
  dilation: number;
  before: number;
  inLength: number;
  outLength: number;
}

interface Path {
  ref: LayerRef;
  input: { height: number; width: number };
  output: { height: number; width: number };
  /** the layers on the way that change geometry, input side first: [rows, cols] */
  steps: [Step, Step][];
}

/**
 * The layers from the model's input to `spec`, checked and turned into per-axis steps. Heights
 * and widths are worked out along the way (windows by geometry.ts's formula), so a layer works
 * wherever resolveLayer finds it, inside a nested model's view too.
 */
function trace(model: tf.LayersModel, spec: LayerSpec, options: unknown, call: string): Path {
  checkModel(model, call);
  const { ref, layer } = resolveLayer(model, spec);
  if (model.inputs.length !== 1) {
    throw new ConvlensError(
      `${call}() follows models with one input image; model "${model.name}" has ${model.inputs.length} inputs`,
    );
  }
  const target = targetTensor(model, ref, layer);
  const input = inputSizeFor(model, options, call);
  const chain = layersOnTheWay(model, ref, target);
  const steps: [Step, Step][] = [];
  let [height, width] = [input.height, input.width];
  for (const source of chain) {
    const step = stepOf(model, source, ref, height, width);
    if (!step) continue;
    steps.push(step);
    [height, width] = [step[0].outLength, step[1].outLength];
    if (height <= 0 || width <= 0) {
      throw new ConvlensError(
        `${describeLayer(model, source, false)} has no pixels left (${Math.max(height, 0)}×${Math.max(width, 0)}) ` +
          `for a ${input.height}×${input.width} image: the image is too small for this model; use a larger one`,
      );
    }
  }
  return { ref, input, output: { height, width }, steps };
}

/** The layers from the model's input to `target`, input side first; refuses branches. */
function layersOnTheWay(model: tf.LayersModel, ref: LayerRef, target: tf.SymbolicTensor): tf.layers.Layer[] {
  const chain: tf.layers.Layer[] = [];
  const onTheWay = `on the way to layer ${ref.index} "${ref.name}"`;
  let tensor = target;
  while (tensor.id !== model.inputs[0].id) {
    const source = tensor.sourceLayer;
    // the node of this application of the layer (a layer used twice has a node per use)
    const node = producingNode(tensor);
    const ins = node?.inputTensors ?? [];
    // an InputLayer's node has its own tensor as input: another model's input, not this one's
    if (ins.length === 0 || ins[0].id === tensor.id) {
      throw new ConvlensError(`${describeLayer(model, source)} ${onTheWay} is not fed by the model's input`);
    }
    if (ins.length !== 1) {
      throw new ConvlensError(
        `${describeLayer(model, source)} ${onTheWay} merges ${ins.length} inputs; receptive fields are followed ` +
          "through single-path stacks (VGG-like), not branches as in ResNet or Inception: pick a layer before it",
      );
    }
    chain.unshift(source);
    tensor = ins[0];
  }
  return chain;
}

function inputSizeFor(model: tf.LayersModel, options: unknown, call: string): { height: number; width: number } {
  if (options !== undefined && (options === null || typeof options !== "object" || Array.isArray(options))) {
    throw new ConvlensError(
      `${call}() options are an object like { height: 224, width: 224 }, not ${describeValue(options)}`,
    );
  }
  const given = (options ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (key !== "height" && key !== "width") {
      throw new ConvlensError(`unknown ${call}() option "${key}"; the options are height and width (the input size)`);
    }
  }
  const shape = model.inputs[0].shape;
  if (shape.length !== 4) {
    throw new ConvlensError(
      `model "${model.name}" takes input of shape [${shape.map(String).join(", ")}], not images ` +
        "[batch, height, width, channels], so its units have no receptive field on an image",
    );
  }
  const axis = (name: "height" | "width", known: number | null): number => {
    const value = given[name];
    if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0)) {
      throw new ConvlensError(`${call}() option ${name} is the input ${name} in pixels, not ${describeValue(value)}`);
    }
    if (known !== null && value !== undefined && value !== known) {
      throw new ConvlensError(
        `model "${model.name}" takes ${shape[1]}×${shape[2]} images, so the input ${name} is ${known}, ` +
          `not ${String(value)}; leave the option out`,
      );
    }
    if (known === null && value === undefined) {
      const units = call === "receptiveFieldOf" ? "row, col, " : "";
      throw new ConvlensError(
        `model "${model.name}" takes images of any ${name}, and the receptive field depends on it: ` +
          `give the input size, as in ${call}(model, layer, ${units}{ height: 224, width: 224 })`,
      );
    }
    return known ?? (value as number);
  };
  return { height: axis("height", shape[1]), width: axis("width", shape[2]) };
}

function targetTensor(model: tf.LayersModel, ref: LayerRef, layer: tf.layers.Layer): tf.SymbolicTensor {
  let output: tf.SymbolicTensor | tf.SymbolicTensor[];
  try {
    output = layer.output;
  } catch {
    throw new ConvlensError(
      `layer ${ref.index} "${ref.name}" is applied more than once in model "${model.name}", ` +
        "so its units have no single receptive field",
    );
  }
  if (Array.isArray(output) || output.shape.length !== 4) {
    const shape = Array.isArray(output) ? "several outputs" : `output shape [${output.shape.map(String).join(", ")}]`;
    throw new ConvlensError(
      `layer ${ref.index} "${ref.name}" (${layer.getClassName()}) has ${shape}, not feature maps ` +
        "[batch, height, width, channels], so its units have no place on the image; " +
        "pick a convolution or pooling layer",
    );
  }
  return output;
}

/** Layers that work on every pixel on its own: the receptive field goes through them unchanged. */
const PER_PIXEL = new Set([
  "Activation",
  "ReLU",
  "LeakyReLU",
  "PReLU",
  "ELU",
  "ThresholdedReLU",
  "BatchNormalization",
  "Dropout",
  "GaussianNoise",
  "GaussianDropout",
  "AlphaDropout",
  "Rescaling",
  "Masking",
]);
/** Per pixel only when they work across channels (axis −1 or 3), as they do by default. */
const PER_PIXEL_ON_CHANNELS = new Set(["Softmax", "LayerNormalization"]);

/** The [rows, cols] steps of one layer; null for a layer that leaves the geometry as it is. */
function stepOf(
  model: tf.LayersModel,
  layer: tf.layers.Layer,
  target: LayerRef,
  inHeight: number,
  inWidth: number,
): [Step, Step] | null {
  const kind = layer.getClassName();
  const onTheWay = `on the way to layer ${target.index} "${target.name}"`;
  const window = windowOf(layer);
  if (window) {
    const axis = (i: 0 | 1, inLength: number): Step => {
      const [kernel, stride, dilation] = [window.kernel[i], window.strides[i], window.dilation[i]];
      const outLength = windowOutputLength(inLength, kernel, stride, dilation, window.padding);
      // TensorFlow's "same": pad_total = max((ceil(n/s) − 1)·s + k_eff − n, 0), the smaller half before
      const span = (kernel - 1) * dilation + 1;
      const total = window.padding === "same" ? Math.max((outLength - 1) * stride + span - inLength, 0) : 0;
      return { kernel, stride, dilation, before: Math.floor(total / 2), inLength, outLength };
    };
    return [axis(0, inHeight), axis(1, inWidth)];
  }
  const config = layer.getConfig() as Record<string, unknown>;
  if (kind === "ZeroPadding2D" || kind === "Cropping2D") {
    if (config.dataFormat !== undefined && config.dataFormat !== "channelsLast") {
      throw new ConvlensError(
        `${describeLayer(model, layer)} is channels-first; convlens reads channels-last models (Keras's default)`,
      );
    }
    const [rows, cols] = pairsOf(kind === "ZeroPadding2D" ? config.padding : config.cropping, model, layer);
    // padding puts rows before and after the image; cropping takes them away (a negative padding)
    const sign = kind === "ZeroPadding2D" ? 1 : -1;
    const shift = ([before, after]: [number, number], inLength: number): Step => ({
      kernel: 1,
      stride: 1,
      dilation: 1,
      before: sign * before,
      inLength,
      outLength: inLength + sign * (before + after),
    });
    return [shift(rows, inHeight), shift(cols, inWidth)];
  }
  if (PER_PIXEL.has(kind)) return null;
  if (PER_PIXEL_ON_CHANNELS.has(kind)) {
    // tfjs's Softmax layer defaults to axis 1 (rows), Keras's to −1: read what the config says
    const axes = Array.isArray(config.axis) ? config.axis : [config.axis ?? -1];
    if (axes.every((a) => a === -1 || a === 3)) return null;
    throw new ConvlensError(
      `${describeLayer(model, layer)} ${onTheWay} works across rows or columns ` +
        `(axis ${JSON.stringify(config.axis)}), so every unit after it sees the whole image; pick a layer before it`,
    );
  }
  throw new ConvlensError(
    `${describeLayer(model, layer)} ${onTheWay} changes the geometry in a way receptive fields are not followed ` +
      "through (they are through convolutions, poolings, ZeroPadding2D, Cropping2D and per-pixel layers such as " +
      "activations and batch normalisation); pick a layer before it",
  );
}

/** ZeroPadding2D's padding or Cropping2D's cropping, [[top, bottom], [left, right]], from any of its forms. */
function pairsOf(value: unknown, model: tf.LayersModel, layer: tf.layers.Layer): [[number, number], [number, number]] {
  const axes: unknown[] = typeof value === "number" ? [value, value] : Array.isArray(value) ? value : [];
  const pairs = axes.map((a) => (Array.isArray(a) ? a : [a, a]));
  const valid = (p: unknown[]) => p.length === 2 && p.every((v) => Number.isInteger(v) && (v as number) >= 0);
  if (pairs.length !== 2 || !pairs.every(valid)) {
    throw new ConvlensError(
      `${describeLayer(model, layer)} has padding/cropping ${JSON.stringify(value)}; expected n, [rows, cols] ` +
        "or [[top, bottom], [left, right]] of non-negative integers",
    );
  }
  return pairs as [[number, number], [number, number]];
}

/** `layer 3 "name" (Class)`, with the index resolveLayer gives the layer (in a nested model's view too). */
function describeLayer(model: tf.LayersModel, layer: tf.layers.Layer, withClass = true): string {
  let index = model.layers.indexOf(layer);
  if (index < 0) {
    try {
      const found = resolveLayer(model, layer.name);
      if (found.layer === layer) index = found.ref.index;
    } catch {
      // not a layer resolveLayer knows: named without an index
    }
  }
  return `layer ${index >= 0 ? `${index} ` : ""}"${layer.name}"${withClass ? ` (${layer.getClassName()})` : ""}`;
}

/**
 * Size, jump and offset by the forward recurrences of Araujo et al.: r ← r + (k_eff − 1)·j,
 * start ← start − pad_before·j, j ← j·s (each with the j before the layer).
 */
function fieldOf(path: Path): ReceptiveField {
  const axis = (steps: Step[]) => {
    let size = 1;
    let jump = 1;
    let offset = 0;
    for (const s of steps) {
      offset -= s.before * jump;
      size += (s.kernel - 1) * s.dilation * jump;
      jump *= s.stride;
    }
    return { size, jump, offset, centre: offset + (size - 1) / 2 };
  };
  const rows = axis(path.steps.map((s) => s[0]));
  const cols = axis(path.steps.map((s) => s[1]));
  return {
    layer: path.ref,
    input: path.input,
    output: { height: path.output.height, width: path.output.width },
    size: { height: rows.size, width: cols.size },
    jump: { row: rows.jump, col: cols.jump },
    offset: { row: rows.offset, col: cols.offset },
    centre: { row: rows.centre, col: cols.centre },
  };
}

/**
 * The first and last input positions along one axis that reach `unit` (null if none), following
 * the positions each layer really reads. The recurrences' box, clipped to the image, can be too
 * big: a unit at the edge may read padding deeper in the network where the rows underneath were
 * never read (a stride-2 layer skips the last row of an even-sized map) or were cropped.
 * Rows and columns are separate, since every window is a rectangle.
 */
function reach(steps: Step[], unit: number): [number, number] | null {
  let lo = unit;
  let hi = unit;
  // windows without holes (no dilation, stride ≤ kernel) read a contiguous span from a contiguous one
  if (steps.every((s) => s.dilation === 1 && s.stride <= s.kernel)) {
    for (let i = steps.length - 1; i >= 0; i--) {
      const { kernel, stride, before, inLength } = steps[i];
      [lo, hi] = [Math.max(0, lo * stride - before), Math.min(inLength - 1, hi * stride - before + kernel - 1)];
      if (lo > hi) return null;
    }
    return [lo, hi];
  }
  let seen: Uint8Array | null = null; // positions lo … hi that are read; null: all of them
  for (let i = steps.length - 1; i >= 0; i--) {
    const { kernel, stride, dilation, before, inLength } = steps[i];
    const next = new Uint8Array(inLength);
    let nextLo = inLength;
    let nextHi = -1;
    for (let o = lo; o <= hi; o++) {
      if (seen && !seen[o - lo]) continue;
      for (let t = 0; t < kernel; t++) {
        const p = o * stride - before + t * dilation;
        if (p < 0 || p >= inLength) continue;
        next[p] = 1;
        nextLo = Math.min(nextLo, p);
        nextHi = Math.max(nextHi, p);
      }
    }
    if (nextHi < 0) return null;
    seen = next.subarray(nextLo, nextHi + 1);
    lo = nextLo;
    hi = nextHi;
  }
  return [lo, hi];
}

/** Pixels of [start, start + length) inside [0, limit). */
function overlap(start: number, length: number, limit: number): number {
  return Math.max(0, Math.min(start + length, limit) - Math.max(start, 0));
}

function checkUnit(path: Path, name: "row" | "col", value: unknown, count: number): void {
  if (Number.isInteger(value) && (value as number) >= 0 && (value as number) < count) return;
  const { ref, output, input } = path;
  const shown = typeof value === "number" ? String(value) : describeValue(value);
  throw new ConvlensError(
    `${name} ${shown} is out of range for layer ${ref.index} "${ref.name}": its output is ` +
      `${output.height}×${output.width} for a ${input.height}×${input.width} image, ` +
      `so ${name} is an integer from 0 to ${count - 1}`,
  );
}
