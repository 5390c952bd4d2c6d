// The part of tfjs-node's NodeJSKernelBackend convlens calls directly: ops by name (with attributes
// tfjs has no wrapper for) and TF sessions (SavedModel graphs run with named feeds and fetches).
import * as tf from "@tensorflow/tfjs-node";

export interface OpAttr {
  name: string;
  type: number;
  value: string | number;
}

/** What runSavedModel reads of a feed's description: its node name and, for casts, its TF dtype. */
export interface FeedInfo {
  name: string;
  tfDtype?: string;
}

export interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_STRING: number; TF_FLOAT: number; TF_INT32: number };
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[]): tf.Tensor;
  /** loads the meta graph tagged `tags` of the SavedModel in folder `path` into a new session; its id */
  loadSavedModelMetaGraph(path: string, tags: string): number;
  runSavedModel(id: number, inputs: tf.Tensor[], feeds: FeedInfo[], fetches: string[]): tf.Tensor[];
  deleteSavedModel(id: number): void;
}

/** tfjs-node's backend when it is the active one, else null (then callers use plain tfjs ops). */
export function nativeBackend(): NativeBackend | null {
  if (tf.getBackend() !== "tensorflow") return null;
  const backend = tf.backend() as unknown as Partial<NativeBackend>;
  const complete = typeof backend.executeSingleOutput === "function" && typeof backend.runSavedModel === "function" && typeof backend.loadSavedModelMetaGraph === "function" && backend.binding;
  return complete ? (backend as NativeBackend) : null;
}
