// The feature-map graph of each model, built on first use, or why it has none.
import * as tf from "@tensorflow/tfjs-node";
import { savedModelSessions } from "../tfjs-node-internals";
import { FeatureGraph } from "./feature-graph";
import { sessionPool } from "./session-pool";

const graphs = new WeakMap<tf.LayersModel, FeatureGraph | string>();

/**
 * `model`'s graph, built (and its TF session opened) the first time it is asked for, and again if
 * a Sequential's layers have changed since; or why featureMaps must use the LayersModel instead.
 */
export function graphOf(model: tf.LayersModel): FeatureGraph | string {
  const sessions = savedModelSessions();
  // checked on every call, the cached graph kept: tf.setBackend() can switch back and forth
  if (!sessions) return `the ${tf.getBackend()} backend runs no TensorFlow graphs`;
  let graph = graphs.get(model);
  if (typeof graph === "object" && (graph.sessions !== sessions || !graph.matches(model))) {
    graph.dispose();
    graph = undefined;
  }
  if (graph === undefined) {
    try {
      graph = FeatureGraph.compile(model, sessions);
      graphs.set(model, graph);
    } catch (error) {
      graph = giveUpGraph(model, `its graph could not be built: ${(error as Error).message}`);
    }
  }
  return graph;
}

/**
 * Drops `model`'s graph (its session is closed once no other model uses it: no model gets it
 * again), remembers why and says so once: featureMaps still works, only slower.
 */
export function giveUpGraph(model: tf.LayersModel, why: string): string {
  const graph = graphs.get(model);
  if (typeof graph === "object") graph.dispose(true);
  console.warn(`convlens: feature maps of model "${model.name}" are computed layer by layer (slower): ${why}`);
  graphs.set(model, why);
  return why;
}

/**
 * Lets go of `model`'s graph now, if it has one, instead of when the model is garbage-collected
 * (its session stays in the pool for the next model with the same graph, unless `close`: then it
 * is closed once no other model uses it); whether it had one. featureMaps builds a new one if
 * asked again.
 */
export function releaseGraph(model: tf.LayersModel, close = false): boolean {
  const graph = graphs.get(model);
  graphs.delete(model);
  if (typeof graph !== "object") return false;
  graph.dispose(close);
  return true;
}

/** Closes the graph sessions no model uses (kept for the next model of their architecture); how many. */
export function closeIdleSessions(): number {
  const sessions = savedModelSessions();
  return sessions ? sessionPool(sessions).closeIdle() : 0;
}
