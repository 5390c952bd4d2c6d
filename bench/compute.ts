// Bench of the computing half: featureMaps on VGG16 at 224 px for all 13 conv layers, against
// Keras model(x) on the same work, in the same run on the same machine, as a ratio (target ≤ 1.0×).
// Usage: node --import tsx bench/compute.ts [runs]   (npm run bench runs it via scripts/bench.sh)
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import * as convlens from "../kernel-helpers/src/index";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main(): Promise<void> {
  const runs = Math.max(5, Number(process.argv[2] ?? 7));
  const root = join(__dirname, "..");
  const model = await convlens.vgg16({ weights: null });
  const layers = convlens.convLayers(model).map((l) => l.index);
  const x = tf.randomNormal([1, 224, 224, 3], 0, 50, "float32", 0);
  for (let i = 0; i < 2; i++) await convlens.featureMaps(model, x, layers); // warm-up (builds the derived model)
  const ours: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await convlens.featureMaps(model, x, layers);
    ours.push(performance.now() - start);
  }
  x.dispose();
  model.dispose();

  const python = join(root, ".venv", "bin", "python");
  const keras = spawnSync(python, [join(root, "bench", "keras_compute.py"), String(runs)], { encoding: "utf8", env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "3" } });
  if (keras.status !== 0) throw new Error(`keras bench failed:\n${keras.stderr}`);
  const theirs = JSON.parse(keras.stdout.trim().split("\n").pop() as string) as { median_ms: number; runs_ms: number[] };

  const mine = median(ours);
  const ratio = mine / theirs.median_ms;
  console.log(`featureMaps VGG16 224px, 13 conv layers: convlens ${mine.toFixed(0)} ms, Keras model(x) ${theirs.median_ms.toFixed(0)} ms (medians of ${runs} after warm-up)`);
  console.log(`featureMaps / Keras ratio: ${ratio.toFixed(2)}x (target <= 1.00x) ${ratio <= 1 ? "OK" : "SLOWER"}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
