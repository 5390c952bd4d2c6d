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
import { emitLayer, F32 } from "./layer-ops";
import { sessionPool, type PooledSession } from "./session-pool";
import { GraphWriter } from "./tf-protos";

/** The graph outputs of one layer with 4-D output: [C, H*W] planes, min, max and (for unknown H, W) its shape. */
interface LayerFetches {
  planes: string;
  min: string;
  max: string;
  shape: string | null;
  height: number;
  width: number;
  channels: number;
  /** the planes quantised for display (see DisplayPlanes), when C × H × W packs into whole int32s */
  display: { codes: string; min: string; max: string; sum: string; finite: string } | null;
}

/**
 * A layer's planes quantised for the widget inside the graph, as display/quantise.ts does in
 * JavaScript: per plane over its own min..max, code = round((v − min) · 255 / (max − min)) (half
 * to even; 0 for a constant plane). The codes come out packed four to an int32 (TF's Bitcast), so
 * a 64 × 224 × 224 layer is 3 MB to copy instead of 13 MB of floats to quantise (~50 ms).
 */
export interface DisplayPlanes {
  /** channels × H·W codes, plane after plane */
  codes: Uint8Array;
  /** per plane: its min and max (the codes' 0 and 255), and the sum of its values */
  min: Float32Array;
  max: Float32Array;
  sum: Float32Array;
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

interface DisplayConstants {
  planeAxis: string;
  bothAxes: string;
  quads: string;
  levels: string;
}

/** The nodes that quantise graph tensor `planes` ([C, H·W] float32) for display: see DisplayPlanes. */
function displayFetches(writer: GraphWriter, prefix: string, planes: string, c: DisplayConstants): NonNullable<LayerFetches["display"]> {
  const reduce = (name: string, op: string, input: string, axes: string, keep: boolean) =>
    writer.node(`${prefix}/${name}`, op, [input, axes], { ...(op === "All" ? {} : F32), Tidx: { type: "int32" }, keep_dims: { b: keep } });
  const min = reduce("min", "Min", planes, c.planeAxis, true);
  const max = reduce("max", "Max", planes, c.planeAxis, true);
  const sum = reduce("sum", "Sum", planes, c.planeAxis, false);
  const finite = reduce("finite", "All", writer.node(`${prefix}/is_finite`, "IsFinite", [planes], F32), c.bothAxes, false);
  const span = writer.node(`${prefix}/span`, "Sub", [max, min], F32);
  const perUnit = writer.node(`${prefix}/per_unit`, "DivNoNan", [c.levels, span], F32); // 0 for a constant plane
  const shifted = writer.node(`${prefix}/shifted`, "Sub", [planes, min], F32);
  const scaled = writer.node(`${prefix}/scaled`, "Mul", [shifted, perUnit], F32);
  const rounded = writer.node(`${prefix}/rounded`, "Round", [scaled], F32); // half to even, like a Uint8ClampedArray
  const bytes = writer.node(`${prefix}/bytes`, "Cast", [rounded], { SrcT: { type: "float32" }, DstT: { type: "uint8" }, Truncate: { b: false } });
  const quads = writer.node(`${prefix}/quads`, "Reshape", [bytes, c.quads], { T: { type: "uint8" }, Tshape: { type: "int32" } });
  const codes = writer.node(`${prefix}/codes`, "Bitcast", [quads], { T: { type: "uint8" }, type: { type: "int32" } });
  return { codes: `${codes}:0`, min: `${min}:0`, max: `${max}:0`, sum: `${sum}:0`, finite: `${finite}:0` };
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
  let shared: DisplayConstants | null = null;
  const constants = () =>
    (shared ??= {
      planeAxis: writer.constInt32("display/plane_axis", [1]),
      bothAxes: writer.constInt32("display/both_axes", [0, 1]),
      quads: writer.constInt32("display/quads", [-1, 4]),
      levels: writer.constFloat32("display/levels", 255),
    });
  /** The fetches of a layer whose output is graph tensor `node`, if that output is 4-D. */
  const addFetches = (index: number, prefix: string, node: string, output: Symbolic) => {
    const [, height, width, channels] = output.shape;
    if (output.shape.length !== 4 || channels === null) return;
    const flat = writer.node(`${prefix}/hw_c`, "Reshape", [node, writer.constInt32(`${prefix}/hw_c_shape`, [-1, channels])], { T: { type: "float32" }, Tshape: { type: "int32" } });
    const reduce = (op: string) => writer.node(`${prefix}/${op.toLowerCase()}`, op, [node, allAxes], { T: { type: "float32" }, Tidx: { type: "int32" }, keep_dims: { b: false } });
    const known = height !== null && width !== null;
    const planes = writer.node(`${prefix}/planes`, "Transpose", [flat, perm], { T: { type: "float32" }, Tperm: { type: "int32" } });
    const packs = channels % 4 === 0 || (known && (channels * height * width) % 4 === 0);
    fetches.set(index, {
      display: packs ? displayFetches(writer, `${prefix}/display`, planes, constants()) : null,
      planes: `${planes}:0`,
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

// A session holds only the graph (no weights), shared through the pool by the models whose graphs
// are the same; a model lets go of it with dispose() or when it is garbage-collected.
const finalizer = new FinalizationRegistry<{ sessions: SavedModelSessions; session: PooledSession }>(({ sessions, session }) =>
  sessionPool(sessions).release(session),
);

export class FeatureGraph {
  private constructor(
    readonly sessions: SavedModelSessions,
    private session: PooledSession | null,
    private readonly compiled: Compiled,
  ) {}

  private closed = false;

  /**
   * The graph of every layer of `model` it can run, in a TF session (none if no layer can be): the
   * pool's, when a model with the same graph has one open, else a new one.
   */
  static compile(model: tf.LayersModel, sessions: SavedModelSessions): FeatureGraph {
    const writer = new GraphWriter();
    const compiled = translate(model, writer);
    let session: PooledSession | null = null;
    if (compiled.fetches.size > 0) {
      const bytes = writer.savedModel();
      session = sessionPool(sessions).acquire(bytes, () => writer.load(sessions, "convlens-graph-", bytes));
      finalizer.register(model, { sessions, session }, compiled);
    }
    return new FeatureGraph(sessions, session, compiled);
  }

  /** Whether `model.layers` is still what this graph was built from. */
  matches(model: tf.LayersModel): boolean {
    const { layers } = this.compiled;
    return model.layers.length === layers.length && model.layers.every((layer, i) => layer === layers[i]);
  }

  /**
   * Lets go of the TF session now (instead of when the model is garbage-collected): it stays open
   * in the pool for the next model with this graph, unless `close` (TF could not run it, or no
   * model will have this graph again), when it is closed once no other model uses it.
   */
  dispose(close = false): void {
    this.closed = true;
    if (this.session === null) return;
    finalizer.unregister(this.compiled);
    const pool = sessionPool(this.sessions);
    if (close) pool.discard(this.session);
    pool.release(this.session);
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
    return this.runWith(input, refs, false).map(({ stack }) => stack);
  }

  /**
   * run(), and each layer's planes quantised for display in the same session run (null for a
   * layer the graph cannot pack, or whose values are not all finite: those are for quantise.ts).
   */
  runForDisplay(input: tf.Tensor4D, refs: LayerRef[]): { stack: ChannelStack; display: DisplayPlanes | null }[] {
    return this.runWith(input, refs, true);
  }

  private runWith(input: tf.Tensor4D, refs: LayerRef[], display: boolean): { stack: ChannelStack; display: DisplayPlanes | null }[] {
    if (this.session === null) throw new Error("convlens: this model has no feature-map graph");
    const layers = refs.map((ref) => {
      const fetch = this.compiled.fetches.get(ref.index);
      if (!fetch) throw new Error(`convlens: ${this.whyNot(ref.index)}`);
      return fetch;
    });
    const shown = (f: LayerFetches) => (display && f.display ? [f.display.codes, f.display.min, f.display.max, f.display.sum, f.display.finite] : []);
    const names = layers.flatMap((f) => [f.planes, f.min, f.max, ...(f.shape ? [f.shape] : []), ...shown(f)]);
    const weights = this.compiled.reads.map((read) => read());
    let outputs: tf.Tensor[];
    try {
      outputs = this.sessions.run(this.session.id, [input, ...weights], this.compiled.feeds, names);
    } catch (error) {
      throw new GraphRunError((error as Error).message);
    }
    try {
      let next = 0;
      const take = () => outputs[next++].dataSync();
      return layers.map((fetch, i) => {
        // dataSync hands back a fresh typed array copied out of the tensor: ours to keep
        const data = take() as Float32Array;
        const min = take()[0];
        const max = take()[0];
        const [height, width] = fetch.shape ? Array.from(take()).slice(1, 3) : [fetch.height, fetch.width];
        const stack: ChannelStack = { layer: refs[i], height, width, channels: fetch.channels, data, min, max };
        if (shown(fetch).length === 0) return { stack, display: null };
        const packed = take() as Int32Array;
        const planes: DisplayPlanes = { codes: new Uint8Array(packed.buffer, packed.byteOffset, data.length), min: take() as Float32Array, max: take() as Float32Array, sum: take() as Float32Array };
        const finite = take()[0] === 1;
        return { stack, display: finite ? planes : null };
      });
    } finally {
      tf.dispose(outputs);
    }
  }
}
