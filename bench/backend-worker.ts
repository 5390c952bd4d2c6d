// One backend's timing of the compute row, in its own process so backends never share threads or
// memory: convlens.featureMaps for all 13 VGG16 conv layers (random weights) at one input size.
// Usage: node --import tsx bench/backend-worker.ts <tensorflow|wasm|cpu> <size> <runs> <warmup>
// Prints one JSON line: {"backend", "size", "runs_ms": [...]}.
import * as tf from "@tensorflow/tfjs-node";
import * as convlens from "../kernel-helpers/src/index";
import { timeRuns } from "./stats";

async function main(): Promise<void> {
  const [backend = "tensorflow", sizeArg = "224", runsArg = "3", warmupArg = "1"] = process.argv.slice(2);
  if (backend === "wasm") await import("@tensorflow/tfjs-backend-wasm"); // registers "wasm"; loads its .wasm from node_modules
  if (!(await tf.setBackend(backend))) throw new Error(`convlens bench: backend "${backend}" did not initialise`);
  await tf.ready();
  const size = Number(sizeArg);
  const model = await convlens.vgg16({ weights: null, inputShape: [size, size, 3] });
  const layers = convlens.convLayers(model).map((l) => l.index);
  const x = tf.randomNormal([1, size, size, 3], 0, 50, "float32", 0);
  const runs = await timeRuns(() => convlens.featureMaps(model, x, layers), Number(runsArg), Number(warmupArg));
  x.dispose();
  model.dispose();
  console.log(JSON.stringify({ backend: tf.getBackend(), size, runs_ms: runs }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
