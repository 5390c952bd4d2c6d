// Loading any tfjs LayersModel (model.json from a folder, file or URL), a Keras .keras archive or a
// Keras full-model .h5.
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../errors";
import { checkHdf5, h5wasm } from "./h5";
import { checkKerasArchive, localKerasArchive, readKerasArchive } from "./keras-archive";
import { type Preprocessing, PREPROCESSING_MODES, setLabels, setPreprocessing } from "./info";
import { readLabels } from "./labels";
import { isUrl, loadKerasWeights, localWeightsFile, type WeightsSourceOptions } from "./weights";

export interface LoadModelOptions extends WeightsSourceOptions {
  /** how images are preprocessed for this model (default "none") */
  preprocessing?: Preprocessing;
}

/**
 * A model from a tfjs model.json (folder, file or http(s) URL), a Keras .keras archive (Keras 3's
 * model.save default: config.json and model.weights.h5 in a zip), or a Keras full-model .h5
 * (architecture from its model_config, weights from model_weights).
 */
export async function loadModel(source: string, options: LoadModelOptions = {}): Promise<tf.LayersModel> {
  if (typeof source !== "string" || source.length === 0) {
    throw new ConvlensError(`loadModel() takes a path or URL of a model.json, .keras or .h5 file, not ${describeValue(source)}`);
  }
  const preprocessing = options.preprocessing ?? "none";
  if (!PREPROCESSING_MODES.includes(preprocessing)) throw new ConvlensError(`preprocessing must be one of ${PREPROCESSING_MODES.join(", ")}, not ${describeValue(preprocessing)}`);
  const model = /\.keras$/i.test(source)
    ? await loadKerasArchive(source, options)
    : /\.(h5|hdf5)$/i.test(source)
      ? await loadKerasH5Model(source, options)
      : await loadTfjs(source);
  setPreprocessing(model, preprocessing);
  try {
    pickUpLabels(model, source);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/** A labels.json beside a local model (in its folder) names its classes for predict(). */
function pickUpLabels(model: tf.LayersModel, source: string): void {
  if (isUrl(source)) return;
  const path = resolve(source.startsWith("file://") ? new URL(source).pathname : source);
  const file = join(statSync(path).isDirectory() ? path : dirname(path), "labels.json");
  if (!existsSync(file)) return;
  const labels = readLabels(file);
  const classes = model.outputs[0].shape.at(-1);
  if (model.outputs.length !== 1 || labels.length !== classes) {
    throw new ConvlensError(`${file} names ${labels.length} classes but model "${model.name}" has ${classes ?? "no fixed number of"} outputs; fix the labels file or remove it`);
  }
  setLabels(model, labels);
}

async function loadTfjs(source: string): Promise<tf.LayersModel> {
  let url = source;
  if (!isUrl(source)) {
    let path = resolve(source.startsWith("file://") ? new URL(source).pathname : source);
    if (!existsSync(path)) throw new ConvlensError(`model path ${path} does not exist`);
    if (statSync(path).isDirectory()) path = join(path, "model.json");
    if (!existsSync(path)) throw new ConvlensError(`folder ${source} has no model.json (a tfjs LayersModel folder holds model.json and its weight shards)`);
    url = `file://${path}`;
  }
  try {
    return await tf.loadLayersModel(url);
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new ConvlensError(`cannot load a tfjs LayersModel from ${source}: ${why}`);
  }
}

async function loadKerasArchive(source: string, options: WeightsSourceOptions): Promise<tf.LayersModel> {
  const path = await localKerasArchive(source, options);
  // an HDF5 file named .keras is a Keras 2 full-model file
  return checkKerasArchive(path) === "hdf5" ? loadKerasH5Model(path, options) : readKerasArchive(path);
}

async function loadKerasH5Model(source: string, options: WeightsSourceOptions): Promise<tf.LayersModel> {
  const path = await localWeightsFile(source, options);
  await checkHdf5(path);
  const h5 = await h5wasm();
  const file = new h5.File(path, "r");
  let config: string;
  try {
    const attr = file.attrs["model_config"];
    if (!attr) throw new ConvlensError(`${path} holds weights only (no model_config); build the architecture (e.g. convlens.vgg16({ weights: "${path}" }))`);
    config = String(attr.value);
  } finally {
    file.close();
  }
  let model: tf.LayersModel;
  try {
    model = (await tf.models.modelFromJSON({ modelTopology: JSON.parse(config) })) as tf.LayersModel;
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new ConvlensError(`${path}: tfjs cannot rebuild this Keras architecture (${why})`);
  }
  try {
    await loadKerasWeights(model, path, options);
  } catch (error) {
    model.dispose(); // its freshly initialised weights would otherwise leak
    throw error;
  }
  return model;
}
