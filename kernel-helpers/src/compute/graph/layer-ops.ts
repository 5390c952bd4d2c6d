// Keras layers as TensorFlow graph nodes: the layer kinds a conv stack's feature maps pass through,
// each as the TF op that computes what tfjs-layers computes for it (BiasAdd where tfjs adds the
// bias, Relu6 for its relu-then-minimum): equal up to the rounding of TF's fused kernels. Each
// layer also says how to add its gradient towards its input (TF's own gradient ops: ReluGrad,
// Conv2DBackpropInput, MaxPoolGrad…), for activation maximisation's graph (ascent-graph.ts).
import type * as tf from "@tensorflow/tfjs-node";
import type { Attr, GraphWriter } from "./tf-protos";

/** A graph input fed on every run with a weight's current value, so setWeights/loadWeights are seen. */
export interface WeightFeed {
  node: string;
  read: () => tf.Tensor;
}

/**
 * A translated layer: its output node, its weight feeds, and `grad`, which adds the nodes of the
 * gradient towards the layer's input given the gradient `dy` at its output (named `name`/…).
 */
export type Emitted = { output: string; feeds: WeightFeed[]; grad: Grad } | { unsupported: string };
type Grad = (name: string, dy: string) => string;

/** The attribute of an op on float32 tensors. */
export const F32: Record<string, Attr> = { T: { type: "float32" } };
const identityGrad: Grad = (_name, dy) => dy;

/** Keras activation names → the TF op computing them (null: none). */
const ACTIVATION_OPS = new Map<string, string | null>(
  Object.entries({ linear: null, relu: "Relu", relu6: "Relu6", sigmoid: "Sigmoid", tanh: "Tanh", elu: "Elu" }),
);

const PADDING = new Map([
  ["same", "SAME"],
  ["valid", "VALID"],
]);

type Config = Record<string, unknown>;

/** What tfjs-layers keeps in a layer and Keras 2-D layers carry: pairs given as a number or a list. */
function pair(value: unknown): [number, number] | null {
  const list = typeof value === "number" ? [value, value] : value;
  return Array.isArray(list) && list.length === 2 && list.every((v) => Number.isInteger(v) && v > 0)
    ? [list[0], list[1]]
    : null;
}

/**
 * A layer's weight through the public `layer.weights`, by the name tfjs-layers gives it
 * ("block1_conv1/kernel": `originalName`, before any "_1" for a clash). LayerVariable.read() gives
 * the weight's current tf.Variable without copying it.
 */
function weightNamed(layer: tf.layers.Layer, name: string): tf.LayerVariable | undefined {
  const found = layer.weights.filter((w) => w.originalName === name || w.originalName.endsWith(`/${name}`));
  return found.length === 1 ? found[0] : undefined;
}

/** An activation's output node and its gradient (through TF's …Grad op of the same name), or why not. */
function activation(
  writer: GraphWriter,
  name: string,
  input: string,
  kind: unknown,
): { output: string; grad: Grad } | { unsupported: string } {
  const op = typeof kind === "string" ? ACTIVATION_OPS.get(kind) : undefined;
  if (op === undefined) return { unsupported: `activation ${JSON.stringify(kind)}` };
  if (op === null) return { output: input, grad: identityGrad };
  const output = writer.node(name, op, [input], F32);
  // ReluGrad, Relu6Grad: (gradients, features), the op's output standing for its input (TF allows
  // either); EluGrad: (gradients, outputs); SigmoidGrad, TanhGrad: (y, dy)
  const inputs = (dy: string) => (op === "Sigmoid" || op === "Tanh" ? [output, dy] : [dy, output]);
  return { output, grad: (gradName, dy) => writer.node(gradName, `${op}Grad`, inputs(dy), F32) };
}

/** A Conv2D layer's Conv2D node attributes (also those of its Conv2DBackpropInput), or why the graph cannot run it. */
export function convAttrs(layer: tf.layers.Layer): { attrs: Record<string, Attr> } | { unsupported: string } {
  const config = layer.getConfig() as Config;
  const strides = pair(config.strides);
  const dilations = pair(config.dilationRate ?? 1);
  const padding = PADDING.get(String(config.padding));
  if (!strides || !dilations || !padding)
    return {
      unsupported: `strides ${JSON.stringify(config.strides)}, dilation ${JSON.stringify(config.dilationRate)}, padding ${JSON.stringify(config.padding)}`,
    };
  // tfjs refuses this pair when it runs the layer; the graph must not answer what the model cannot
  if (strides.some((n) => n > 1) && dilations.some((n) => n > 1))
    return { unsupported: "strides and dilation both above 1" };
  if (config.dataFormat !== "channelsLast") return { unsupported: `data format ${JSON.stringify(config.dataFormat)}` };
  return {
    attrs: {
      T: { type: "float32" },
      strides: { ints: [1, ...strides, 1] },
      dilations: { ints: [1, ...dilations, 1] },
      padding: { s: padding },
      data_format: { s: "NHWC" },
    },
  };
}

function conv2d(writer: GraphWriter, layer: tf.layers.Layer, prefix: string, input: string): Emitted {
  const config = layer.getConfig() as Config;
  const checked = convAttrs(layer);
  if ("unsupported" in checked) return checked;
  const { attrs } = checked;
  const kernel = weightNamed(layer, "kernel");
  const bias = weightNamed(layer, "bias");
  if (!kernel || kernel.shape.length !== 4) return { unsupported: "no 4-D kernel" };
  const feeds: WeightFeed[] = [];
  const weight = (name: string, variable: tf.LayerVariable): string => {
    feeds.push({ node: writer.placeholder(`${prefix}/${name}`, variable.shape), read: () => variable.read() });
    return `${prefix}/${name}`;
  };
  const filter = weight("kernel", kernel);
  let out = writer.node(`${prefix}/conv`, "Conv2D", [input, filter], attrs);
  // BiasAdd passes its gradient through unchanged towards its input
  if (config.useBias && bias)
    out = writer.node(`${prefix}/bias_add`, "BiasAdd", [out, weight("bias", bias)], {
      T: { type: "float32" },
      data_format: { s: "NHWC" },
    });
  const activated = activation(writer, `${prefix}/activation`, out, config.activation);
  if ("unsupported" in activated) return activated;
  const grad: Grad = (name, dy) =>
    writer.node(
      name,
      "Conv2DBackpropInput",
      [writer.shape(`${name}/input_sizes`, input), filter, activated.grad(`${name}/activation`, dy)],
      attrs,
    );
  return { output: activated.output, feeds, grad };
}

function pool(
  writer: GraphWriter,
  layer: tf.layers.Layer,
  prefix: string,
  input: string,
  op: "MaxPool" | "AvgPool",
): Emitted {
  const config = layer.getConfig() as Config;
  const size = pair(config.poolSize);
  const strides = pair(config.strides ?? config.poolSize);
  const padding = PADDING.get(String(config.padding));
  if (!size || !strides || !padding)
    return {
      unsupported: `pool size ${JSON.stringify(config.poolSize)}, strides ${JSON.stringify(config.strides)}, padding ${JSON.stringify(config.padding)}`,
    };
  if (config.dataFormat !== "channelsLast") return { unsupported: `data format ${JSON.stringify(config.dataFormat)}` };
  const attrs: Record<string, Attr> = {
    T: { type: "float32" },
    ksize: { ints: [1, ...size, 1] },
    strides: { ints: [1, ...strides, 1] },
    padding: { s: padding },
    data_format: { s: "NHWC" },
  };
  const output = writer.node(`${prefix}/pool`, op, [input], attrs);
  // MaxPoolGrad(orig_input, orig_output, grad); AvgPoolGrad(orig_input_shape, grad)
  const grad: Grad = (name, dy) =>
    op === "MaxPool"
      ? writer.node(name, "MaxPoolGrad", [input, output, dy], attrs)
      : writer.node(name, "AvgPoolGrad", [writer.shape(`${name}/input_shape`, input), dy], attrs);
  return { output, feeds: [], grad };
}

/** The nodes of one layer applied to graph tensor `input`; `prefix` names them (unique per layer). */
export function emitLayer(writer: GraphWriter, layer: tf.layers.Layer, prefix: string, input: string): Emitted {
  const kind = layer.getClassName();
  const config = layer.getConfig() as Config;
  switch (kind) {
    case "Conv2D":
      return conv2d(writer, layer, prefix, input);
    case "MaxPooling2D":
      return pool(writer, layer, prefix, input, "MaxPool");
    case "AveragePooling2D":
      return pool(writer, layer, prefix, input, "AvgPool");
    case "Activation": {
      const out = activation(writer, `${prefix}/activation`, input, config.activation);
      return "unsupported" in out ? out : { ...out, feeds: [] };
    }
    case "ReLU": {
      if (config.maxValue != null) return { unsupported: "a maxValue" };
      const out = activation(writer, `${prefix}/activation`, input, "relu");
      return "unsupported" in out ? out : { ...out, feeds: [] };
    }
    case "Dropout":
      return { output: input, feeds: [], grad: identityGrad }; // inference: identity
    default:
      return { unsupported: "no graph translation for this layer type" };
  }
}
