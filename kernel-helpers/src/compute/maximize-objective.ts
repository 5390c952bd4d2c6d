// What activation maximisation climbs: a channel's mean over space, taken before the layer's
// activation function where convlens can compute it (Lucid optimises "…_pre_relu" tensors too).
// After a ReLU, a channel that is silent on the flat grey starting image has no gradient at all
// and would never move; its pre-activation always has one. A ReLU is replaced by a leaky one
// rather than dropped: climbing the raw pre-activation also rewards making negative values less
// negative, which the layer's output never shows. Results are still reported, and judged, on the
// layer's real output.
import * as tf from "@tensorflow/tfjs-node";
import { layerNodes } from "../tfjs-layers-internals";

/** The slope a ReLU keeps below zero while climbing: enough to wake silent units. */
const LEAK = 0.1;

/** The tensor to score for a layer: `forward` maps the model's input batch to [batch, h, w, C]. */
export interface ScoredTensor {
  forward(input: tf.Tensor4D): tf.Tensor4D;
  /** "pre-activation" when the activation function was left out (a ReLU made leaky), "output" for the layer's output */
  kind: "pre-activation" | "output";
  /**
   * The layer's channels that forward's last axis holds, in order, when only those asked for are
   * computed (a pre-activation's convolution is done with just their filters); null: all of them.
   */
  channels: number[] | null;
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
  channels: number[] | null = null,
): ScoredTensor {
  const layer = model.layers[index];
  const pre = preActivationOf(model, index);
  if (!pre) {
    return { kind: "output", channels: null, forward: forwardTo(model, layer.output as tf.SymbolicTensor, upTo) };
  }
  const { conv, leak, pool } = pre;
  const reach = forwardTo(model, conv.input as tf.SymbolicTensor, upTo);
  return {
    kind: "pre-activation",
    channels,
    forward: (input) => {
      // each pooling and leaky ReLU below works channel by channel, so a page's filters suffice:
      // 16 of VGG16's 512 in block5_conv3, 16 of the shapes CNN's 128 in its last conv
      let z = convolve(conv, reach(input), channels);
      if (leak !== null) z = tf.leakyRelu(z, leak);
      if (!pool) return z;
      return pool.kind === "max"
        ? tf.maxPool(z, pool.size, pool.strides, pool.padding)
        : tf.avgPool(z, pool.size, pool.strides, pool.padding);
    },
  };
}

/** What is climbed for a pre-activation: conv (its kernel and bias), a leaky ReLU if the conv's is a ReLU, the pooling after it. */
export interface PreActivation {
  conv: tf.layers.Layer;
  /** the leaky ReLU's slope below 0, or null: the activation is left out altogether */
  leak: number | null;
  pool: { kind: "max" | "avg"; size: [number, number]; strides: [number, number]; padding: "same" | "valid" } | null;
}

/**
 * The pre-activation climbed for layer `index`: a Conv2D whose activation is not linear, or a
 * pooling layer right after one (max-pooling commutes with a rising activation such as ReLU; for
 * average pooling it is a close stand-in); null: the layer's output is climbed.
 */
export function preActivationOf(model: tf.LayersModel, index: number): PreActivation | null {
  const layer = model.layers[index];
  const poolKind = POOLS[layer.getClassName()];
  const conv = poolKind ? sourceLayer(layer.input) : layer;
  if (!conv || !isPreActivationConv(conv)) return null;
  const leak = (conv.getConfig() as unknown as ConvConfig).activation === "relu" ? LEAK : null;
  if (!poolKind) return { conv, leak, pool: null };
  const config = layer.getConfig() as unknown as PoolConfig;
  return {
    conv,
    leak,
    pool: {
      kind: poolKind,
      size: config.poolSize,
      strides: config.strides ?? config.poolSize,
      padding: config.padding,
    },
  };
}

/** A Conv2D's kernel and bias applied to `x`, without its activation; only `channels`' filters if given. */
function convolve(conv: tf.layers.Layer, x: tf.Tensor4D, channels: number[] | null = null): tf.Tensor4D {
  const config = conv.getConfig() as unknown as ConvConfig;
  const pick = <T extends tf.Tensor>(t: T, axis: number): T => (channels ? (tf.gather(t, channels, axis) as T) : t);
  const kernel = pick(conv.weights[0].read() as tf.Tensor4D, 3);
  const z = tf.conv2d(x, kernel, config.strides, config.padding, "NHWC", config.dilationRate);
  return config.useBias ? z.add(pick(conv.weights[1].read(), 0)) : z;
}

/**
 * A plain Conv2D's activation function: a ReLU with reluSignGrad's gradient, anything else as an
 * Activation layer built from the conv's public config (the conv's own function is a protected
 * field). Named, so tfjs's counters for automatic layer names are left as they were. Null if tfjs
 * cannot build it: the chain then applies the conv layer itself.
 */
function activationOf(conv: tf.layers.Layer): ((z: tf.Tensor4D) => tf.Tensor) | null {
  if (isRelu(conv)) return reluSignGrad;
  try {
    const { activation } = conv.getConfig() as unknown as ConvConfig;
    const identifier = activation as Parameters<typeof tf.layers.activation>[0]["activation"];
    const layer = tf.layers.activation({ activation: identifier, name: `${conv.name}_convlens_activation` });
    return (z) => layer.apply(z) as tf.Tensor;
  } catch {
    return null;
  }
}

/**
 * A differentiable pass from the model's input to `target`. Along a plain chain of layers (one
 * input each, as in VGG and the demo CNN), each Conv2D runs unfused: tfjs's fused conv2d gradient
 * always computes the kernel's and bias's gradients too, which activation maximisation never uses
 * (a third of the backward pass), while the gradient of a plain conv2d is only taken towards its
 * input. Any other model goes through a part model of the LayersModel.
 */
function forwardTo(
  model: tf.LayersModel,
  target: tf.SymbolicTensor,
  upTo: (t: tf.SymbolicTensor) => tf.LayersModel,
): (input: tf.Tensor4D) => tf.Tensor4D {
  const chain = chainTo(target);
  if (!chain) return (input) => upTo(target).apply(input, { training: false }) as tf.Tensor4D;
  const steps = chain.map((layer) => ({ layer, activation: isPlainConv(layer) ? activationOf(layer) : null }));
  return (input) =>
    steps.reduce((x, { layer, activation }) => {
      if (activation) return activation(convolve(layer, x)) as tf.Tensor4D;
      return layer.apply(x, { training: false }) as tf.Tensor4D;
    }, input);
}

/**
 * ReLU with its gradient taken as dy × sign(y): y = relu(x) is 0 or positive, so sign(y) is the
 * ReLU's derivative (0 at x ≤ 0, as TensorFlow's ReluGrad has it). tfjs's own ReLU gradient goes
 * through its Step kernel, six full-size ops in tfjs-node (NaN test, comparison, two fills, two
 * selects): about half of a demo-network ascent step. The value is tf.relu's, bit for bit.
 */
export const reluSignGrad = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const y = tf.relu(x);
  save([y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], [saved]: tf.Tensor[]) => tf.mul(dy as tf.Tensor, tf.sign(saved)),
  };
}) as (x: tf.Tensor) => tf.Tensor;

function isRelu(layer: tf.layers.Layer): boolean {
  return (layer.getConfig() as unknown as ConvConfig).activation === "relu";
}

/** The layers from the model's input layer (left out) to `target`, if each has one input and is used once. */
export function chainTo(target: tf.SymbolicTensor): tf.layers.Layer[] | null {
  const chain: tf.layers.Layer[] = [];
  let tensor = target;
  while (tensor.sourceLayer.getClassName() !== "InputLayer") {
    const layer = tensor.sourceLayer;
    if (layerNodes(layer).length !== 1 || Array.isArray(layer.input)) return null;
    chain.push(layer);
    tensor = layer.input;
  }
  return chain.reverse();
}

function sourceLayer(input: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.layers.Layer | null {
  return Array.isArray(input) ? null : input.sourceLayer;
}

/** A channels-last Conv2D with one input and a 4-D kernel. */
function isPlainConv(layer: tf.layers.Layer): boolean {
  if (layer.getClassName() !== "Conv2D" || Array.isArray(layer.input) || layerNodes(layer).length !== 1) return false;
  const config = layer.getConfig() as unknown as ConvConfig;
  const channelsLast = config.dataFormat === undefined || config.dataFormat === "channelsLast";
  return channelsLast && layer.weights.length >= 1 && layer.weights[0].shape.length === 4;
}

/** A plain Conv2D whose activation is not linear. */
function isPreActivationConv(layer: tf.layers.Layer): boolean {
  return isPlainConv(layer) && (layer.getConfig() as unknown as ConvConfig).activation !== "linear";
}
