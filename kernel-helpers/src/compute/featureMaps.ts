// Activations of any set of layers for one image, in one forward pass: through the model's
// TensorFlow graph (graph/) when it covers those layers, else through the LayersModel itself.
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../errors";
import { type LayerSpec, resolveLayer } from "../layers";
import { layersView } from "../layers-view";
import type { ChannelStack, LayerRef } from "../types";
import { checkModel } from "./check";
import { checkInputFits } from "./geometry";
import { receptiveFieldAxes } from "./receptive-field";
import { imageToInput, type ImageSource, type InputOptions, isLoadedImage, loadImage, type LoadedImage } from "./images";
import { type DisplayPlanes, GraphRunError } from "./graph/feature-graph";
import { giveUpGraph, graphOf } from "./graph/per-model";
import { layersModelMaps } from "./layers-model-maps";

export type ImageLike = LoadedImage | tf.Tensor | ImageSource;

export type FeatureMapsEngine = { engine: "graph" } | { engine: "layers"; reason: string };

/**
 * How featureMaps() computes `layers` of `model`: in one TensorFlow graph (conv, bias and
 * activation fused; the default for conv/pool stacks on tfjs-node), or through the LayersModel, and
 * why. Like featureMaps' first call, it builds the model's graph if there is none yet.
 */
export function featureMapsEngine(model: tf.LayersModel, layers: LayerSpec | LayerSpec[]): FeatureMapsEngine {
  checkModel(model, "featureMapsEngine");
  const refs = checkLayers(model, layers);
  const graph = graphOf(layersView(model));
  if (typeof graph === "string") return { engine: "layers", reason: graph };
  const reasons = refs.map((ref) => graph.whyNot(ref.index)).filter((why): why is string => why !== undefined);
  return reasons.length === 0 ? { engine: "graph" } : { engine: "layers", reason: reasons[0] };
}

function checkLayers(model: tf.LayersModel, layers: unknown): LayerRef[] {
  const list = Array.isArray(layers) ? layers : [layers];
  if (list.length === 0) throw new ConvlensError("featureMaps() needs at least one layer, e.g. [2, 5, 9, 13, 17] or [\"block1_conv2\"]");
  return list.map((spec) => {
    const { ref, layer } = resolveLayer(model, spec as LayerSpec);
    const out = layer.output;
    if (Array.isArray(out) || (out as tf.SymbolicTensor).shape.length !== 4) {
      const shape = Array.isArray(out) ? "several outputs" : `output shape [${(out as tf.SymbolicTensor).shape.map(String).join(", ")}]`;
      throw new ConvlensError(`layer ${ref.index} "${ref.name}" (${layer.getClassName()}) has ${shape}, not feature maps [batch, height, width, channels]; pick a convolution or pooling layer`);
    }
    return ref;
  });
}

/**
 * Feature maps of `layers` (names or model.layers indices, e.g. [2, 5, 9, 13, 17]) for one image:
 * a path, URL, Buffer, a LoadedImage, or an already preprocessed tensor. No tensor outlives the call.
 */
export async function featureMaps(model: tf.LayersModel, image: ImageLike, layers: LayerSpec | LayerSpec[], options: InputOptions = {}): Promise<ChannelStack[]> {
  checkModel(model, "featureMaps");
  const refs = checkLayers(model, layers);
  if (image === undefined || image === null) throw new ConvlensError(`featureMaps() needs an image (path, URL, Buffer, loadImage() result or tensor), not ${describeValue(image)}`);
  const loaded = image instanceof tf.Tensor || isLoadedImage(image) ? image : await loadImage(image);
  return featureMapsSync(model, loaded, refs, options);
}

/** featureMaps() for an image already loaded (or a tensor): synchronous. */
export function featureMapsSync(model: tf.LayersModel, image: LoadedImage | tf.Tensor, layers: LayerSpec | LayerSpec[], options: InputOptions = {}): ChannelStack[] {
  return mapsOf(model, image, layers, options, false).map(({ stack }) => stack);
}

/**
 * One layer's feature maps and, when the model's graph computed them, its planes already
 * quantised for display (DisplayPlanes; else null): what the explorer shows on a layer switch.
 */
export function featureMapsForDisplay(model: tf.LayersModel, image: LoadedImage | tf.Tensor, layer: LayerSpec): { stack: ChannelStack; display: DisplayPlanes | null } {
  return mapsOf(model, image, layer, {}, true)[0];
}

function mapsOf(model: tf.LayersModel, image: LoadedImage | tf.Tensor, layers: LayerSpec | LayerSpec[], options: InputOptions, display: boolean): { stack: ChannelStack; display: DisplayPlanes | null }[] {
  checkModel(model, "featureMaps");
  const refs = checkLayers(model, layers);
  // each layer is computed once; one asked for twice gets a copy of its planes
  const distinct = [...new Map(refs.map((ref) => [ref.index, ref])).values()];
  const input = imageToInput(model, image, options);
  const [, inputHeight, inputWidth] = input.shape;
  // refs index the view: model itself, or its flat form when it nests models (layers-view.ts)
  const view = layersView(model);
  let computed: { stack: ChannelStack; display: DisplayPlanes | null }[];
  try {
    checkInputFits(view, inputHeight, inputWidth, distinct.map((ref) => view.layers[ref.index].output as tf.SymbolicTensor));
    computed = computeMaps(view, input, distinct, display);
  } finally {
    input.dispose();
  }
  const maps = computed.map(({ stack }) => stack);
  // a layer whose size the configs could not tell beforehand (checkInputFits skips those)
  const empty = maps.find((m) => m.height * m.width === 0);
  if (empty) {
    throw new ConvlensError(`layer ${empty.layer.index} "${empty.layer.name}" has no pixels left (${empty.height}×${empty.width}) for a ${inputHeight}×${inputWidth} image: the image is too small for this model; use a larger one`);
  }
  for (const stack of maps) stack.receptiveField = fieldAxes(model, stack.layer, inputHeight, inputWidth);
  const handedOut = new Set<ChannelStack>();
  return refs.map((ref) => {
    const found = computed.find((m) => m.stack.layer.index === ref.index) as { stack: ChannelStack; display: DisplayPlanes | null };
    const copy = handedOut.has(found.stack);
    handedOut.add(found.stack);
    return copy ? { stack: { ...found.stack, data: found.stack.data.slice() }, display: null } : found;
  });
}

/** The receptive field of every unit of a layer, for the widget's hover box; none for a branching model. */
function fieldAxes(model: tf.LayersModel, layer: LayerRef, height: number, width: number): ChannelStack["receptiveField"] {
  try {
    return receptiveFieldAxes(model, layer.index, { height, width });
  } catch (error) {
    if (error instanceof ConvlensError) return undefined;
    throw error;
  }
}

/** One forward pass for distinct `refs`: the model's TF graph when it covers them (with display planes if asked), else the LayersModel. */
function computeMaps(model: tf.LayersModel, input: tf.Tensor4D, refs: LayerRef[], display: boolean): { stack: ChannelStack; display: DisplayPlanes | null }[] {
  const plain = (stacks: ChannelStack[]) => stacks.map((stack) => ({ stack, display: null }));
  const graph = graphOf(model);
  if (typeof graph === "string" || refs.some((ref) => graph.whyNot(ref.index) !== undefined)) return plain(layersModelMaps(model, input, refs));
  try {
    return display ? graph.runForDisplay(input, refs) : plain(graph.run(input, refs));
  } catch (error) {
    if (!(error instanceof GraphRunError)) throw error;
    // a fault of the input or the model, not of the graph, fails here too (with tfjs's message)
    const maps = layersModelMaps(model, input, refs);
    giveUpGraph(model, `TensorFlow could not run its graph: ${error.message}`);
    return plain(maps);
  }
}
