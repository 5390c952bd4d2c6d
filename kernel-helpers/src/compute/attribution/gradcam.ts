// Grad-CAM (Selvaraju et al. 2017, https://arxiv.org/abs/1610.02391), computed as tf-keras-vis's
// Gradcam does: which parts of the image a conv layer's maps say are evidence for one class.
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError } from "../../errors";
import { type LayerSpec, resolveLayer } from "../../layers";
import { layersView } from "../../layers-view";
import { layerNodes } from "../../tfjs-layers-internals";
import type { LayerRef } from "../../types";
import { checkModel } from "../check";
import type { ImageLike } from "../featureMaps";
import type { InputOptions } from "../images";
import {
  checkClassIndex,
  checkOptions,
  classifierHead,
  type ClassifierHead,
  type ClassScores,
  classScore,
  logitsOf,
  modelInput,
  rangeOf,
  readScores,
  runGraph,
  scaleToUnit,
  upstreamOf,
} from "./shared";

export interface GradCamOptions extends InputOptions {
  /** the class to explain; default the top predicted class */
  classIndex?: number;
  /** the layer whose maps are weighed (name or model.layers index); default the last conv layer */
  layer?: LayerSpec;
}

/**
 * A Grad-CAM heatmap over the model's input. It covers the whole image (the model sees the image
 * resized to its input size), so a widget stretches it over the image as shown.
 */
export interface GradCamResult extends ClassScores {
  method: "gradcam";
  layer: LayerRef;
  /** the model's input size, the map's size */
  height: number;
  width: number;
  /** pixel (y, x) at data[y * width + x], in [0, 1] (all 0 when no part of the maps speaks for the class) */
  data: Float32Array;
  min: number;
  max: number;
  /** data × scale = the heatmap before rescaling (ReLU of the weighted maps, upsampled); 0 if all zero */
  scale: number;
  /** the layer's map size: the heatmap's own resolution before upsampling */
  layerHeight: number;
  layerWidth: number;
  /** α_k: the class score's gradient with respect to channel k of the layer, averaged over its pixels */
  channelWeights: Float32Array;
}

const CONVOLUTIONS = new Set(["Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose"]);

interface Target {
  ref: LayerRef;
  output: tf.SymbolicTensor;
}

const isMaps = (t: tf.SymbolicTensor) => t.shape.length === 4;

/** The outputs of `layer` that the model's scores depend on (one, unless the layer is shared). */
function outputsOnPath(layer: tf.layers.Layer, upstream: Set<number>): tf.SymbolicTensor[] {
  return layerNodes(layer).flatMap((node) => node.outputTensors).filter((t) => upstream.has(t.id));
}

/** The default layer: the last convolution the scores depend on, else the last layer with maps. */
function defaultLayer(model: tf.LayersModel, upstream: Set<number>): Target {
  const candidates = model.layers
    .map((layer, index) => ({ layer, index, outputs: outputsOnPath(layer, upstream) }))
    .filter((c) => c.outputs.length === 1 && isMaps(c.outputs[0]) && c.layer.getClassName() !== "InputLayer");
  const pick = candidates.filter((c) => CONVOLUTIONS.has(c.layer.getClassName())).pop() ?? candidates.pop();
  if (!pick) {
    throw new ConvlensError(
      `model "${model.name}" has no layer with feature maps [batch, height, width, channels] for Grad-CAM to weigh`,
    );
  }
  return { ref: { name: pick.layer.name, index: pick.index }, output: pick.outputs[0] };
}

/** The first layer on the way to the scores whose output is no longer maps: the flatten or global pool. */
function mapsEnd(model: tf.LayersModel, upstream: Set<number>): tf.layers.Layer | undefined {
  const ends = (t: tf.SymbolicTensor) => !isMaps(t) && t.inputs.length > 0 && t.inputs.every(isMaps);
  return model.layers.find((layer) => outputsOnPath(layer, upstream).some(ends));
}

/** Where a layer without maps sits, for its error message. */
function whereMapsEnd(model: tf.LayersModel, layer: tf.layers.Layer, index: number, upstream: Set<number>): string {
  const end = mapsEnd(model, upstream);
  if (end === layer) return "is where the feature maps end";
  const endIndex = end ? model.layers.indexOf(end) : -1;
  if (end && endIndex < index) {
    return `comes after layer ${endIndex} "${end.name}" (${end.getClassName()}), where the feature maps end`;
  }
  return "is not a conv or pooling layer";
}

function camLayer(model: tf.LayersModel, head: ClassifierHead, spec: LayerSpec | undefined): Target {
  const upstream = upstreamOf(head.output);
  if (spec === undefined) return defaultLayer(model, upstream);
  const suggestion = () => {
    try {
      return `, e.g. the default "${defaultLayer(model, upstream).ref.name}"`;
    } catch {
      return "";
    }
  };
  const { ref, layer } = resolveLayer(model, spec);
  const what = `layer ${ref.index} "${ref.name}" (${layer.getClassName()})`;
  if (layer.getClassName() === "InputLayer") {
    throw new ConvlensError(
      `gradCam(): ${what} is the model's input, not a conv or pooling layer; ` +
        "for gradients with respect to the input use convlens.saliency()",
    );
  }
  const outputs = outputsOnPath(layer, upstream);
  if (outputs.length !== 1) {
    throw new ConvlensError(
      `gradCam(): ${what} is applied ${outputs.length} times on the way to the class scores; ` +
        `Grad-CAM needs a layer applied once${suggestion()}`,
    );
  }
  const output = outputs[0];
  if (!isMaps(output)) {
    throw new ConvlensError(
      `gradCam(): ${what} ${whereMapsEnd(model, layer, ref.index, upstream)}: ` +
        `its output [${output.shape.map(String).join(", ")}] has no height and width. Grad-CAM weighs feature maps ` +
        `[batch, height, width, channels]: pick a conv or pooling layer${suggestion()}`,
    );
  }
  return { ref, output };
}

/**
 * Grad-CAM of one class for one image (path, URL, Buffer, LoadedImage or preprocessed tensor):
 * the gradient of the class's pre-softmax score with respect to a conv layer's maps, averaged
 * over height and width as one weight per channel; the ReLU of the maps' weighted sum; upsampled
 * bilinearly to the input size (half-pixel centres, as tf.image.resize); divided by its maximum.
 * No tensor outlives the call.
 */
export async function gradCam(
  model: tf.LayersModel,
  image: ImageLike,
  options: GradCamOptions = {},
): Promise<GradCamResult> {
  checkModel(model, "gradCam");
  checkOptions(options, ["classIndex", "layer"], "gradCam");
  // layers by path inside nested models ("vgg16/block5_conv3") live in the flat view (same weights)
  const graph = layersView(model);
  const head = classifierHead(graph, "gradCam");
  checkClassIndex(options.classIndex, head, "gradCam");
  const target = camLayer(graph, head, options.layer);
  const input = await modelInput(model, image, options, [target.output, head.output], "gradCam");
  const [, height, width] = input.shape;
  let scores: ClassScores | undefined;
  let mapsShape: number[] = [];
  let tensors: tf.Tensor[] = [];
  try {
    tensors = tf.tidy(() => {
      const feeds = new Map<number, tf.Tensor>([[graph.inputs[0].id, input]]);
      const [maps] = runGraph(feeds, [target.output]);
      mapsShape = maps.shape;
      // the rest of the model from the layer's maps: its scores' gradient with respect to them
      const grad = tf.grad((a: tf.Tensor) => {
        const [from, output] = runGraph(new Map([...feeds, [target.output.id, a]]), [head.from, head.output]);
        const logits = logitsOf(head, from);
        scores = readScores(head, logits, output, options.classIndex);
        return classScore(logits, scores.classIndex);
      })(maps);
      const weights = grad.mean([0, 1, 2]);
      const cam = tf.relu(maps.mul(weights).sum(-1, true)) as tf.Tensor4D;
      return [weights, tf.image.resizeBilinear(cam, [height, width], false, true)];
    });
    const [weights, upsampled] = tensors;
    const data = upsampled.dataSync() as Float32Array;
    const scale = scaleToUnit(data);
    return {
      method: "gradcam",
      layer: target.ref,
      ...(scores as ClassScores),
      height,
      width,
      data,
      ...rangeOf(data),
      scale,
      layerHeight: mapsShape[1],
      layerWidth: mapsShape[2],
      channelWeights: weights.dataSync() as Float32Array,
    };
  } finally {
    input.dispose();
    tf.dispose(tensors);
  }
}
