// A Keras .keras archive (Keras 3's default model.save format; tf-keras 2.13+ writes it too): a zip
// of config.json, metadata.json and model.weights.h5. The zip is streamed with fflate, the weights
// file written to a temporary folder (h5wasm reads files) and removed once its variables are set.
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import { Unzip, UnzipInflate } from "fflate";
import { ConvlensError } from "../errors";
import { cachedDownload, textProgress } from "./download";
import { h5wasm } from "./h5";
import { translateKerasConfig, type WeightsPlace } from "./keras-config";
import { isUrl, type WeightsSourceOptions } from "./weights";

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const ZIP_ENTRY = Buffer.from("PK\x03\x04", "latin1");
/** the end-of-central-directory record: the whole of an empty zip, else within its last 22 bytes + 64 KiB of comment */
const ZIP_END = Buffer.from("PK\x05\x06", "latin1");
const WEIGHTS = "model.weights.h5";
const SAVE_HINT = 'save it in Keras with model.save("model.keras")';

function readAt(path: string, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const fd = openSync(path, "r");
  try {
    return buffer.subarray(0, readSync(fd, buffer, 0, length, position));
  } finally {
    closeSync(fd);
  }
}

/**
 * What `path` holds: a whole zip archive, a folder of the same files (Keras's save with
 * zipped=False), or an HDF5 file (a Keras 2 full-model .h5 named .keras). Throws for anything else,
 * and for a zip cut short (its central directory is at its end).
 */
export function checkKerasArchive(path: string): "zip" | "folder" | "hdf5" {
  if (!existsSync(path))
    throw new ConvlensError(
      `model file ${path} does not exist; check the path (relative paths start at the notebook's folder: ${process.cwd()})`,
    );
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, "config.json"))) return "folder";
    throw new ConvlensError(`${path} is a folder without config.json, not a Keras model; give the .keras file`);
  }
  const head = readAt(path, 0, 8);
  if (head.equals(HDF5_SIGNATURE)) return "hdf5";
  if (head.subarray(0, 4).equals(ZIP_END))
    throw new ConvlensError(`${path} is an empty zip archive, not a Keras model; ${SAVE_HINT}`);
  if (!head.subarray(0, 4).equals(ZIP_ENTRY)) {
    throw new ConvlensError(
      `${path} is not a .keras archive (it does not start as a zip file does); ${SAVE_HINT}, or give a model.json or .h5 file`,
    );
  }
  const size = statSync(path).size;
  const tailLength = Math.min(size, 22 + 0xffff);
  if (readAt(path, size - tailLength, tailLength).lastIndexOf(ZIP_END) < 0) {
    throw new ConvlensError(
      `${path} is a zip archive cut short (no central directory at its end): the file is truncated; save or download it again`,
    );
  }
  return "zip";
}

/** A local path for a .keras path or URL (downloaded into the cache once). */
export async function localKerasArchive(source: string, options: WeightsSourceOptions = {}): Promise<string> {
  if (!isUrl(source)) return source.startsWith("file://") ? new URL(source).pathname : source;
  return cachedDownload(source, {
    cacheDir: options.cacheDir,
    fileName: options.fileName,
    onProgress: options.onProgress === false ? undefined : (options.onProgress ?? textProgress("downloading model")),
    validate: async (path) => void checkKerasArchive(path),
  });
}

interface Extracted {
  config: string;
  /** the weights file, written into the temporary folder */
  weights: string;
}

const listFiles = (names: string[]) =>
  names.length ? names.slice(0, 6).join(", ") + (names.length > 6 ? ", …" : "") : "none";

function noWeights(path: string, names: string[]): ConvlensError {
  if (names.includes("model.weights.npz")) {
    return new ConvlensError(
      `${path} keeps its weights in model.weights.npz; convlens reads ${WEIGHTS}, which Keras's model.save("model.keras") writes`,
    );
  }
  return new ConvlensError(`${path} has no ${WEIGHTS} (its files: ${listFiles(names)}); ${SAVE_HINT}`);
}

/** Streams the archive, keeping config.json in memory and writing model.weights.h5 to `dir`. */
async function extract(path: string, dir: string): Promise<Extracted> {
  const names: string[] = [];
  const complete = new Set<string>();
  const config: Uint8Array[] = [];
  const weights = join(dir, WEIGHTS);
  let fd: number | undefined;
  let failure: unknown;
  const unzip = new Unzip((file) => {
    names.push(file.name);
    if (file.name !== "config.json" && file.name !== WEIGHTS) return;
    if (file.name === WEIGHTS) fd = openSync(weights, "w");
    file.ondata = (error, data, final) => {
      if (error) failure ??= error;
      else if (file.name === WEIGHTS) writeSync(fd as number, data);
      else config.push(data);
      if (final && !error) complete.add(file.name);
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) unzip.push(chunk as Buffer);
    unzip.push(new Uint8Array(0), true);
  } catch (error) {
    failure ??= error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (failure) {
    const why = failure instanceof Error ? failure.message : String(failure);
    throw new ConvlensError(
      `${path}: its zip data cannot be read (${why}); the file is corrupt: save or download it again`,
    );
  }
  if (!names.includes("config.json")) {
    throw new ConvlensError(
      `${path} is a zip archive but not a Keras model: it has no config.json (its files: ${listFiles(names)}); ${SAVE_HINT}`,
    );
  }
  if (!names.includes(WEIGHTS)) throw noWeights(path, names);
  for (const name of ["config.json", WEIGHTS]) {
    if (!complete.has(name))
      throw new ConvlensError(
        `${path}: ${name} in the archive is cut short; the file is truncated: save or download it again`,
      );
  }
  return { config: Buffer.concat(config).toString("utf8"), weights };
}

/** `model`'s layer at `path` (names from the top model down), or undefined. */
function layerAt(model: tf.LayersModel, path: string[]): tf.layers.Layer | undefined {
  let container: tf.LayersModel | undefined = model;
  let layer: tf.layers.Layer | undefined;
  for (const name of path) {
    layer = container?.layers.find((l) => l.name === name);
    container = layer && Array.isArray((layer as tf.LayersModel).layers) ? (layer as tf.LayersModel) : undefined;
  }
  return layer;
}

const sameShape = (a: readonly (number | null)[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** Sets every layer's variables from model.weights.h5, after checking all their counts and shapes. */
async function setArchiveWeights(
  model: tf.LayersModel,
  weightsPath: string,
  places: WeightsPlace[],
  source: string,
): Promise<void> {
  const h5 = await h5wasm();
  let file: import("h5wasm").File;
  try {
    file = new h5.File(weightsPath, "r");
  } catch (error) {
    throw new ConvlensError(
      `${source}: its ${WEIGHTS} cannot be opened as HDF5 (${(error as Error).message.split("\n")[0]}); the archive is corrupt`,
    );
  }
  try {
    const plan = places.flatMap((place) => {
      const where = `layer "${place.layerPath.join("/")}"`;
      const layer = layerAt(model, place.layerPath);
      let found: unknown = null;
      try {
        found = file.get(place.group);
      } catch {
        // missing: handled below
      }
      const group = found instanceof h5.Group ? found : null;
      const keys = group
        ? group
            .keys()
            .filter((k) => /^\d+$/.test(k))
            .sort((a, b) => Number(a) - Number(b))
        : [];
      if (!layer) {
        // a Sequential's InputLayer: Keras saves it (without variables), tfjs keeps none
        if (keys.length === 0) return [];
        throw new ConvlensError(`${source}: tfjs rebuilt no ${where}, which has variables in ${WEIGHTS}`);
      }
      if (!group) {
        if (layer.weights.length === 0) return [];
        throw new ConvlensError(
          `${source}: ${WEIGHTS} has no variables for ${where} (no group "${place.group}"); ` +
            "the archive's weights do not match its config.json",
        );
      }
      const saved = group.attrs["name"]?.value;
      if (typeof saved === "string" && saved !== layer.name) {
        throw new ConvlensError(
          `${source}: ${WEIGHTS} keeps layer "${saved}"'s variables where config.json has ${where} ("${place.group}"): ` +
            "the weights belong to another model, or Keras wrote them in a layout convlens does not know",
        );
      }
      if (keys.length !== layer.weights.length) {
        throw new ConvlensError(
          `${source}: ${where} has ${keys.length} variables in ${WEIGHTS} but tfjs's ${layer.getClassName()} layer ` +
            `has ${layer.weights.length} (${layer.weights.map((w) => w.originalName).join(", ") || "none"}); ` +
            "convlens cannot map this layer's weights",
        );
      }
      const datasets = keys.map((key) => {
        const dataset = group.get(key);
        if (!(dataset instanceof h5.Dataset))
          throw new ConvlensError(
            `${source}: ${where}'s variable ${key} in ${WEIGHTS} is not a dataset (corrupt archive)`,
          );
        const shape = [...(dataset.shape ?? [])];
        const expected = layer.weights[Number(key)].shape;
        if (!sameShape(expected, shape)) {
          throw new ConvlensError(
            `${source}: ${where}, variable ${key} has shape [${shape.join(", ")}] in ${WEIGHTS} ` +
              `but the layer's ${layer.weights[Number(key)].originalName} is [${expected.join(", ")}]`,
          );
        }
        return dataset;
      });
      return [{ layer, datasets, where }];
    });
    for (const { layer, datasets, where } of plan) {
      const values = datasets.map((dataset, i) => {
        const value = dataset.value;
        if (!(value instanceof Float32Array || value instanceof Float64Array)) {
          throw new ConvlensError(
            `${source}: ${where}, variable ${i} has data type ${dataset.dtype} in ${WEIGHTS}, not float32/float64; ` +
              "save the model in float32",
          );
        }
        return value;
      });
      const tensors = values.map((value, i) => tf.tensor(value, layer.weights[i].shape as number[], "float32"));
      try {
        layer.setWeights(tensors);
      } finally {
        tf.dispose(tensors);
      }
    }
  } finally {
    file.close();
  }
}

/** The files of a folder saved with zipped=False. */
function folderFiles(path: string): Extracted {
  const names = readdirSync(path);
  if (!names.includes(WEIGHTS)) throw noWeights(path, names);
  return { config: readFileSync(join(path, "config.json"), "utf8"), weights: join(path, WEIGHTS) };
}

/** The model in a local .keras zip archive, or a folder of its files (checked with checkKerasArchive first). */
export async function readKerasArchive(path: string): Promise<tf.LayersModel> {
  const dir = mkdtempSync(join(tmpdir(), "convlens-keras-"));
  try {
    const files = statSync(path).isDirectory() ? folderFiles(path) : await extract(path, dir);
    let config: unknown;
    try {
      config = JSON.parse(files.config);
    } catch (error) {
      throw new ConvlensError(
        `${path}: its config.json is not valid JSON (${(error as Error).message}); the archive is corrupt`,
      );
    }
    const { topology, weights } = translateKerasConfig(config, path);
    let model: tf.LayersModel;
    try {
      model = (await tf.models.modelFromJSON({ modelTopology: topology })) as tf.LayersModel;
    } catch (error) {
      const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
      throw new ConvlensError(`${path}: tfjs cannot rebuild this Keras architecture (${why})`);
    }
    try {
      await setArchiveWeights(model, files.weights, weights, path);
    } catch (error) {
      model.dispose(); // its freshly built weights would otherwise leak
      throw error;
    }
    return model;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
