// Helper of test_keras_parity.py: loads a Keras .h5 into convlens's VGG16 and writes what
// convlens computes as raw float32 files plus a JSON index, for Python to compare with Keras.
// Usage: node --import tsx test/helpers/parity_dump.ts WEIGHTS.h5 INPUT.f32 IMAGE.png OUT_DIR
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import * as convlens from "../../kernel-helpers/src/index";

async function main(): Promise<void> {
  const [weights, inputPath, imagePath, out] = process.argv.slice(2);
  const model = await convlens.vgg16({ weights, onProgress: false });
  const write = (name: string, data: Float32Array) => writeFileSync(join(out, name), Buffer.from(data.buffer, data.byteOffset, data.byteLength));

  const conv = convlens.convLayers(model).map((layer) => {
    const stack = convlens.filters(model, layer.name, { normalise: "raw" });
    write(`${layer.name}.kernel.f32`, stack.data); // [out, in, kh, kw]
    write(`${layer.name}.bias.f32`, convlens.biases(model, layer.name) ?? new Float32Array());
    return layer;
  });

  const raw = require("node:fs").readFileSync(inputPath) as Buffer;
  const input = tf.tensor3d(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), [224, 224, 3]);
  const maps = await convlens.featureMaps(model, input, [2, 5, 9, 13, 17]);
  input.dispose();
  for (const m of maps) write(`maps.${m.layer.index}.f32`, m.data); // [channels, height, width]

  const fromPng = convlens.imageToInput(model, await convlens.loadImage(imagePath));
  write("input_from_png.f32", fromPng.dataSync() as Float32Array);
  fromPng.dispose();

  const summary = convlens.summary(model);
  const index = {
    conv,
    maps: maps.map((m) => ({ layer: m.layer, height: m.height, width: m.width, channels: m.channels, min: m.min, max: m.max })),
    summary: { rows: summary.rows.map((r) => ({ name: r.name, params: r.params })), total: summary.totalParams, trainable: summary.trainableParams },
    tensorsLeft: tf.memory().numTensors - model.weights.length,
  };
  writeFileSync(join(out, "index.json"), JSON.stringify(index));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
