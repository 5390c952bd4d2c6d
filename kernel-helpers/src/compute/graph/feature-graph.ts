// Feature maps from one TensorFlow graph per model, run in a TF session. Eager tfjs runs a conv,
// its bias add and its activation as three ops over the whole activation each; TF's graph
// optimiser fuses them into one and runs the transposes to channel planes beside the convolutions
// (bench: 13 VGG16 layers in 0.9× Keras model(x), where op by op took 1.2–1.4×). Weights are
// graph inputs, fed on each run with the layers' current tf.Variables: nothing is copied, and
// setWeights() is always seen.
import * as tf from "@tensorflow/tfjs-node";
import type { ChannelStack, LayerRef } from "../../types";
import { layerNodes } from "../../tfjs-layers-internals";
import type { FeedInfo, SavedModelSessions } from "../tfjs-node-internals";
import { emitLayer } from "./layer-ops";
import { closeSession, GraphWriter } from "./tf-protos";

/** The graph outputs of one layer with 4-D output: [C, H*W] planes, min, max and (for unknown H, W) its shape. */
interface LayerFetches {
  planes: string;
  min: string;
  max: string;
  shape: string | null;
  height: number;
  width: number;
  channels: number;
}

interface Compiled {
  /** model.layers when translated: a Sequential's add() / pop() makes the graph stale */
  layers: tf.layers.Layer[];
  fetches: Map<number, LayerFetches>;
  missing: Map<number, string>;
  feeds: FeedInfo[];
  reads: (() => tf.Tensor)[];
}

type Symbolic = tf.SymbolicTensor;

function describe(layer: tf.layers.Layer, index: number): string {
  return `layer ${index} "${layer.name}" (${layer.getClassName()})`;
}

/** Every layer of `model` the graph can run, in model.layers order (tfjs keeps it topological). */
function translate(model: tf.LayersModel, writer: GraphWriter): Compiled {
  const layers = [...model.layers];
  const fetches = new Map<number, LayerFetches>();
  const missing = new Map<number, string>();
  const feeds: FeedInfo[] = [{ name: "input:0" }];
  const reads: (() => tf.Tensor)[] = [];
  const nodeOf = new Map<number, string>(); // SymbolicTensor id → graph tensor
  const whyNotOf = new Map<number, string>(); // SymbolicTensor id → why it is not in the graph
  if (model.inputs.length !== 1) {
    layers.forEach((_, index) => missing.set(index, `the model has ${model.inputs.length} inputs`));
    return { layers, fetches, missing, feeds, reads };
  }
  // batch left open: imageToInput feeds one image whatever batch size the model was built with
  nodeOf.set(model.inputs[0].id, writer.placeholder("input", [null, ...model.inputs[0].shape.slice(1)]));
  const perm = writer.constInt32("planes_perm", [1, 0]);
  const allAxes = writer.constInt32("all_axes", [0, 1, 2, 3]);
  /** The fetches of a layer whose output is graph tensor `node`, if that output is 4-D. */
  const addFetches = (index: number, prefix: string, node: string, output: Symbolic) => {
    const [, height, width, channels] = output.shape;
    if (output.shape.length !== 4 || channels === null) return;
    const flat = writer.node(`${prefix}/hw_c`, "Reshape", [node, writer.constInt32(`${prefix}/hw_c_shape`, [-1, channels])], { T: { type: "float32" }, Tshape: { type: "int32" } });
    const reduce = (op: string) => writer.node(`${prefix}/${op.toLowerCase()}`, op, [node, allAxes], { T: { type: "float32" }, Tidx: { type: "int32" }, keep_dims: { b: false } });
    const known = height !== null && width !== null;
    fetches.set(index, {
      planes: `${writer.node(`${prefix}/planes`, "Transpose", [flat, perm], { T: { type: "float32" }, Tperm: { type: "int32" } })}:0`,
      min: `${reduce("Min")}:0`,
      max: `${reduce("Max")}:0`,
      shape: known ? null : `${writer.node(`${prefix}/shape`, "Shape", [node], { T: { type: "float32" }, out_type: { type: "int32" } })}:0`,
      height: height ?? 0,
      width: width ?? 0,
      channels,
    });
  };
  layers.forEach((layer, index) => {
    const output = layer.output as Symbolic | Symbolic[];
    const prefix = `l${index}`;
    const fail = (why: string) => {
      missing.set(index, why);
      for (const tensor of Array.isArray(output) ? output : [output]) whyNotOf.set(tensor.id, why);
    };
    if (layer.getClassName() === "InputLayer" && !Array.isArray(output)) {
      const input = nodeOf.get(output.id);
      return input === undefined ? fail(`${describe(layer, index)} is not the model's input`) : addFetches(index, prefix, input, output);
    }
    const nodes = layerNodes(layer);
    const inputs = nodes.length === 1 ? nodes[0].inputTensors : null;
    if (Array.isArray(output) || !inputs || inputs.length !== 1) return fail(`${describe(layer, index)} is used more than once or has several inputs or outputs`);
    const from = nodeOf.get(inputs[0].id);
    if (from === undefined) return fail(whyNotOf.get(inputs[0].id) ?? `${describe(layer, index)} does not follow the model's input`);
    const emitted = emitLayer(writer, layer, prefix, from);
    if ("unsupported" in emitted) return fail(`${describe(layer, index)}: ${emitted.unsupported}`);
    nodeOf.set(output.id, emitted.output);
    for (const feed of emitted.feeds) {
      feeds.push({ name: `${feed.node}:0` });
      reads.push(feed.read);
    }
    addFetches(index, prefix, emitted.output, output);
  });
  return { layers, fetches, missing, feeds, reads };
}

/** TF's session run failed: the graph's fault or the input's (callers find out by trying the LayersModel). */
export class GraphRunError extends Error {}

// A session holds only the graph (no weights); it is closed with dispose() or when its model is garbage-collected.
const finalizer = new FinalizationRegistry<{ sessions: SavedModelSessions; id: number }>(({ sessions, id }) => closeSession(sessions, id));

export class FeatureGraph {
  private constructor(
    readonly sessions: SavedModelSessions,
    private session: number | null,
    private readonly compiled: Compiled,
  ) {}

  private closed = false;

  /** The graph of every layer of `model` it can run, loaded into a TF session (none if no layer can be). */
  static compile(model: tf.LayersModel, sessions: SavedModelSessions): FeatureGraph {
    const writer = new GraphWriter();
    const compiled = translate(model, writer);
    let session: number | null = null;
    if (compiled.fetches.size > 0) {
      session = writer.load(sessions, "convlens-graph-");
      finalizer.register(model, { sessions, id: session }, compiled);
    }
    return new FeatureGraph(sessions, session, compiled);
  }

  /** Whether `model.layers` is still what this graph was built from. */
  matches(model: tf.LayersModel): boolean {
    const { layers } = this.compiled;
    return model.layers.length === layers.length && model.layers.every((layer, i) => layer === layers[i]);
  }

  /** Closes the TF session now (instead of when the model is garbage-collected). */
  dispose(): void {
    this.closed = true;
    if (this.session === null) return;
    finalizer.unregister(this.compiled);
    closeSession(this.sessions, this.session);
    this.session = null;
  }

  /** Why layer `index`'s feature maps cannot come from this graph; undefined when they can. */
  whyNot(index: number): string | undefined {
    if (this.closed) return "its graph is closed";
    if (this.compiled.fetches.has(index)) return undefined;
    return this.compiled.missing.get(index) ?? `layer ${index} has no feature maps [batch, height, width, channels]`;
  }

  /** One session run for `refs` (distinct, all covered: check whyNot first) on a [1, H, W, C] input. */
  run(input: tf.Tensor4D, refs: LayerRef[]): ChannelStack[] {
    if (this.session === null) throw new Error("convlens: this model has no feature-map graph");
    const layers = refs.map((ref) => {
      const fetch = this.compiled.fetches.get(ref.index);
      if (!fetch) throw new Error(`convlens: ${this.whyNot(ref.index)}`);
      return fetch;
    });
    const names = layers.flatMap((f) => [f.planes, f.min, f.max, ...(f.shape ? [f.shape] : [])]);
    const weights = this.compiled.reads.map((read) => read());
    let outputs: tf.Tensor[];
    try {
      outputs = this.sessions.run(this.session, [input, ...weights], this.compiled.feeds, names);
    } catch (error) {
      throw new GraphRunError((error as Error).message);
    }
    try {
      let next = 0;
      const take = () => outputs[next++].dataSync();
      return layers.map((fetch, i) => {
        // dataSync hands back a fresh Float32Array copied out of the tensor: ours to keep
        const data = take() as Float32Array;
        const min = take()[0];
        const max = take()[0];
        const [height, width] = fetch.shape ? Array.from(take()).slice(1, 3) : [fetch.height, fetch.width];
        return { layer: refs[i], height, width, channels: fetch.channels, data, min, max };
      });
    } finally {
      tf.dispose(outputs);
    }
  }
}
