// Images: decoded with tfjs-node (JPEG, PNG, BMP, GIF's first frame), kept as uint8 RGB for
// display, and turned into a model's input (resized, preprocessed) on demand.
import { readFile, stat } from "node:fs/promises";
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../errors";
import { PREPROCESSING_MODES, type Preprocessing, preprocessingFor } from "../models/info";
import { isUrl } from "../models/weights";
import { checkModel } from "./check";

/** An image as loaded, before any resizing or preprocessing. */
export interface LoadedImage {
  kind: "convlens.image";
  /** the path or URL it came from, or "buffer" */
  source: string;
  width: number;
  height: number;
  /** RGB, row-major: pixel (y, x) channel c at rgb[(y * width + x) * 3 + c] */
  rgb: Uint8Array;
}

export type ImageSource = string | Buffer | Uint8Array;

const SIGNATURES: { format: string; bytes: number[] }[] = [
  { format: "JPEG", bytes: [0xff, 0xd8, 0xff] },
  { format: "PNG", bytes: [0x89, 0x50, 0x4e, 0x47] },
  { format: "GIF", bytes: [0x47, 0x49, 0x46, 0x38] },
  { format: "BMP", bytes: [0x42, 0x4d] },
];

function formatOf(bytes: Uint8Array): string | undefined {
  return SIGNATURES.find((s) => s.bytes.every((b, i) => bytes[i] === b))?.format;
}

async function readSource(source: ImageSource): Promise<{ bytes: Uint8Array; name: string }> {
  if (source instanceof Uint8Array) return { bytes: source, name: "buffer" };
  if (typeof source !== "string") {
    throw new ConvlensError(`an image is a file path, an http(s) URL or a Buffer of JPEG/PNG bytes, not ${describeValue(source)}`);
  }
  if (isUrl(source)) {
    let response: Response;
    try {
      response = await fetch(source);
    } catch (error) {
      throw new ConvlensError(`cannot download image ${source}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!response.ok) throw new ConvlensError(`cannot download image ${source}: the server answered ${response.status} ${response.statusText}`);
    return { bytes: new Uint8Array(await response.arrayBuffer()), name: source };
  }
  const path = source.startsWith("file://") ? new URL(source).pathname : source;
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new ConvlensError(`image file ${path} does not exist (relative paths start at ${process.cwd()})`);
  if (info.isDirectory()) throw new ConvlensError(`image path ${path} is a folder; give an image file inside it`);
  return { bytes: await readFile(path), name: source };
}

/** Loads a JPEG/PNG (also BMP, GIF) from a path, URL or Buffer; grayscale and RGBA become RGB. */
export async function loadImage(source: ImageSource): Promise<LoadedImage> {
  const { bytes, name } = await readSource(source);
  if (bytes.length === 0) throw new ConvlensError(`image ${name} is empty (0 bytes)`);
  const format = formatOf(bytes);
  if (!format) throw new ConvlensError(`image ${name} is not a JPEG, PNG, GIF or BMP file (its first bytes are not an image signature)`);
  let decoded: tf.Tensor3D | tf.Tensor4D;
  try {
    decoded = tf.node.decodeImage(bytes, 3, "int32", false);
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new ConvlensError(`image ${name} looks like ${format} but cannot be decoded (${why}); the file is truncated or corrupt`);
  }
  try {
    const [height, width] = decoded.shape.slice(-3, -1);
    const rgb = new Uint8Array(decoded.dataSync()); // a native int32 → uint8 conversion (Uint8Array.from would iterate)
    return { kind: "convlens.image", source: name, width, height, rgb };
  } finally {
    decoded.dispose();
  }
}

export interface InputOptions {
  /** default: the model's own (caffe for VGG), see Preprocessing */
  preprocess?: Preprocessing;
  /** how the image is resized to the model's input size; default "nearest", like Keras load_img */
  resize?: "nearest" | "bilinear";
}

export function isLoadedImage(value: unknown): value is LoadedImage {
  return typeof value === "object" && value !== null && (value as LoadedImage).kind === "convlens.image";
}

const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68];
const TORCH_MEAN = [0.485, 0.456, 0.406];
const TORCH_STD = [0.229, 0.224, 0.225];

/** Applies a preprocessing mode to RGB values in 0..255 (any shape ending in 3). */
export function preprocess(rgb: tf.Tensor, mode: Preprocessing): tf.Tensor {
  return tf.tidy(() => {
    const x = rgb.toFloat();
    switch (mode) {
      case "caffe":
        return tf.reverse(x, -1).sub(tf.tensor1d(CAFFE_MEAN_BGR));
      case "tf":
        return x.div(127.5).sub(1);
      case "torch":
        return x.div(255).sub(tf.tensor1d(TORCH_MEAN)).div(tf.tensor1d(TORCH_STD));
      case "none":
        return x;
      case "unit":
        return x.div(255);
      default:
        throw new ConvlensError(`preprocess must be one of ${PREPROCESSING_MODES.map((m) => `"${m}"`).join(", ")}, not ${describeValue(mode)}`);
    }
  });
}

/** The model's input size [height, width] (null where the model accepts any size). */
export function inputSize(model: tf.LayersModel): [number | null, number | null] {
  const shape = model.inputs[0].shape;
  if (shape.length !== 4 || (shape[3] !== null && shape[3] !== 3)) {
    throw new ConvlensError(`model "${model.name}" takes input of shape [${shape.map(String).join(", ")}]; convlens feeds images to models whose input is [batch, height, width, 3]`);
  }
  return [shape[1], shape[2]];
}

/**
 * The model's input for an image: [1, H, W, 3] float32, resized to the model's input size and
 * preprocessed. A tensor is taken as already preprocessed and only checked.
 */
export function imageToInput(model: tf.LayersModel, image: LoadedImage | tf.Tensor, options: InputOptions = {}): tf.Tensor4D {
  checkModel(model, "imageToInput");
  const [height, width] = inputSize(model);
  if (image instanceof tf.Tensor) {
    if (image.isDisposed) throw new ConvlensError("the image tensor has been disposed");
    const s = image.rank === 3 ? [1, ...image.shape] : image.shape;
    const fits = s.length === 4 && s[0] === 1 && s[3] === 3 && (height === null || s[1] === height) && (width === null || s[2] === width);
    if (!fits) {
      throw new ConvlensError(`an input tensor must have shape [${height ?? "H"}, ${width ?? "W"}, 3] or [1, ${height ?? "H"}, ${width ?? "W"}, 3] for model "${model.name}", not [${image.shape.join(", ")}]`);
    }
    return tf.tidy(() => image.reshape(s).toFloat() as tf.Tensor4D);
  }
  if (!isLoadedImage(image)) {
    throw new ConvlensError(`expected an image from await convlens.loadImage(...) or a tensor, not ${describeValue(image)}`);
  }
  const mode = options.preprocess ?? preprocessingFor(model);
  const resize = options.resize ?? "nearest";
  if (resize !== "nearest" && resize !== "bilinear") throw new ConvlensError(`resize must be "nearest" or "bilinear", not ${describeValue(resize)}`);
  return tf.tidy(() => {
    let x: tf.Tensor3D = tf.tensor3d(image.rgb, [image.height, image.width, 3], "int32").toFloat();
    const size: [number, number] = [height ?? image.height, width ?? image.width];
    if (size[0] !== image.height || size[1] !== image.width) {
      // halfPixelCenters matches PIL's resize, which Keras's load_img uses
      x = resize === "nearest" ? tf.image.resizeNearestNeighbor(x, size, false, true) : tf.image.resizeBilinear(x, size, false, true);
    }
    return preprocess(x, mode).expandDims(0) as tf.Tensor4D;
  });
}
