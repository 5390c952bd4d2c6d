// The feature-map graph of each model, built on first use, or why it has none.
import * as tf from "@tensorflow/tfjs-node";
import { nativeBackend } from "../native-backend";
import { FeatureGraph } from "./feature-graph";

const graphs = new WeakMap<tf.LayersModel, FeatureGraph | string>();

export function graphOf(model: tf.LayersModel): FeatureGraph | string {
  let graph = graphs.get(model);
  if (graph === undefined) {
    const backend = nativeBackend();
    if (!backend) return `the ${tf.getBackend()} backend runs no TensorFlow graphs`; // not kept: the backend can change
    try {
      graph = FeatureGraph.compile(model, backend);
    } catch (error) {
      graph = giveUpGraph(model, `its graph could not be built: ${(error as Error).message}`);
    }
    graphs.set(model, graph);
  }
  return graph;
}

/** Remembers why `model` has no graph and says so once: it still works, only slower. */
export function giveUpGraph(model: tf.LayersModel, why: string): string {
  console.warn(`convlens: feature maps of model "${model.name}" are computed layer by layer (slower): ${why}`);
  graphs.set(model, why);
  return why;
}
