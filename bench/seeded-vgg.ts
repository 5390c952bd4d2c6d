// VGG16 with seeded random weights for the bench's rows: vgg16({ weights: null }) draws its
// kernels from an unseeded Glorot initialiser, so two runs would climb, and explain, different
// networks. The timings do not depend on the values; the seed makes a run repeatable.
import * as tf from "@tensorflow/tfjs-node";
import * as convlens from "../kernel-helpers/src/index";

/** vgg16({ weights: null, ... }) whose kernels are Glorot-uniform with seeds seed, seed + 1, … (biases stay 0). */
export async function seededVgg16(options: Omit<convlens.VggOptions, "weights">, seed: number): Promise<tf.LayersModel> {
  const model = await convlens.vgg16({ ...options, weights: null });
  model.weights.forEach((weight, i) => {
    if (weight.shape.length < 2) return;
    tf.tidy(() => {
      weight.write(tf.initializers.glorotUniform({ seed: seed + i }).apply(weight.shape) as tf.Tensor);
    });
  });
  return model;
}
