// What activation maximisation climbs: a channel's mean over space, taken before the layer's
// activation function where convlens can compute it (Lucid optimises "…_pre_relu" tensors too).
// After a ReLU, a channel that is silent on the flat grey starting image has no gradient at all
// and would never move; its pre-activation always has one. A ReLU is replaced by a leaky one
// rather than dropped: climbing the raw pre-activation also rewards making negative values less
// negative, which the layer's output never shows. Results are still reported, and judged, on the
// layer's real output.
import * as tf from "@tensorflow/tfjs-node";

/** The slope a ReLU keeps below zero while climbing: enough to wake silent units. */
const LEAK = 0.1;

/** The tensor to score for a layer: `forward` maps the model's input batch to [batch, h, w, C]. */
export interface ScoredTensor {
  forward(input: tf.Tensor4D): tf.Tensor4D;
  /** "pre-activation" when the activation function was left out (a ReLU made leaky), "output" for the layer's output */
  kind: "pre-activation" | "output";
}

interface ConvConfig {
  strides: [number, number];
  padding: "same" | "valid";
  dilationRate: [number, number] | number;
  useBias: boolean;
  activation: string;
  dataFormat?: string;
}

interface PoolConfig {
  poolSize: [number, number];
  strides: [number, number] | null;
  padding: "same" | "valid";
}

const POOLS: Record<string, "max" | "avg"> = { MaxPooling2D: "max", AveragePooling2D: "avg" };

/**
 * The pre-activation of a Conv2D whose activation is not linear; a pooling layer right after one
 * pools that pre-activation (max-pooling commutes with a rising activation such as ReLU; for
 * average pooling it is a close stand-in). The layer's output otherwise.
 */
export function scoredTensor(
  model: tf.LayersModel,
  index: number,
  upTo: (t: tf.SymbolicTensor) => tf.LayersModel,
): ScoredTensor {
  const layer = model.layers[index];
  const output = layer.output as tf.SymbolicTensor;
  const plain: ScoredTensor = {
    kind: "output",
    forward: (input) => upTo(output).apply(input, { training: false }) as tf.Tensor4D,
  };
  const pool = POOLS[layer.getClassName()];
  const conv = pool ? sourceLayer(layer.input) : layer;
  if (!conv || !isPreActivationConv(conv)) return plain;
  const convInput = conv.input as tf.SymbolicTensor;
  const config = conv.getConfig() as unknown as ConvConfig;
  const reach = convInput === model.inputs[0] ? null : upTo(convInput);
  const poolConfig = pool ? (layer.getConfig() as unknown as PoolConfig) : null;
  return {
    kind: "pre-activation",
    forward: (input) => {
      const x = reach ? (reach.apply(input, { training: false }) as tf.Tensor4D) : input;
      const kernel = conv.weights[0].read() as tf.Tensor4D;
      let z = tf.conv2d(x, kernel, config.strides, config.padding, "NHWC", config.dilationRate);
      if (config.useBias) z = z.add(conv.weights[1].read());
      if (config.activation === "relu") z = tf.leakyRelu(z, LEAK);
      if (!poolConfig) return z;
      const strides = poolConfig.strides ?? poolConfig.poolSize;
      return pool === "max"
        ? tf.maxPool(z, poolConfig.poolSize, strides, poolConfig.padding)
        : tf.avgPool(z, poolConfig.poolSize, strides, poolConfig.padding);
    },
  };
}

function sourceLayer(input: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.layers.Layer | null {
  return Array.isArray(input) ? null : input.sourceLayer;
}

/** A plain channels-last Conv2D with one input, a 4-D kernel and a non-linear activation. */
function isPreActivationConv(layer: tf.layers.Layer): boolean {
  if (layer.getClassName() !== "Conv2D" || Array.isArray(layer.input) || layer.inboundNodes.length !== 1) return false;
  const config = layer.getConfig() as unknown as ConvConfig;
  const channelsLast = config.dataFormat === undefined || config.dataFormat === "channelsLast";
  const kernel4d = layer.weights.length >= 1 && layer.weights[0].shape.length === 4;
  return channelsLast && config.activation !== "linear" && kernel4d;
}
