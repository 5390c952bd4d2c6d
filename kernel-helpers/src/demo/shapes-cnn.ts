// The shapes CNN: a small VGG-style network (Keras's layer names, 3×3 convolutions, four
// blocks) that names the shape drawn on a photo. What is committed is a plain VGG stack, conv +
// ReLU. It is trained with batch normalisation after the convolutions of blocks 2–4 (a ten-layer
// plain stack trained from scratch crawled off chance), folded into their weights and biases
// before saving, so both compute the same function. Block 1 has none: there weight decay shapes
// the first-layer filters (batch norm would make their scale, and so the decay, irrelevant), and
// batch norm on 64×64 maps would be the costliest part of a training step in tfjs.
import * as tf from "@tensorflow/tfjs-node";
import type { DemoCnnOptions } from "./architecture";

/**
 * Filters per conv layer, block by block: four blocks, so block4_conv2 sees the whole 64 px image.
 * Block 1 has one convolution, as in VGG11, and it is pooled at once: the first layer must then
 * keep what later layers need from each 2×2 window itself. With two (as VGG16's block 1), at most
 * 4 of its 16 filters became edges in six trials (notebooks/models/README.md).
 */
export const SHAPES_BLOCKS: readonly (readonly number[])[] = [[32], [32, 32], [64, 64], [128, 128]];
/** Units of fc1, between global average pooling and the class scores. */
const DENSE = 64;
/** Keras's default; folding uses the same. */
const BN_EPSILON = 1e-3;
/** Blocks from this one (0-based) are trained with batch normalisation. */
const BN_FROM_BLOCK = 1;

const convName = (b: number, c: number) => `block${b + 1}_conv${c + 1}`;

/**
 * The network that is saved and loaded: conv (ReLU) ×2 + max pooling per block, global average
 * pooling, fc1 (ReLU), predictions (softmax; Grad-CAM takes the scores before it).
 */
export function buildShapesCnn({ inputSize, classes, seed }: DemoCnnOptions): tf.Sequential {
  return build(inputSize, classes, seed, false);
}

/**
 * The same network for training: from block 2 on, each convolution without bias and activation,
 * followed by batch normalisation (blockB_bnC) and ReLU (blockB_reluC); any input size (the images
 * grow during training). foldBatchNorm turns its weights into buildShapesCnn's.
 */
export function buildShapesTrainer({ classes, seed }: Omit<DemoCnnOptions, "inputSize">): tf.Sequential {
  return build(null, classes, seed, true);
}

function build(inputSize: number | null, classes: number, seed: number, batchNorm: boolean): tf.Sequential {
  const model = tf.sequential({ name: batchNorm ? "convlens_shapes_cnn_training" : "convlens_shapes_cnn" });
  let layerSeed = seed;
  SHAPES_BLOCKS.forEach((filters, b) => {
    filters.forEach((n, c) => {
      const first = b === 0 && c === 0;
      const normalised = batchNorm && b >= BN_FROM_BLOCK;
      model.add(
        tf.layers.conv2d({
          name: convName(b, c),
          ...(first ? { inputShape: [inputSize, inputSize, 3] } : {}),
          filters: n,
          kernelSize: 3,
          padding: "same",
          activation: normalised ? "linear" : "relu",
          useBias: !normalised,
          // the first layer starts near zero, so what it shows after training is what it
          // learned, not the random initial noise (train-demo also decays it)
          kernelInitializer: first
            ? tf.initializers.varianceScaling({ scale: 0.02, seed: layerSeed++ })
            : tf.initializers.heNormal({ seed: layerSeed++ }),
        }),
      );
      if (normalised) {
        model.add(tf.layers.batchNormalization({ name: `block${b + 1}_bn${c + 1}`, momentum: 0.9, epsilon: BN_EPSILON }));
        model.add(tf.layers.reLU({ name: `block${b + 1}_relu${c + 1}` }));
      }
    });
    model.add(tf.layers.maxPooling2d({ name: `block${b + 1}_pool`, poolSize: 2, strides: 2 }));
  });
  model.add(tf.layers.globalAveragePooling2d({ name: "avg_pool" }));
  model.add(tf.layers.dense({ name: "fc1", units: DENSE, activation: "relu", kernelInitializer: tf.initializers.heNormal({ seed: layerSeed++ }) }));
  model.add(
    tf.layers.dense({ name: "predictions", units: classes, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed++ }) }),
  );
  return model;
}

/**
 * Copies a trainer's weights into a plain network (same classes), each batch normalisation
 * folded into the convolution before it (blocks without one are copied as they are): with s = γ / √(moving variance + ε),
 * kernel' = kernel · s (per output channel) and bias' = β − moving mean · s.
 */
export function foldBatchNorm(trainer: tf.LayersModel, plain: tf.LayersModel): void {
  const weights = tf.tidy(() => {
    const out: tf.Tensor[] = [];
    SHAPES_BLOCKS.forEach((filters, b) => {
      filters.forEach((_, c) => {
        const conv = trainer.getLayer(convName(b, c)).getWeights();
        if (b < BN_FROM_BLOCK) {
          out.push(...conv.map((w) => w.clone()));
          return;
        }
        const [kernel] = conv;
        const [gamma, beta, mean, variance] = trainer.getLayer(`block${b + 1}_bn${c + 1}`).getWeights();
        const scale = gamma.div(variance.add(BN_EPSILON).sqrt());
        out.push(kernel.mul(scale), beta.sub(mean.mul(scale)));
      });
    });
    for (const name of ["fc1", "predictions"]) out.push(...trainer.getLayer(name).getWeights().map((w) => w.clone()));
    return out;
  });
  plain.setWeights(weights);
  tf.dispose(weights);
}
