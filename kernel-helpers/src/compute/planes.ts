// [H*W, C] activations as [C, H*W] channel planes, transposed on the native backend.
import * as tf from "@tensorflow/tfjs-node";
import { type NativeBackend, nativeBackend } from "./native-backend";

/**
 * TF's eager Transpose (Eigen) spends about twice the CPU of the oneDNN reorder TF ships as
 * `_MklTranspose`, which only TF's graph rewriter picks (by kernel label). It is called by name with
 * that label; a transpose only moves values, and it is checked once against tf.transpose.
 */
function oneDnnTranspose(backend: NativeBackend, matrix: tf.Tensor2D): tf.Tensor2D {
  const { binding } = backend;
  const attrs = [
    { name: "T", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: "Tperm", type: binding.TF_ATTR_TYPE, value: binding.TF_INT32 },
    { name: "_kernel", type: binding.TF_ATTR_STRING, value: "MklNameChangeOp" },
  ];
  return tf.tidy(() => backend.executeSingleOutput("_MklTranspose", attrs, [matrix, tf.tensor1d([1, 0], "int32")]) as tf.Tensor2D);
}

let useOneDnn: boolean | undefined; // decided on first use

function oneDnnWorks(backend: NativeBackend): boolean {
  try {
    return tf.tidy(() => {
      const probe = tf.range(0, 7 * 9, 1, "float32").reshape([7, 9]) as tf.Tensor2D;
      const got = oneDnnTranspose(backend, probe);
      return got.shape.join() === "9,7" && tf.equal(got, probe.transpose()).all().dataSync()[0] === 1;
    });
  } catch {
    return false; // no such op or kernel in this TF build
  }
}

/** [H*W, C] → [C, H*W]: exactly tf.transpose, faster where TF has oneDNN. */
export function channelPlanes(matrix: tf.Tensor2D): tf.Tensor2D {
  const backend = matrix.dtype === "float32" ? nativeBackend() : null;
  if (backend && useOneDnn === undefined) useOneDnn = oneDnnWorks(backend);
  return backend && useOneDnn ? oneDnnTranspose(backend, matrix) : matrix.transpose([1, 0]);
}
