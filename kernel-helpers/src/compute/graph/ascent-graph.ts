// Activation maximisation's forward and backward pass through the network as one TensorFlow graph,
// run in a TF session. Op by op, eager tfjs took ~70 ms of a ~85 ms step on the shapes CNN's
// 16-channel page; as one graph, which TF's optimiser plans whole and whose convs it fuses with
// their bias and ReLU, the network's part takes ~28 ms (Python shows the same gap: tf.function
// ~30 ms against eager GradientTape ~114 ms for this step). The graph takes the preprocessed image
// batch and returns the objective (each image's mean over space of its own channel, summed over
// the batch) and its gradient towards the batch; the image parameterisation, the random transforms
// and the preprocessing stay in tfjs, which chains its own gradients to that one (tf.customGrad).
//
// The backward pass is written with TF's gradient ops, layer by layer (layer-ops.ts), for the
// layer kinds featureMaps' graph translates; anything else (a nested or branching model, another
// layer kind, another backend) keeps the eager pass, which computes the same function.
import * as tf from "@tensorflow/tfjs-node";
import { chainTo, preActivationOf } from "../maximize-objective";
import type { FeedInfo, SavedModelSessions } from "../tfjs-node-internals";
import { savedModelSessions } from "../tfjs-node-internals";
import { convAttrs, emitLayer, F32 } from "./layer-ops";
import { closeSession, GraphWriter } from "./tf-protos";

export interface AscentGraph {
  /**
   * −objective for a preprocessed batch, differentiable towards it (its gradient comes from the
   * graph): what the optimiser minimises. If TF fails to run the graph, `failure` says why and
   * the loss and its gradient are zeros: the step must then not be applied (see climb in
   * maximize.ts). It does not throw: an error thrown while tfjs records a gradient tape would
   * leave the tape's saved tensors behind.
   */
  loss(input: tf.Tensor4D): tf.Scalar;
  /** TF's error from the last failed run, if one failed */
  readonly failure: string | null;
  /** closes the TF session and frees the page's filters */
  dispose(): void;
}

/**
 * The graph climbing layer `index` of `model` (a flat layers view) for a batch of `shape`
 * ([batch, height, width, 3]): `mask` ([batch, 1, 1, C]) picks each image's channel among the C
 * of the scored tensor (the page's `channels` of a pre-activation, else the layer's output). A
 * string says why there is none.
 */
export function ascentGraph(
  model: tf.LayersModel,
  index: number,
  channels: number[] | null,
  mask: tf.Tensor,
  shape: [number, number, number, number],
): AscentGraph | string {
  const sessions = savedModelSessions();
  if (!sessions) return `the ${tf.getBackend()} backend runs no TensorFlow graphs`;
  if (model.inputs.length !== 1) return `the model has ${model.inputs.length} inputs`;
  const layer = model.layers[index];
  const pre = preActivationOf(model, index);
  const reach = pre ? pre.conv.input : layer.output;
  if (Array.isArray(reach)) return "the scored layer has several inputs";
  const chain = chainTo(reach);
  if (!chain) return "the layers before it are not one plain chain";
  if ((chain.length > 0 ? chain[0].input : reach) !== model.inputs[0])
    return "the chain does not start at the model's input";

  const writer = new GraphWriter();
  const feeds: FeedInfo[] = [{ name: "input:0" }, { name: "mask:0" }];
  const reads: (() => tf.Tensor)[] = [];
  const owned: tf.Tensor[] = [];
  let x = writer.placeholder("input", shape);
  writer.placeholder("mask", mask.shape);
  const grads: ((name: string, dy: string) => string)[] = [];
  for (const [i, link] of chain.entries()) {
    const emitted = emitLayer(writer, link, `l${i}`, x);
    if ("unsupported" in emitted) return `layer "${link.name}" (${link.getClassName()}): ${emitted.unsupported}`;
    for (const feed of emitted.feeds) {
      feeds.push({ name: `${feed.node}:0` });
      reads.push(feed.read);
    }
    grads.push(emitted.grad);
    x = emitted.output;
  }
  let z = x;
  if (pre) {
    const scored = scoredPreActivation(writer, pre, pre.pool ? layer : null, channels, x);
    if ("unsupported" in scored) return scored.unsupported;
    for (const [node, tensor] of scored.feeds) {
      feeds.push({ name: `${node}:0` });
      owned.push(tensor);
      reads.push(() => tensor);
    }
    grads.push(scored.grad);
    z = scored.output;
  }
  // d objective / dz: each image's own channel, 1 / (h·w) at every position (the mean over space)
  const zShape = writer.shape("objective/z_shape", z);
  const hw = writer.node(
    "objective/hw",
    "Prod",
    [
      writer.node(
        "objective/hw_dims",
        "Slice",
        [zShape, writer.constInt32("objective/hw_begin", [1]), writer.constInt32("objective/hw_size", [2])],
        { T: { type: "int32" }, Index: { type: "int32" } },
      ),
      writer.constInt32("objective/hw_axis", [0]),
    ],
    { T: { type: "int32" }, Tidx: { type: "int32" }, keep_dims: { b: false } },
  );
  const hwFloat = writer.node("objective/hw_float", "Cast", [hw], {
    SrcT: { type: "int32" },
    DstT: { type: "float32" },
  });
  const spread = writer.node(
    "objective/spread",
    "Mul",
    [writer.node("objective/ones", "OnesLike", [z], F32), "mask"],
    F32,
  );
  let dy = writer.node("objective/dz", "RealDiv", [spread, hwFloat], F32);
  writer.node(
    "objective",
    "Sum",
    [writer.node("objective/terms", "Mul", [z, dy], F32), writer.constInt32("objective/axes", [0, 1, 2, 3])],
    {
      T: { type: "float32" },
      Tidx: { type: "int32" },
      keep_dims: { b: false },
    },
  );
  for (let i = grads.length - 1; i >= 0; i--) dy = grads[i](`grad/l${i}`, dy);
  writer.node("gradient", "Identity", [dy], F32);

  let session: number;
  try {
    session = writer.load(sessions, "convlens-ascent-");
  } catch (error) {
    tf.dispose(owned);
    return `its graph could not be built: ${(error as Error).message}`;
  }
  const floatMask = mask.toFloat(); // a one-hot mask is int32
  owned.push(floatMask);
  return new SessionAscent(sessions, session, feeds, reads, owned, floatMask);
}

/**
 * The target conv with only the page's filters, its leaky ReLU, and `poolLayer` (the climbed
 * pooling layer after it, translated as featureMaps' graph does); their gradient.
 */
function scoredPreActivation(
  writer: GraphWriter,
  pre: NonNullable<ReturnType<typeof preActivationOf>>,
  poolLayer: tf.layers.Layer | null,
  channels: number[] | null,
  input: string,
):
  | { output: string; feeds: [string, tf.Tensor][]; grad: (name: string, dy: string) => string }
  | { unsupported: string } {
  // the conv's own attributes, as featureMaps' graph has them (and checked there); no activation
  const checked = convAttrs(pre.conv);
  if ("unsupported" in checked) return { unsupported: `layer "${pre.conv.name}": ${checked.unsupported}` };
  const { attrs } = checked;
  const config = pre.conv.getConfig() as Record<string, unknown>;
  const [kernel, bias] = pre.conv.weights;
  const pick = (t: tf.Tensor, axis: number) => (channels ? tf.gather(t, channels, axis) : t.clone());
  const feeds: [string, tf.Tensor][] = [];
  const kernelNode = writer.placeholder("scored/kernel", [
    ...kernel.shape.slice(0, 3),
    channels?.length ?? kernel.shape[3],
  ]);
  feeds.push([kernelNode, pick(kernel.read(), 3)]);
  let z = writer.node("scored/conv", "Conv2D", [input, kernelNode], attrs);
  if (config.useBias && bias) {
    const biasNode = writer.placeholder("scored/bias", [channels?.length ?? bias.shape[0]]);
    feeds.push([biasNode, pick(bias.read(), 0)]);
    z = writer.node("scored/bias_add", "BiasAdd", [z, biasNode], {
      T: { type: "float32" },
      data_format: { s: "NHWC" },
    });
  }
  const beforeLeak = z;
  if (pre.leak !== null)
    z = writer.node("scored/leaky_relu", "LeakyRelu", [z], { T: { type: "float32" }, alpha: { f: pre.leak } });
  const pooled = poolLayer ? emitLayer(writer, poolLayer, "scored_pool", z) : null;
  if (pooled && "unsupported" in pooled) return { unsupported: `layer "${poolLayer?.name}": ${pooled.unsupported}` };
  const output = pooled ? pooled.output : z;
  const grad = (name: string, dy: string): string => {
    let g = pooled ? pooled.grad(`${name}/pool`, dy) : dy;
    if (pre.leak !== null)
      g = writer.node(`${name}/leaky_relu`, "LeakyReluGrad", [g, beforeLeak], {
        T: { type: "float32" },
        alpha: { f: pre.leak },
      });
    return writer.node(name, "Conv2DBackpropInput", [writer.shape(`${name}/input_sizes`, input), kernelNode, g], attrs);
  };
  return { output, feeds, grad };
}

class SessionAscent implements AscentGraph {
  private session: number | null;
  failure: string | null = null;
  readonly loss: (input: tf.Tensor4D) => tf.Scalar;

  constructor(
    private readonly sessions: SavedModelSessions,
    session: number,
    feeds: FeedInfo[],
    reads: (() => tf.Tensor)[],
    private readonly owned: tf.Tensor[],
    mask: tf.Tensor,
  ) {
    this.session = session;
    const run = (input: tf.Tensor): [tf.Tensor, tf.Tensor] => {
      try {
        if (this.session === null) throw new Error("the graph's session is closed");
        const [objective, gradient] = this.sessions.run(
          this.session,
          [input, mask, ...reads.map((read) => read())],
          feeds,
          ["objective:0", "gradient:0"],
        );
        return [objective, gradient];
      } catch (error) {
        this.failure = (error as Error).message;
        return [tf.scalar(0), tf.zerosLike(input)];
      }
    };
    // the loss's gradient towards the batch is the graph's, negated (the objective is climbed)
    this.loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
      const [objective, gradient] = run(input);
      save([gradient]);
      return {
        value: tf.neg(objective),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], [g]: tf.Tensor[]) => tf.mul(dy as tf.Tensor, tf.neg(g)),
      };
    }) as (input: tf.Tensor4D) => tf.Scalar;
  }

  dispose(): void {
    tf.dispose(this.owned);
    if (this.session === null) return;
    closeSession(this.sessions, this.session);
    this.session = null;
  }
}
