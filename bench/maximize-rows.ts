// Activation maximisation: milliseconds per gradient-ascent step of convlens.maximizeActivation on
// VGG16 (random weights) at 128 px, a page of 8 channels of block5_conv3, against the same step
// with TensorFlow's GradientTape on Keras's VGG16 (bench/maximize_step.py), op by op and inside a
// tf.function. Rounds alternate between the two, so both see the same load on a shared machine.
import * as tf from "@tensorflow/tfjs-node";
import { maximizeActivation } from "../kernel-helpers/src/compute/maximize";
import * as convlens from "../kernel-helpers/src/index";
import { startTimingServer } from "./child";
import { row, type Row } from "./report";

const SIZE = 128;
const LAYER = "block5_conv3";
const CHANNELS = 8;

/**
 * `rounds` rounds of `steps` steps each side (plus one warm-up round); each sample is a round's mean
 * step time. Ours is the gap between progress calls (it includes the yield to the event loop).
 */
export async function maximizeRows(root: string, rounds: number, steps: number): Promise<Row[]> {
  const model = await convlens.vgg16({ weights: null, inputShape: [SIZE, SIZE, 3] });
  const keras = await startTimingServer(root, "maximize_step.py", [String(SIZE), LAYER, String(CHANNELS)]);
  const ours: number[] = [];
  const eager: number[] = [];
  const compiled: number[] = [];
  const channels = Array.from({ length: CHANNELS }, (_, i) => i);
  try {
    for (let round = 0; round < rounds + 1; round++) {
      const times: number[] = [];
      let last = performance.now();
      await maximizeActivation(model, LAYER, channels, {
        steps: steps + 1,
        seed: round,
        onProgress: () => {
          const now = performance.now();
          times.push(now - last);
          last = now;
        },
      });
      const kerasEager = await keras.time(`eager ${steps}`);
      const kerasFunction = await keras.time(`function ${steps}`);
      if (round === 0) continue; // warms tfjs up (Keras warmed up before "ready")
      // the first gap also holds the set-up and the starting image's pass; like Keras's, a round's mean
      ours.push(times.slice(1).reduce((a, b) => a + b, 0) / steps);
      eager.push(kerasEager);
      compiled.push(kerasFunction);
    }
  } finally {
    keras.stop();
    model.dispose();
  }
  const what = `maximizeActivation step, VGG16 ${SIZE} px, ${CHANNELS} channels of ${LAYER}`;
  const note = `tfjs-node ${tf.version.tfjs}: Fourier image, random shift/scale/rotation, pre-ReLU objective, Adam`;
  return [
    row({
      measurement: `${what} vs GradientTape`,
      unit: "ms",
      samples: ours,
      baseline: { name: "Keras + GradientTape, eager", samples: eager },
      note,
    }),
    row({
      measurement: `${what} vs tf.function`,
      unit: "ms",
      samples: ours,
      baseline: { name: "Keras + GradientTape in tf.function", samples: compiled },
    }),
  ];
}
