// The demo CNNs that convlens trains itself (npm run train-demo) and commits, so the
// notebooks run offline:
//   `const model = await shapesCnn();` — which shape is drawn on a photo (edges, parts, Grad-CAM):
//                                        the notebooks' network;
//   `const model = await demoCnn();`   — which of 12 photos a crop is from: the first demo network,
//                                        mostly flat colour in its first layer, kept for comparison.
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import { setPreprocessing } from "../models/info";
import { buildDemoCnn, type DemoCnnOptions as BuildOptions } from "./architecture";
import { convlensRoot, packageRoot } from "./photos";
import type { FilterKind } from "./filter-kinds";
import { buildShapesCnn } from "./shapes-cnn";

export { buildDemoCnn, DEMO_BLOCKS } from "./architecture";
export { buildShapesCnn, SHAPES_BLOCKS } from "./shapes-cnn";
export { SAMPLE_PHOTOS, TRAINING_PHOTOS, photoPath, type PackagePhoto } from "./photos";
export { SHAPE_CLASSES, makeShapes, type ShapeClass, type ShapeScene, type ShapeSet } from "./shapes";
export { classifyFilters, countFilterKinds, showsEdges, FILTER_KIND_RULES, type FilterKind, type FilterKindReport } from "./filter-kinds";

/** What train-demo stores in model.json's userDefinedMetadata. */
export interface DemoCnnMetadata {
  /** class names in output order (the photo each training crop came from) */
  classes: string[];
  /** side of the square RGB input it was trained on */
  inputSize: number;
  /** image preprocessing: "tf" = x / 127.5 − 1 */
  preprocess: "tf";
  /** accuracy on the held-out crops, printed by train-demo */
  heldOutAccuracy: number;
  seed: number;
}

/** The shapes CNN's metadata: the demo CNN's, plus its Grad-CAM layer and train-demo's figures. */
export interface ShapesCnnMetadata extends DemoCnnMetadata {
  /** class names in output order: the shapes (circle, square, …) */
  classes: string[];
  /** the last conv layer, where train-demo and the tests measure Grad-CAM */
  gradCamLayer: string;
  /** held-out images: mean share of the Grad-CAM map (own class) inside the shape's box */
  gradCamInBox: number;
  /** …and the mean share of the image those boxes cover (the chance level) */
  gradCamChance: number;
  /** block1_conv1's filters by kind (filter-kinds.ts) */
  firstLayerKinds: Record<FilterKind, number>;
}

export interface DemoCnnOptions {
  /** folder holding model.json + weights.bin; default notebooks/models/demo-cnn (shapes-cnn for shapesCnn) */
  dir?: string;
  /**
   * Input side in pixels. The network ends in global average pooling, so the same
   * weights run at any size: 224 gives feature maps as large as VGG16's.
   * Default: the size it was trained on.
   */
  inputSize?: number;
}

/**
 * Where a demo network's weights are: the checkout's notebooks/models/<name>, where train-demo writes
 * them, else the copy an installed package carries in its own models/<name> (npm pack puts it there).
 */
export function demoModelDir(name: "demo-cnn" | "shapes-cnn"): string {
  const checkout = join(convlensRoot(), "notebooks", "models", name);
  const packaged = join(packageRoot(), "models", name);
  if (existsSync(join(checkout, "model.json"))) return checkout;
  if (existsSync(join(packaged, "model.json"))) return packaged;
  return existsSync(join(convlensRoot(), "notebooks")) ? checkout : packaged; // where the error points
}

export const DEMO_MODEL_DIR = demoModelDir("demo-cnn");
export const SHAPES_MODEL_DIR = demoModelDir("shapes-cnn");

export function demoCnnMetadata(model: tf.LayersModel): DemoCnnMetadata {
  const meta = model.getUserDefinedMetadata() as Partial<DemoCnnMetadata> | undefined;
  if (!meta || !Array.isArray(meta.classes) || typeof meta.inputSize !== "number") {
    throw new Error(`convlens: model "${model.name}" carries no demo-CNN metadata (classes, inputSize); is it the demo CNN?`);
  }
  return meta as DemoCnnMetadata;
}

export function shapesCnnMetadata(model: tf.LayersModel): ShapesCnnMetadata {
  const meta = demoCnnMetadata(model) as Partial<ShapesCnnMetadata>;
  if (typeof meta.gradCamLayer !== "string") {
    throw new Error(`convlens: model "${model.name}" carries no shapes-CNN metadata (gradCamLayer); is it the shapes CNN?`);
  }
  return meta as ShapesCnnMetadata;
}

/** Which of 12 photos a 32 px crop is from (notebooks/models/demo-cnn). */
export async function demoCnn(options: DemoCnnOptions = {}): Promise<tf.LayersModel> {
  return loadTrained(options.dir ?? DEMO_MODEL_DIR, options.inputSize, "demo CNN", "npm run train-demo -- --model photo-crops", buildDemoCnn, "demoCnn");
}

/** Which shape (circle, square, star…) is drawn on a 64 px photo crop (notebooks/models/shapes-cnn). */
export async function shapesCnn(options: DemoCnnOptions = {}): Promise<tf.LayersModel> {
  const model = await loadTrained(options.dir ?? SHAPES_MODEL_DIR, options.inputSize, "shapes CNN", "npm run train-demo", buildShapesCnn, "shapesCnn");
  try {
    shapesCnnMetadata(model);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

async function loadTrained(
  dir: string,
  inputSize: number | undefined,
  what: string,
  train: string,
  build: (options: BuildOptions) => tf.Sequential,
  call: string,
): Promise<tf.LayersModel> {
  const json = join(dir, "model.json");
  if (!existsSync(json)) {
    // An installed package ships the weights; only the checkout trains them.
    const fix = dir.startsWith(packageRoot()) ? "reinstall the convlens package" : `train it with: ${train}`;
    throw new Error(`convlens: no ${what} at ${json}; ${fix}`);
  }
  const trained = await tf.loadLayersModel(`file://${json}`);
  const meta = demoCnnMetadata(trained);
  const size = inputSize ?? meta.inputSize;
  const poolings = trained.layers.filter((l) => l.getClassName() === "MaxPooling2D").length;
  if (!Number.isInteger(size) || size < 2 ** poolings) {
    trained.dispose();
    throw new Error(`convlens: ${call} inputSize must be an integer ≥ ${2 ** poolings} (${poolings} 2×2 poolings), got ${size}`);
  }
  // loadImage → featureMaps must scale pixels the way training did (x / 127.5 − 1), not feed 0–255
  if (size === meta.inputSize) {
    setPreprocessing(trained, meta.preprocess);
    return trained;
  }

  const resized = build({ inputSize: size, classes: meta.classes.length, seed: meta.seed });
  resized.setWeights(trained.getWeights());
  resized.setUserDefinedMetadata({ ...meta });
  setPreprocessing(resized, meta.preprocess);
  trained.dispose();
  return resized;
}
