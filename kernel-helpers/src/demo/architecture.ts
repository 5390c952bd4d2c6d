// The demo CNN: a small VGG-style network whose layers carry Keras's VGG names
// (block1_conv1 … block3_pool, avg_pool, fc1, predictions), so every notebook
// step written for VGG16 reads the same on it. The shapes CNN is in shapes-cnn.ts.
import * as tf from "@tensorflow/tfjs-node";

export interface DemoCnnOptions {
  /** side of the square RGB input, in pixels */
  inputSize: number;
  /** number of output classes */
  classes: number;
  /** seed for every weight initialiser, so a training run can be repeated */
  seed: number;
}

/** Filters per conv layer, block by block: VGG16's pattern, scaled down for 2 CPU cores. */
export const DEMO_BLOCKS: readonly (readonly number[])[] = [
  [32, 32],
  [64, 64],
  [128, 128],
];

export function buildDemoCnn({ inputSize, classes, seed }: DemoCnnOptions): tf.Sequential {
  const model = tf.sequential({ name: "convlens_demo_cnn" });
  let layerSeed = seed;
  const init = () => tf.initializers.glorotUniform({ seed: layerSeed++ });
  DEMO_BLOCKS.forEach((filters, b) => {
    filters.forEach((n, c) => {
      model.add(
        tf.layers.conv2d({
          name: `block${b + 1}_conv${c + 1}`,
          ...(b === 0 && c === 0 ? { inputShape: [inputSize, inputSize, 3] } : {}),
          filters: n,
          kernelSize: 3,
          padding: "same",
          activation: "relu",
          // The first layer starts near zero and is weight-decayed, so what it shows
          // after training is what it learned, not the random initial noise.
          ...(b === 0 && c === 0
            ? {
                kernelInitializer: tf.initializers.varianceScaling({ scale: 0.02, seed: layerSeed++ }),
                kernelRegularizer: tf.regularizers.l2({ l2: 1e-3 }),
              }
            : { kernelInitializer: init() }),
        }),
      );
    });
    model.add(tf.layers.maxPooling2d({ name: `block${b + 1}_pool`, poolSize: 2, strides: 2 }));
  });
  // Global average pooling keeps the head small (the weights file stays ~1 MB).
  model.add(tf.layers.globalAveragePooling2d({ name: "avg_pool" }));
  model.add(tf.layers.dense({ name: "fc1", units: 128, activation: "relu", kernelInitializer: init() }));
  model.add(tf.layers.dropout({ name: "dropout", rate: 0.3, seed: layerSeed++ }));
  model.add(
    tf.layers.dense({ name: "predictions", units: classes, activation: "softmax", kernelInitializer: init() }),
  );
  return model;
}
