// Reading the weights of a Keras legacy HDF5 file (save_weights / the Keras applications
// files) with h5wasm: root attribute `layer_names`, and per layer group `weight_names`,
// whose entries are dataset paths relative to that group, in the layer's weight order.
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { ConvlensError } from "../errors";

type H5 = typeof import("h5wasm");
type H5Group = import("h5wasm").Group;

// h5wasm is an ES module; this CommonJS package loads it with a real import()
// (tsc would turn a plain `import()` into require(), which its exports map refuses).
const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<unknown>;
let loading: Promise<H5> | undefined;

export function h5wasm(): Promise<H5> {
  loading ??= importEsm("h5wasm/node").then(async (mod) => {
    const h5 = mod as H5;
    await h5.ready;
    // Make HDF5 errors throw (with their diagnostic text) instead of printing to stderr.
    h5.Module.activate_throwing_error_handler();
    return h5;
  });
  return loading;
}

export interface H5Weight {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface KerasWeightsFile {
  path: string;
  /** every layer the file lists, in its order (layers without weights included) */
  layerNames: string[];
  /** the weight names a layer lists ([] for layers without weights) */
  weightNames(layer: string): string[];
  /** the shapes of a layer's weights, without reading their data */
  weightShapes(layer: string): number[][];
  /** reads one layer's weights, in the order its `weight_names` gives */
  readLayer(layer: string): H5Weight[];
  close(): void;
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

function checkSignature(path: string): void {
  if (!existsSync(path)) throw new ConvlensError(`weights file ${path} does not exist; check the path (relative paths start at the notebook's folder: ${process.cwd()})`);
  if (statSync(path).isDirectory()) throw new ConvlensError(`weights file ${path} is a folder; give the .h5 file inside it`);
  const head = Buffer.alloc(8);
  const fd = openSync(path, "r");
  try {
    readSync(fd, head, 0, 8, 0);
  } finally {
    closeSync(fd);
  }
  if (!head.equals(HDF5_SIGNATURE)) {
    throw new ConvlensError(`${path} is not an HDF5 file (no HDF5 signature at its start); Keras weights files are .h5 files written by save_weights or the Keras applications`);
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const minor = /minor: (.*)/.exec(text);
  const inner = /#00\d: .* in (\w+\(\)): (.*)/.exec(text.split("\n").slice(-4).join("\n"));
  return [inner?.[2], minor?.[1]].filter(Boolean).join("; ") || text.split("\n")[0];
}

function stringList(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : String(v))).filter((name) => name.length > 0);
}

/** Opens a legacy Keras weights file; a full-model .h5 (model_weights group) works too. */
export async function openKerasWeights(path: string): Promise<KerasWeightsFile> {
  checkSignature(path);
  const h5 = await h5wasm();
  let file: import("h5wasm").File;
  try {
    file = new h5.File(path, "r");
  } catch (error) {
    throw new ConvlensError(`cannot open ${path} as HDF5 (${firstLine(error)}): the file is truncated or corrupt; delete it and download or save it again`);
  }
  try {
    let root: H5Group = file;
    const nested = file.get("model_weights");
    if (!file.attrs["layer_names"] && nested instanceof h5.Group) root = nested;
    const namesAttr = root.attrs["layer_names"];
    if (!namesAttr) {
      throw new ConvlensError(`${path} is HDF5 but not a Keras weights file: it has no "layer_names" attribute (save it with tf-keras model.save_weights("file.h5"))`);
    }
    const layerNames = stringList(namesAttr.value);
    const group = (layer: string): H5Group => {
      const g = root.get(layer);
      if (!(g instanceof h5.Group)) throw new ConvlensError(`${path}: layer "${layer}" is listed in layer_names but has no group in the file (corrupt file)`);
      return g;
    };
    const weightNames = (layer: string): string[] => stringList(group(layer).attrs["weight_names"]?.value);
    const dataset = (layer: string, name: string): import("h5wasm").Dataset => {
      let found: unknown;
      try {
        found = group(layer).get(name);
      } catch (error) {
        throw new ConvlensError(`${path}: layer "${layer}", weight "${name}" cannot be read (${firstLine(error)}); the file is corrupt`);
      }
      if (!(found instanceof h5.Dataset)) {
        throw new ConvlensError(`${path}: layer "${layer}" lists weight "${name}" but the file has no such dataset (corrupt or hand-edited file)`);
      }
      return found;
    };
    const weightShapes = (layer: string): number[][] => weightNames(layer).map((name) => [...(dataset(layer, name).shape ?? [])]);
    const readLayer = (layer: string): H5Weight[] => {
      return weightNames(layer).map((name) => {
        const found = dataset(layer, name);
        let value: unknown;
        try {
          value = found.value;
        } catch (error) {
          throw new ConvlensError(`${path}: layer "${layer}", weight "${name}" cannot be read (${firstLine(error)}); the file is truncated or corrupt`);
        }
        if (!(value instanceof Float32Array || value instanceof Float64Array || value instanceof Uint16Array)) {
          throw new ConvlensError(`${path}: layer "${layer}", weight "${name}" has data type ${found.dtype}, not float32/float64`);
        }
        if (value instanceof Uint16Array) throw new ConvlensError(`${path}: layer "${layer}", weight "${name}" is float16, which convlens does not read; save the weights as float32`);
        const data = value instanceof Float32Array ? value : Float32Array.from(value);
        return { name, shape: [...(found.shape ?? [])], data };
      });
    };
    return { path, layerNames, weightNames, weightShapes, readLayer, close: () => file.close() };
  } catch (error) {
    file.close();
    throw error;
  }
}

/** Throws unless `path` opens as HDF5 (used to refuse a truncated download before caching it). */
export async function checkHdf5(path: string): Promise<void> {
  const weights = await openKerasWeights(path);
  weights.close();
}
