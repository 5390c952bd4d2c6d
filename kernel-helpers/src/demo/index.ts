// The demo CNN that convlens trains itself (npm run train-demo) and commits, so the
// notebooks run offline: `const model = await demoCnn();`
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import { setPreprocessing } from "../models/info";
import { buildDemoCnn } from "./architecture";
import { convlensRoot } from "./photos";

export { buildDemoCnn, DEMO_BLOCKS } from "./architecture";
export { SAMPLE_PHOTOS, TRAINING_PHOTOS, photoPath, type PackagePhoto } from "./photos";

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

export interface DemoCnnOptions {
  /** folder holding model.json + weights.bin; default notebooks/models/demo-cnn */
  dir?: string;
  /**
   * Input side in pixels. The network ends in global average pooling, so the same
   * weights run at any size: 224 gives feature maps as large as VGG16's.
   * Default: the size it was trained on.
   */
  inputSize?: number;
}

export const DEMO_MODEL_DIR = join(convlensRoot(), "notebooks", "models", "demo-cnn");

export function demoCnnMetadata(model: tf.LayersModel): DemoCnnMetadata {
  const meta = model.getUserDefinedMetadata() as Partial<DemoCnnMetadata> | undefined;
  if (!meta || !Array.isArray(meta.classes) || typeof meta.inputSize !== "number") {
    throw new Error(`convlens: model "${model.name}" carries no demo-CNN metadata (classes, inputSize); is it the demo CNN?`);
  }
  return meta as DemoCnnMetadata;
}

export async function demoCnn(options: DemoCnnOptions = {}): Promise<tf.LayersModel> {
  const dir = options.dir ?? DEMO_MODEL_DIR;
  const json = join(dir, "model.json");
  if (!existsSync(json)) {
    throw new Error(`convlens: no demo CNN at ${json}; train it with: npm run train-demo`);
  }
  const trained = await tf.loadLayersModel(`file://${json}`);
  const meta = demoCnnMetadata(trained);
  const size = options.inputSize ?? meta.inputSize;
  if (!Number.isInteger(size) || size < 8) {
    trained.dispose();
    throw new Error(`convlens: demoCnn inputSize must be an integer ≥ 8 (three 2×2 poolings), got ${size}`);
  }
  // loadImage → featureMaps must scale pixels the way training did (x / 127.5 − 1), not feed 0–255
  if (size === meta.inputSize) {
    setPreprocessing(trained, meta.preprocess);
    return trained;
  }

  const resized = buildDemoCnn({ inputSize: size, classes: meta.classes.length, seed: meta.seed });
  resized.setWeights(trained.getWeights());
  resized.setUserDefinedMetadata({ ...meta });
  setPreprocessing(resized, meta.preprocess);
  trained.dispose();
  return resized;
}
