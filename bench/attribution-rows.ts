// Grad-CAM and saliency (issue 16): convlens.gradCam and convlens.saliency on one VGG16-size image
// (224 px, VGG16 with its top, seeded random weights), against the same maps computed with
// TensorFlow's GradientTape on Keras's VGG16 (bench/attribution_step.py), op by op and inside a
// tf.function. Both sides start from the same preprocessed image (the cat, written to a file for
// Python) and end with the map read back into host memory; runs alternate between the two.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import * as convlens from "../kernel-helpers/src/index";
import { startTimingServer } from "./child";
import { ratioAtMost, row, type Row } from "./report";
import { seededVgg16 } from "./seeded-vgg";

const LAYER = "block5_conv3";

interface Samples {
  ours: number[];
  eager: number[];
  compiled: number[];
}

export async function attributionRows(root: string, image: string, runs: number, warmup: number): Promise<Row[]> {
  const model = await seededVgg16({ includeTop: true }, 16);
  const x = convlens.imageToInput(model, await convlens.loadImage(image));
  const dir = mkdtempSync(join(tmpdir(), "convlens-bench-"));
  const input = join(dir, "input.f32");
  writeFileSync(input, x.dataSync() as Float32Array);
  const methods = {
    gradcam: () => convlens.gradCam(model, x, { layer: LAYER }),
    saliency: () => convlens.saliency(model, x),
  };
  const samples: Record<keyof typeof methods, Samples> = {
    gradcam: { ours: [], eager: [], compiled: [] },
    saliency: { ours: [], eager: [], compiled: [] },
  };
  let top = "";
  try {
    const keras = await startTimingServer(root, "attribution_step.py", [input, LAYER]);
    try {
      for (let i = 0; i < warmup + runs; i++) {
        for (const method of ["gradcam", "saliency"] as const) {
          const run: () => Promise<convlens.ClassScores> = methods[method];
          const start = performance.now();
          const result = await run();
          const ours = performance.now() - start;
          const eager = await keras.time(`${method} eager`);
          const compiled = await keras.time(`${method} function`);
          if (i < warmup) continue; // Keras warmed up before "ready"; these warm convlens
          samples[method].ours.push(ours);
          samples[method].eager.push(eager);
          samples[method].compiled.push(compiled);
          top = `class ${result.classIndex}`;
        }
      }
    } finally {
      keras.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    x.dispose();
    model.dispose();
  }
  const image224 = "VGG16 with top, 224 px";
  return [
    row({
      measurement: `gradCam, ${LAYER}, ${image224} vs GradientTape, eager`,
      unit: "ms",
      samples: samples.gradcam.ours,
      baseline: { name: "Keras + GradientTape, eager", samples: samples.gradcam.eager },
      target: ratioAtMost(1, "GradientTape"),
      note:
        `tfjs-node ${tf.version.tfjs}; the top class's pre-softmax score (each side its own: the two draw different ` +
        `random weights; ours: ${top || "?"}), from the preprocessed ` +
        "cat image to the 224×224 map in host memory (image loading not counted on either side). The target is against " +
        "GradientTape run op by op (eager), as tf-keras-vis runs it; the row below is the same map in a tf.function (for information)",
    }),
    row({
      measurement: `gradCam, ${LAYER}, ${image224} vs GradientTape in tf.function`,
      unit: "ms",
      samples: samples.gradcam.ours,
      baseline: { name: "Keras + GradientTape in tf.function", samples: samples.gradcam.compiled },
    }),
    row({
      measurement: `saliency (vanilla gradients), ${image224} vs GradientTape, eager`,
      unit: "ms",
      samples: samples.saliency.ours,
      baseline: { name: "Keras + GradientTape, eager", samples: samples.saliency.eager },
      note: "for information: the gradient of the same score with respect to the input, max |·| over RGB",
    }),
    row({
      measurement: `saliency (vanilla gradients), ${image224} vs GradientTape in tf.function`,
      unit: "ms",
      samples: samples.saliency.ours,
      baseline: { name: "Keras + GradientTape in tf.function", samples: samples.saliency.compiled },
    }),
  ];
}
