// Putting the weights of a Keras .h5 file into a tfjs model, layer by layer by name,
// checking every shape so a mismatched file names the layer and weight that differ.
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, nearestNames } from "../errors";
import { cachedDownload, type ProgressHandler, textProgress } from "./download";
import { checkHdf5, openKerasWeights } from "./h5";

export interface WeightsSourceOptions {
  /** cache folder for downloads (default: convlens's own, see cacheDirs()) */
  cacheDir?: string;
  /** file name in the cache (default: the URL's last segment) */
  fileName?: string;
  /** progress of a download; default a text bar on stderr; false for none */
  onProgress?: ProgressHandler | false;
}

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** A local path for a weights path or URL (downloaded into the cache once). */
export async function localWeightsFile(source: string, options: WeightsSourceOptions = {}): Promise<string> {
  if (!isUrl(source)) return source.startsWith("file://") ? new URL(source).pathname : source;
  return cachedDownload(source, {
    cacheDir: options.cacheDir,
    fileName: options.fileName,
    onProgress: options.onProgress === false ? undefined : options.onProgress ?? textProgress("downloading weights"),
    validate: checkHdf5,
  });
}

const sameShape = (a: readonly (number | null)[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Loads a Keras legacy .h5 weights file (path or URL) into `model`. Layers are matched by
 * name; layers of the file the model does not have are ignored (so the full VGG16 file
 * also fills a no-top model), but every model layer with weights must be in the file.
 */
export async function loadKerasWeights(model: tf.LayersModel, source: string, options: WeightsSourceOptions = {}): Promise<void> {
  const path = await localWeightsFile(source, options);
  const file = await openKerasWeights(path);
  try {
    const inFile = new Set(file.layerNames);
    const withWeights = file.layerNames.filter((name) => file.weightNames(name).length > 0);
    const layers = model.layers.filter((layer) => layer.weights.length > 0);
    // Check every layer and shape first (cheap: no data read), so a mismatched file
    // leaves the model untouched.
    for (const layer of layers) {
      if (!inFile.has(layer.name)) {
        const hint = /^(fc\d|predictions|flatten)$/.test(layer.name) ? " (is this the no-top weights file? build the model with includeTop: false, or load the full file)" : "";
        throw new ConvlensError(`${path} has no weights for layer "${layer.name}"${hint}; layers with weights in the file: ${nearestNames(layer.name, withWeights, 5).join(", ")}${withWeights.length > 5 ? ", …" : ""}`);
      }
      const names = file.weightNames(layer.name);
      if (names.length !== layer.weights.length) {
        throw new ConvlensError(`${path}: layer "${layer.name}" has ${names.length} weights in the file (${names.join(", ") || "none"}) but the model's layer has ${layer.weights.length} (${layer.weights.map((w) => w.originalName).join(", ")}); the file belongs to another architecture`);
      }
      file.weightShapes(layer.name).forEach((shape, i) => {
        const expected = layer.weights[i].shape;
        if (!sameShape(expected, shape)) {
          throw new ConvlensError(`${path}: layer "${layer.name}", weight "${names[i]}" has shape [${shape.join(", ")}] in the file but the model expects [${expected.join(", ")}]; the file belongs to another architecture or input size`);
        }
      });
    }
    for (const layer of layers) {
      const values = file.readLayer(layer.name).map((weight) => tf.tensor(weight.data, weight.shape, "float32"));
      try {
        layer.setWeights(values);
      } finally {
        tf.dispose(values);
      }
    }
  } finally {
    file.close();
  }
}
