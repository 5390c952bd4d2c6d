// Keras layers as TensorFlow graph nodes: the layer kinds a conv stack's feature maps pass through,
// each as the TF op that computes what tfjs-layers computes for it (BiasAdd where tfjs adds the
// bias, Relu6 for its relu-then-minimum): equal up to the rounding of TF's fused kernels.
import type * as tf from "@tensorflow/tfjs-node";
import type { GraphWriter } from "./tf-protos";

/** A graph input fed on every run with a weight's current value, so setWeights/loadWeights are seen. */
export interface WeightFeed {
  node: string;
  read: () => tf.Tensor;
}

export type Emitted = { output: string; feeds: WeightFeed[] } | { unsupported: string };

/** Keras activation names → the TF op computing them (null: none). */
const ACTIVATION_OPS = new Map<string, string | null>(Object.entries({ linear: null, relu: "Relu", relu6: "Relu6", sigmoid: "Sigmoid", tanh: "Tanh", elu: "Elu" }));

const PADDING = new Map([["same", "SAME"], ["valid", "VALID"]]);

type Config = Record<string, unknown>;

/** What tfjs-layers keeps in a layer and Keras 2-D layers carry: pairs given as a number or a list. */
function pair(value: unknown): [number, number] | null {
  const list = typeof value === "number" ? [value, value] : value;
  return Array.isArray(list) && list.length === 2 && list.every((v) => Number.isInteger(v) && v > 0) ? [list[0], list[1]] : null;
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

function activation(writer: GraphWriter, name: string, input: string, kind: unknown): string | { unsupported: string } {
  const op = typeof kind === "string" ? ACTIVATION_OPS.get(kind) : undefined;
  if (op === undefined) return { unsupported: `activation ${JSON.stringify(kind)}` };
  return op === null ? input : writer.node(name, op, [input], { T: { type: "float32" } });
}

function conv2d(writer: GraphWriter, layer: tf.layers.Layer, prefix: string, input: string): Emitted {
  const config = layer.getConfig() as Config;
  const strides = pair(config.strides);
  const dilations = pair(config.dilationRate ?? 1);
  const padding = PADDING.get(String(config.padding));
  if (!strides || !dilations || !padding) return { unsupported: `strides ${JSON.stringify(config.strides)}, dilation ${JSON.stringify(config.dilationRate)}, padding ${JSON.stringify(config.padding)}` };
  // tfjs refuses this pair when it runs the layer; the graph must not answer what the model cannot
  if (strides.some((n) => n > 1) && dilations.some((n) => n > 1)) return { unsupported: "strides and dilation both above 1" };
  if (config.dataFormat !== "channelsLast") return { unsupported: `data format ${JSON.stringify(config.dataFormat)}` };
  const kernel = weightNamed(layer, "kernel");
  const bias = weightNamed(layer, "bias");
  if (!kernel || kernel.shape.length !== 4) return { unsupported: "no 4-D kernel" };
  const feeds: WeightFeed[] = [];
  const weight = (name: string, variable: tf.LayerVariable): string => {
    feeds.push({ node: writer.placeholder(`${prefix}/${name}`, variable.shape), read: () => variable.read() });
    return `${prefix}/${name}`;
  };
  let out = writer.node(`${prefix}/conv`, "Conv2D", [input, weight("kernel", kernel)], {
    T: { type: "float32" },
    strides: { ints: [1, ...strides, 1] },
    dilations: { ints: [1, ...dilations, 1] },
    padding: { s: padding },
    data_format: { s: "NHWC" },
  });
  if (config.useBias && bias) out = writer.node(`${prefix}/bias_add`, "BiasAdd", [out, weight("bias", bias)], { T: { type: "float32" }, data_format: { s: "NHWC" } });
  const activated = activation(writer, `${prefix}/activation`, out, config.activation);
  return typeof activated === "string" ? { output: activated, feeds } : activated;
}

function pool(writer: GraphWriter, layer: tf.layers.Layer, prefix: string, input: string, op: "MaxPool" | "AvgPool"): Emitted {
  const config = layer.getConfig() as Config;
  const size = pair(config.poolSize);
  const strides = pair(config.strides ?? config.poolSize);
  const padding = PADDING.get(String(config.padding));
  if (!size || !strides || !padding) return { unsupported: `pool size ${JSON.stringify(config.poolSize)}, strides ${JSON.stringify(config.strides)}, padding ${JSON.stringify(config.padding)}` };
  if (config.dataFormat !== "channelsLast") return { unsupported: `data format ${JSON.stringify(config.dataFormat)}` };
  const output = writer.node(`${prefix}/pool`, op, [input], {
    T: { type: "float32" },
    ksize: { ints: [1, ...size, 1] },
    strides: { ints: [1, ...strides, 1] },
    padding: { s: padding },
    data_format: { s: "NHWC" },
  });
  return { output, feeds: [] };
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
      return typeof out === "string" ? { output: out, feeds: [] } : out;
    }
    case "ReLU":
      return config.maxValue == null ? { output: writer.node(`${prefix}/activation`, "Relu", [input], { T: { type: "float32" } }), feeds: [] } : { unsupported: "a maxValue" };
    case "Dropout":
      return { output: input, feeds: [] }; // inference: identity
    default:
      return { unsupported: "no graph translation for this layer type" };
  }
}
