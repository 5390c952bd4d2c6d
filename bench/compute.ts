// Bench of the computing half: featureMaps on VGG16 at 224 px for all 13 conv layers, against
// Keras model(x) on the same work, in the same run on the same machine, as a ratio (target ≤ 1.0×).
// Usage: node --import tsx bench/compute.ts [runs]   (npm run bench runs it via scripts/bench.sh)
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import * as convlens from "../kernel-helpers/src/index";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** The Keras process: started once, then one timed model(x) per request. */
async function startKeras(root: string): Promise<{ run(): Promise<number>; stop(): void }> {
  const child = spawn(join(root, ".venv", "bin", "python"), [join(root, "bench", "keras_compute.py")], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "3" },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error("the Keras bench process ended early");
    return String(value);
  };
  if ((await next()) !== "ready") throw new Error("the Keras bench process did not start");
  return {
    run: async () => {
      child.stdin.write("run\n");
      return Number(await next());
    },
    stop: () => child.stdin.end(),
  };
}

async function main(): Promise<void> {
  const runs = Math.max(5, Number(process.argv[2] ?? 7));
  const root = join(__dirname, "..");
  const keras = await startKeras(root);
  const model = await convlens.vgg16({ weights: null });
  const layers = convlens.convLayers(model).map((l) => l.index);
  const x = tf.randomNormal([1, 224, 224, 3], 0, 50, "float32", 0);
  for (let i = 0; i < 2; i++) await convlens.featureMaps(model, x, layers); // warm-up (builds the derived model)
  // Interleaved, so both sides see the same machine load (the machine is shared).
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await convlens.featureMaps(model, x, layers);
    ours.push(performance.now() - start);
    theirs.push(await keras.run());
  }
  keras.stop();
  x.dispose();
  model.dispose();

  const mine = median(ours);
  const reference = median(theirs);
  const ratio = mine / reference;
  console.log(`featureMaps VGG16 224px, 13 conv layers: convlens ${mine.toFixed(0)} ms, Keras model(x) ${reference.toFixed(0)} ms (medians of ${runs} interleaved runs after warm-up)`);
  console.log(`featureMaps / Keras ratio: ${ratio.toFixed(2)}x (target <= 1.00x) ${ratio <= 1 ? "OK" : "SLOWER"}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
