// A model that nests another (a Keras transfer-learning model: VGG16 or a small CNN inside, one
// layer of the outer model) seen as one flat functional model, whose layers include the inner
// ones by path: "vgg16/block5_conv3". Every helper that takes a layer works on this view, so the
// inner layers' feature maps, filters and listings come out as for any other layer.
//
// The view applies each inner layer (and each outer layer after a nested model) to the view's
// own symbolic tensors, starting from the model's own inputs. It does so through a stand-in per
// layer: an object whose prototype is the layer itself, so it reads the very same weights, config
// and build state, while the nodes that applying it creates are its own. Applying the layer
// itself would give it a second inbound node, and tfjs refuses `layer.output` for such a layer
// (in the user's model too, ever after); feature-graph.ts would also refuse it. The nodes and the
// stand-in are tfjs-layers internals, reached through tfjs-layers-internals.ts;
// test/helpers/nested.test.ts checks the view.
import * as tf from "@tensorflow/tfjs-node";
import { type LayerNode, producingNode, standInLayer } from "./tfjs-layers-internals";

interface View {
  /** model.layers when built: a Sequential's add() / pop() makes the view stale */
  layers: tf.layers.Layer[];
  /** the flat model, or why there is none (then convlens sees only the top-level layers) */
  model: tf.LayersModel | string;
  /** a nested model's path ("vgg16") → the name of the view layer that gives its output */
  outputs: Map<string, string>;
}

const views = new WeakMap<tf.LayersModel, View>();

/** Duck-typed like checkModel: a second copy of tfjs-layers would fail an instanceof check. */
function isModel(layer: unknown): layer is tf.LayersModel {
  const m = layer as tf.LayersModel;
  return (
    typeof m === "object" &&
    m !== null &&
    Array.isArray(m.layers) &&
    Array.isArray(m.inputs) &&
    Array.isArray(m.outputs)
  );
}

/** Whether some layer of `model` is itself a model (a Functional or Sequential inside). */
export function hasNestedModels(model: tf.LayersModel): boolean {
  return model.layers.some(isModel);
}

class Flattener {
  readonly outputs = new Map<string, string>();
  private readonly stands = new Map<tf.layers.Layer, tf.layers.Layer>();

  /**
   * The view's tensors for `container`'s outputs when its inputs are `inputs`. At the top
   * (prefix ""), a layer whose inputs are unchanged keeps its own outputs: layers before any
   * nested model stay themselves in the view.
   */
  expand(container: tf.LayersModel, inputs: tf.SymbolicTensor[], prefix: string): tf.SymbolicTensor[] {
    const mapped = new Map<number, tf.SymbolicTensor>();
    container.inputs.forEach((tensor, i) => mapped.set(tensor.id, inputs[i]));
    // iterative depth-first walk from the outputs (a deep model would overflow a recursive one)
    const visit = (target: tf.SymbolicTensor): tf.SymbolicTensor => {
      const stack = [target];
      while (stack.length > 0) {
        const tensor = stack[stack.length - 1];
        if (mapped.has(tensor.id)) {
          stack.pop();
          continue;
        }
        const node = producingNode(tensor) as LayerNode;
        const missing = node.inputTensors.filter((t) => !mapped.has(t.id));
        if (missing.length > 0) {
          stack.push(...missing);
          continue;
        }
        this.apply(tensor.sourceLayer, node, mapped, prefix);
        stack.pop();
      }
      return mapped.get(target.id) as tf.SymbolicTensor;
    };
    return container.outputs.map(visit);
  }

  private apply(layer: tf.layers.Layer, node: LayerNode, mapped: Map<number, tf.SymbolicTensor>, prefix: string): void {
    const inputs = node.inputTensors.map((t) => mapped.get(t.id) as tf.SymbolicTensor);
    let outputs: tf.SymbolicTensor[];
    if (isModel(layer)) {
      const path = `${prefix}${layer.name}`;
      outputs = this.expand(layer, inputs, `${path}/`);
      if (!this.outputs.has(path) && outputs.length > 0) this.outputs.set(path, outputs[0].sourceLayer.name);
    } else if (prefix === "" && inputs.every((t, i) => t === node.inputTensors[i])) {
      outputs = node.outputTensors;
    } else {
      let stand = this.stands.get(layer);
      if (!stand) this.stands.set(layer, (stand = standInLayer(layer, `${prefix}${layer.name}`)));
      const result = stand.apply(inputs.length === 1 ? inputs[0] : inputs, node.callArgs) as
        tf.SymbolicTensor | tf.SymbolicTensor[];
      outputs = Array.isArray(result) ? result : [result];
    }
    node.outputTensors.forEach((tensor, i) => mapped.set(tensor.id, outputs[i]));
  }
}

function build(model: tf.LayersModel): View {
  const layers = [...model.layers];
  const flattener = new Flattener();
  try {
    const outputs = flattener.expand(model, model.inputs, "");
    const flat = tf.model({ inputs: model.inputs, outputs, name: `${model.name}_flat` });
    return { layers, model: flat, outputs: flattener.outputs };
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return { layers, model: `its nested models could not be flattened into one (${why})`, outputs: new Map() };
  }
}

function viewOf(model: tf.LayersModel): View | undefined {
  const known = views.get(model);
  if (known && typeof known.model === "object" && known.model === model) return known; // the view itself
  if (!hasNestedModels(model)) return undefined;
  let view = known;
  if (!view || view.layers.length !== model.layers.length || view.layers.some((l, i) => l !== model.layers[i])) {
    view = build(model);
    views.set(model, view);
    // resolving on the view itself finds the same paths
    if (typeof view.model === "object") views.set(view.model, view);
  }
  return view;
}

/**
 * The model convlens computes on: `model` itself, or, when a layer of it is a model (VGG16 in a
 * transfer-learning model), one flat functional model with the inner layers as its own, named by
 * path ("vgg16/block5_conv3"; layers outside nested models keep their names). It shares
 * `model`'s inputs, weights and layer configs and gives the same outputs. Built once per model
 * and rebuilt if model.layers changes. Never dispose it: its weights are the model's.
 */
export function layersView(model: tf.LayersModel): tf.LayersModel {
  const view = viewOf(model)?.model;
  return typeof view === "object" ? view : model;
}

/** Why `model`'s nested models' layers cannot be reached (undefined when they can, or there are none). */
export function whyNoView(model: tf.LayersModel): string | undefined {
  const view = viewOf(model)?.model;
  return typeof view === "string" ? view : undefined;
}

/**
 * The index in layersView(model) of the layer at `path`, followed through model.layers and the
 * nested models' layers ("vgg16/block5_conv3"); -1 if there is none. It finds layers a tfjs
 * Sequential took over from a model given as its first layer (they keep their own names).
 */
export function viewIndexOf(model: tf.LayersModel, path: string): number {
  let container: tf.LayersModel | undefined = model;
  let layer: tf.layers.Layer | undefined;
  for (const name of path.split("/")) {
    layer = container?.layers.find((l) => l.name === name);
    container = isModel(layer) ? layer : undefined;
  }
  if (!layer) return -1;
  return layersView(model).layers.findIndex((l) => l === layer || Object.getPrototypeOf(l) === layer);
}

/** The name of the view layer that gives nested model `path`'s output ("vgg16" → "vgg16/block5_pool"). */
export function nestedModelOutput(model: tf.LayersModel, path: string): string | undefined {
  return viewOf(model)?.outputs.get(path);
}
