// The spatial geometry of a model's layers, read from their configs: the window a convolution or
// pooling slides (kernel, strides, dilation, padding), and the height and width every layer's
// output has for a given input size. Computed before anything runs, so an input too small for
// the model is refused the same way on every path and every CPU (TensorFlow builds differ in
// what they do with a 0×0 or negative size: one CPU's oneDNN kernels fail, another's return
// empty maps).
import type * as tf from "@tensorflow/tfjs-node";
import { ConvlensError } from "../errors";
import { layerNodes } from "../tfjs-layers-internals";

/** A 2-D sliding window, as Conv2D and the 2-D poolings apply it. */
export interface Window {
  kernel: [number, number];
  strides: [number, number];
  dilation: [number, number];
  padding: "same" | "valid";
}

const CONVOLUTIONS = new Set(["Conv2D", "DepthwiseConv2D", "SeparableConv2D"]);
const POOLINGS = new Set(["MaxPooling2D", "AveragePooling2D"]);

function pair(value: unknown, name: string, layer: tf.layers.Layer): [number, number] {
  const list = Array.isArray(value) ? value : [value, value];
  if (list.length !== 2 || !list.every((v) => Number.isInteger(v) && v > 0)) {
    throw new ConvlensError(`layer "${layer.name}" (${layer.getClassName()}) has ${name} ${JSON.stringify(value)}; expected a positive integer or a pair of them`);
  }
  return list as [number, number];
}

/** The window of a 2-D convolution or pooling layer (channels last); null for any other layer. */
export function windowOf(layer: tf.layers.Layer): Window | null {
  const kind = layer.getClassName();
  if (!CONVOLUTIONS.has(kind) && !POOLINGS.has(kind)) return null;
  const config = layer.getConfig() as Record<string, unknown>;
  if (config.dataFormat !== undefined && config.dataFormat !== "channelsLast") {
    throw new ConvlensError(`layer "${layer.name}" (${kind}) is channels-first; convlens reads channels-last models (Keras's default)`);
  }
  const pooling = POOLINGS.has(kind);
  const kernel = pair(pooling ? config.poolSize : config.kernelSize, pooling ? "poolSize" : "kernelSize", layer);
  const padding = config.padding;
  if (padding !== "same" && padding !== "valid") {
    throw new ConvlensError(`layer "${layer.name}" (${kind}) has padding ${JSON.stringify(padding)}; convlens knows "same" and "valid"`);
  }
  return {
    kernel,
    // a pooling layer without strides steps by its pool size (tfjs fills them in; Keras does the same)
    strides: pair(config.strides ?? kernel, "strides", layer),
    dilation: pooling ? [1, 1] : pair(config.dilationRate ?? 1, "dilationRate", layer),
    padding,
  };
}

/** The output length of a window along one axis: TensorFlow's formula, which may give 0 or less. */
export function windowOutputLength(input: number, kernel: number, stride: number, dilation: number, padding: Window["padding"]): number {
  if (padding === "same") return Math.ceil(input / stride);
  const span = (kernel - 1) * dilation + 1;
  return input < span ? input - span + 1 : Math.floor((input - span) / stride) + 1;
}

/** A layer output's height and width for one input size; `empty` names the layer where pixels ran out. */
export interface OutputSize {
  height: number;
  width: number;
  /** the first layer on the way here whose output has no pixels (this one or an earlier one) */
  empty?: { layer: tf.layers.Layer; height: number; width: number };
}

/**
 * The height and width of every 4-D layer output of `model` for a [height, width] input, by
 * SymbolicTensor id: windows by TensorFlow's formula, other layers by their own
 * computeOutputShape. Outputs it cannot tell (several inputs of unknown size, an error in a
 * layer's shape function) are left out; the callers treat them as "not known before running".
 */
export function outputSizes(model: tf.LayersModel, height: number, width: number): Map<number, OutputSize> {
  const sizes = new Map<number, OutputSize>();
  const shapes = new Map<number, (number | null)[]>();
  if (model.inputs.length !== 1) return sizes;
  const input = model.inputs[0];
  shapes.set(input.id, [1, height, width, ...input.shape.slice(3)]);
  if (input.shape.length === 4) sizes.set(input.id, { height, width });
  // tfjs keeps model.layers in topological order, so every input shape is known before it is needed
  for (const layer of model.layers) {
    for (const node of layerNodes(layer)) {
      const ins = node.inputTensors.map((t) => shapes.get(t.id));
      if (ins.length === 0 || ins.some((s) => s === undefined)) continue;
      const emptyIn = node.inputTensors.map((t) => sizes.get(t.id)?.empty).find((e) => e !== undefined);
      const outs = node.outputTensors;
      if (emptyIn) {
        for (const out of outs) {
          shapes.set(out.id, []); // known to have no pixels, whatever its shape
          sizes.set(out.id, { height: 0, width: 0, empty: emptyIn });
        }
        continue;
      }
      const shapeList = shapesOut(layer, ins as (number | null)[][]);
      if (!shapeList || shapeList.length !== outs.length) continue;
      outs.forEach((out, i) => {
        const shape = shapeList[i];
        shapes.set(out.id, shape);
        if (shape.length !== 4) return;
        const [, h, w] = shape;
        if (h === null || w === null) return;
        const size: OutputSize = { height: h, width: w };
        if (h <= 0 || w <= 0) size.empty = { layer, height: Math.max(h, 0), width: Math.max(w, 0) };
        sizes.set(out.id, size);
      });
    }
  }
  return sizes;
}

function shapesOut(layer: tf.layers.Layer, inputs: (number | null)[][]): (number | null)[][] | null {
  let list: (number | null)[][] | null;
  try {
    const out = layer.computeOutputShape(inputs.length === 1 ? (inputs[0] as tf.Shape) : (inputs as tf.Shape[]));
    list = (Array.isArray(out[0]) || out.length === 0 ? (out as tf.Shape[]) : [out as tf.Shape]).map((s) => [...s]);
  } catch {
    list = null;
  }
  const window = windowOf(layer);
  if (!window || inputs.length !== 1 || inputs[0].length !== 4) return list;
  // the window's own formula for height and width: tfjs's shape function is not asked about sizes of 0 or less
  const [batch, h, w, channels] = inputs[0];
  const axis = (size: number | null, i: 0 | 1) =>
    size === null ? null : windowOutputLength(size, window.kernel[i], window.strides[i], window.dilation[i], window.padding);
  const outChannels = list?.[0]?.[3] ?? (POOLINGS.has(layer.getClassName()) ? channels : null);
  return [[batch, axis(h, 0), axis(w, 1), outChannels]];
}

/**
 * Refuses an input of `height` × `width` pixels for which any of `outputs` (or a layer on the
 * way to it) would have no pixels left, naming the first such layer.
 */
export function checkInputFits(model: tf.LayersModel, height: number, width: number, outputs: tf.SymbolicTensor[]): void {
  const sizes = outputSizes(model, height, width);
  for (const output of outputs) {
    const empty = sizes.get(output.id)?.empty;
    if (!empty) continue;
    const index = model.layers.indexOf(empty.layer);
    throw new ConvlensError(
      `layer ${index} "${empty.layer.name}" has no pixels left (${empty.height}×${empty.width}) for a ${height}×${width} image: the image is too small for this model; use a larger one`,
    );
  }
}
