// A TensorFlow GraphDef, wrapped in a SavedModel, written with the protobuf classes tfjs-node
// itself ships (TF's SavedModel protos, which tfjs-node uses to read SavedModels), reached through
// ../tfjs-node-internals.ts. Only the few messages a feed-forward graph needs are typed there.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AttrValue, type GraphDef, type SavedModelSessions, type Shape, tfProtos as api } from "../tfjs-node-internals";

/** A node's attribute value, one kind per TF AttrValue field used here. */
export type Attr =
  | { type: "float32" | "int32" | "uint8" | "bool" }
  | { s: string }
  | { ints: number[] }
  | { b: boolean }
  | { f: number }
  /** a shape; null is an unknown dimension */
  | { shape: (number | null)[] }
  /** a 1-D int32 tensor (a Const node's value) */
  | { int32Tensor: number[] }
  /** a float32 scalar (a Const node's value) */
  | { float32Scalar: number };

// TF's DataType enum (types.proto)
const DTYPES = { float32: 1, int32: 3, uint8: 4, bool: 10 } as const;
// The GraphDef version TF 2.x writes; every op used here is older than it.
const GRAPH_PRODUCER = 1700;
export const SERVING_TAG = "serve";

function shapeOf(dims: (number | null)[]): Shape {
  const P = api();
  const shape = new P.TensorShape();
  for (const size of dims) {
    const dim = new P.TensorShape.Dim();
    dim.setSize(size ?? -1);
    shape.addDim(dim);
  }
  return shape;
}

function attrValue(attr: Attr): AttrValue {
  const P = api();
  const value = new P.AttrValue();
  if ("type" in attr) value.setType(DTYPES[attr.type]);
  else if ("s" in attr) value.setS(Buffer.from(attr.s));
  else if ("b" in attr) value.setB(attr.b);
  else if ("f" in attr) value.setF(attr.f);
  else if ("shape" in attr) value.setShape(shapeOf(attr.shape));
  else if ("int32Tensor" in attr) {
    const tensor = new P.Tensor();
    tensor.setDtype(DTYPES.int32);
    tensor.setTensorShape(shapeOf([attr.int32Tensor.length]));
    tensor.setTensorContent(new Uint8Array(Int32Array.from(attr.int32Tensor).buffer));
    value.setTensor(tensor);
  } else if ("float32Scalar" in attr) {
    const tensor = new P.Tensor();
    tensor.setDtype(DTYPES.float32);
    tensor.setTensorShape(shapeOf([]));
    tensor.setTensorContent(new Uint8Array(Float32Array.of(attr.float32Scalar).buffer));
    value.setTensor(tensor);
  } else {
    const list = new P.AttrValue.ListValue();
    list.setIList(attr.ints);
    value.setList(list);
  }
  return value;
}

/** Builds one graph node by node, then serialises it as a SavedModel (one meta graph, no signature). */
export class GraphWriter {
  private readonly graph: GraphDef;
  private readonly names = new Set<string>();

  constructor() {
    const P = api();
    this.graph = new P.GraphDef();
    const versions = new P.VersionDef();
    versions.setProducer(GRAPH_PRODUCER);
    this.graph.setVersions(versions);
  }

  /** Adds node `name` running `op` on `inputs` ("node" or "node:k"); returns its first output. */
  node(name: string, op: string, inputs: string[], attrs: Record<string, Attr>): string {
    if (this.names.has(name)) throw new Error(`graph node ${name} defined twice`);
    this.names.add(name);
    const node = new (api().NodeDef)();
    node.setName(name);
    node.setOp(op);
    node.setInputList(inputs);
    const map = node.getAttrMap();
    for (const [key, attr] of Object.entries(attrs)) map.set(key, attrValue(attr));
    this.graph.addNode(node);
    return name;
  }

  placeholder(name: string, shape: (number | null)[]): string {
    return this.node(name, "Placeholder", [], { dtype: { type: "float32" }, shape: { shape } });
  }

  constInt32(name: string, values: number[]): string {
    return this.node(name, "Const", [], { dtype: { type: "int32" }, value: { int32Tensor: values } });
  }

  constFloat32(name: string, value: number): string {
    return this.node(name, "Const", [], { dtype: { type: "float32" }, value: { float32Scalar: value } });
  }

  /** The int32 shape of graph tensor `of` (its static shape when known: grappler folds it). */
  shape(name: string, of: string): string {
    return this.node(name, "Shape", [of], { T: { type: "float32" }, out_type: { type: "int32" } });
  }

  /**
   * Loads the graph into a new TF session of `sessions`; its id. TF reads a SavedModel from a
   * folder: one is written under the system's temp folder (named `prefix`…) and removed at once,
   * the session keeping the graph it read. Throws TF's error if it refuses the graph. `bytes`:
   * savedModel(), when the caller has it already.
   */
  load(sessions: SavedModelSessions, prefix: string, bytes: Uint8Array = this.savedModel()): number {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    try {
      writeFileSync(join(dir, "saved_model.pb"), bytes);
      return sessions.load(dir, SERVING_TAG);
    } finally {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // a folder left in the temp dir is harmless; a session lost with it would not be
      }
    }
  }

  /** The SavedModel bytes (saved_model.pb) with one "serve" meta graph and no variables. */
  savedModel(): Uint8Array {
    const P = api();
    const info = new P.MetaGraphDef.MetaInfoDef();
    info.setTagsList([SERVING_TAG]);
    const meta = new P.MetaGraphDef();
    meta.setMetaInfoDef(info);
    // no signature: the session is run with feeds and fetches named node by node
    meta.setGraphDef(this.graph);
    const model = new P.SavedModel();
    model.setSavedModelSchemaVersion(1);
    model.addMetaGraphs(meta);
    return model.serializeBinary();
  }
}

/** Closes TF session `id`; one already closed is left alone (there is nothing to free). */
export function closeSession(sessions: SavedModelSessions, id: number): void {
  try {
    sessions.close(id);
  } catch {
    // already closed: nothing to free
  }
}
