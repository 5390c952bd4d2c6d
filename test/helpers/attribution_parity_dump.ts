// Helper of test_attribution_parity.py: runs the cases of DIR/cases.json (a Keras .h5 model, an
// input tensor, gradCam / saliency / occlusion and its options) and writes what convlens computes:
// per case NAME.json (scalars and small arrays) and NAME.data.f32 (the map; SmoothGrad also its
// noisy copies as NAME.copies.f32), for Python to compare with TensorFlow.
// Usage: node --import tsx test/helpers/attribution_parity_dump.ts DIR
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import { gradCam } from "../../kernel-helpers/src/compute/attribution/gradcam";
import { occlusion } from "../../kernel-helpers/src/compute/attribution/occlusion";
import { saliency, smoothGradCopies } from "../../kernel-helpers/src/compute/attribution/saliency";
import { loadModel } from "../../kernel-helpers/src/models/load";
import type { GradCamResult, OcclusionResult, SaliencyResult } from "../../kernel-helpers/src/compute/attribution";

type Result = GradCamResult | SaliencyResult | OcclusionResult;

interface Case {
  name: string;
  model: string;
  input: string;
  shape: [number, number, number];
  fn: "gradCam" | "saliency" | "occlusion";
  options: Record<string, unknown>;
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  const cases = JSON.parse(readFileSync(join(dir, "cases.json"), "utf8")) as Case[];
  const write = (name: string, data: Float32Array) =>
    writeFileSync(join(dir, name), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  const models = new Map<string, tf.LayersModel>();
  for (const c of cases) {
    // inputs are given preprocessed as Keras's "tf" mode ([-1, 1]); occlusion's grey depends on it
    if (!models.has(c.model)) models.set(c.model, await loadModel(join(dir, c.model), { preprocessing: "tf" }));
  }
  const before = tf.memory().numTensors;
  for (const c of cases) {
    const model = models.get(c.model) as tf.LayersModel;
    const raw = readFileSync(join(dir, c.input));
    const input = tf.tensor3d(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), c.shape);
    const run = { gradCam, saliency, occlusion }[c.fn] as (m: tf.LayersModel, x: tf.Tensor, o: object) => Promise<Result>;
    const result = await run(model, input, c.options);
    write(`${c.name}.data.f32`, result.data);
    if (result.method === "smoothgrad") {
      const x = input.expandDims(0) as tf.Tensor4D;
      const copies = tf.tidy(() => smoothGradCopies(x, result.noise, result.seed as number, 0, result.smoothSamples));
      x.dispose();
      write(`${c.name}.copies.f32`, copies.dataSync() as Float32Array);
      copies.dispose();
    }
    input.dispose();
    const meta = Object.fromEntries(
      Object.entries(result)
        .filter(([key]) => key !== "data")
        .map(([key, value]) => [key, value instanceof Float32Array ? Array.from(value) : value]),
    );
    writeFileSync(join(dir, `${c.name}.json`), JSON.stringify(meta));
  }
  writeFileSync(join(dir, "index.json"), JSON.stringify({ tensorsLeft: tf.memory().numTensors - before }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
