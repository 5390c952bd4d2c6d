// The seam to tfjs-layers' internals: the only file that touches them. convlens walks a model's
// graph layer by layer (receptive fields, output sizes, Grad-CAM's path to the scores, the feature
// graph, the flat view of nested models), which needs the nodes tfjs-layers records each time a
// layer is applied. `Layer.inboundNodes` and `SymbolicTensor.nodeIndex` are visible in tfjs-layers'
// .d.ts but undocumented, and the Node class is not exported; the flat view also gives a layer a
// stand-in with an id and node lists of its own. Everything else goes through the small typed API
// below (a layer's weights through the public `layer.weights`, its activation through
// getConfig()); test/helpers/tfjs-layers-internals.test.ts checks every internal named here after an
// upgrade and says exactly what moved. `SymbolicTensor.id` is public (`readonly id: number` on the
// exported class) and used as is.
import type * as tf from "@tensorflow/tfjs-node";

/** One application of a layer, as tfjs-layers records it (its Node class, not exported). */
export interface LayerNode {
  readonly inputTensors: tf.SymbolicTensor[];
  readonly outputTensors: tf.SymbolicTensor[];
  /** the keyword arguments the layer was applied with (e.g. `training`) */
  readonly callArgs?: Record<string, unknown>;
}

interface LayerInternals {
  inboundNodes: LayerNode[];
}

/** Every application of `layer`, in order (one for a layer used once; none for an unapplied one). */
export function layerNodes(layer: tf.layers.Layer): readonly LayerNode[] {
  return (layer as unknown as LayerInternals).inboundNodes;
}

/** The application of its layer that produced `tensor` (undefined for a tensor no node records). */
export function producingNode(tensor: tf.SymbolicTensor): LayerNode | undefined {
  return layerNodes(tensor.sourceLayer)[tensor.nodeIndex];
}

// Stand-ins get ids of their own (tfjs's are positive): a model's topology is keyed by layer id.
let nextStandInId = -1;

/**
 * An object whose prototype is `layer`, so it reads the very same weights, config and build state,
 * but named `name` and with an id and node lists of its own: applying it records its nodes, not
 * `layer`'s (tfjs refuses `layer.output` for a layer applied twice, in the user's model too).
 */
export function standInLayer(layer: tf.layers.Layer, name: string): tf.layers.Layer {
  const stand = Object.create(layer) as tf.layers.Layer;
  Object.defineProperties(stand, {
    id: { value: nextStandInId--, enumerable: true },
    name: { value: name, enumerable: true },
    inboundNodes: { value: [], writable: true, enumerable: true },
    outboundNodes: { value: [], writable: true, enumerable: true },
  });
  return stand;
}

/**
 * What of the internals above `layer` (applied at least once) and its output `tensor` lack, one
 * sentence each; empty when all are there. The canary runs it on real layers.
 */
export function missingLayerInternals(layer: tf.layers.Layer, tensor: tf.SymbolicTensor): string[] {
  const missing: string[] = [];
  const own = layer as unknown as Record<string, unknown>;
  for (const field of ["inboundNodes", "outboundNodes"]) {
    if (!Array.isArray(own[field])) missing.push(`tfjs-layers' Layer has no array ${field}`);
  }
  if (typeof own.id !== "number") missing.push("tfjs-layers' Layer has no numeric id");
  if (typeof tensor.nodeIndex !== "number") missing.push("tfjs-layers' SymbolicTensor has no numeric nodeIndex");
  if (typeof tensor.id !== "number") missing.push("tfjs-layers' SymbolicTensor has no numeric id");
  if (missing.length > 0) return missing;
  const node = producingNode(tensor) as unknown as Record<string, unknown> | undefined;
  if (!node) return [`tfjs-layers' Layer.inboundNodes[SymbolicTensor.nodeIndex] is not the node that produced it`];
  for (const field of ["inputTensors", "outputTensors"]) {
    if (!Array.isArray(node[field])) missing.push(`tfjs-layers' Node has no array ${field}`);
  }
  if (node.callArgs !== undefined && (typeof node.callArgs !== "object" || node.callArgs === null)) {
    missing.push("tfjs-layers' Node.callArgs is not an object");
  }
  if (missing.length === 0 && !(node.outputTensors as tf.SymbolicTensor[]).includes(tensor)) {
    missing.push("tfjs-layers' Node.outputTensors does not hold the tensor whose nodeIndex points at it");
  }
  return missing;
}
