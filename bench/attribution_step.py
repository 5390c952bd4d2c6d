"""Keras side of the Grad-CAM and saliency rows: the same maps convlens.gradCam and
convlens.saliency compute (kernel-helpers/src/compute/attribution/), with TensorFlow's
GradientTape on Keras's VGG16 with its top (seeded random weights, nothing downloaded), on the
preprocessed image the bench wrote (float32, 1 x 224 x 224 x 3).

Both explain the top class's pre-softmax score (fc2's output times the predictions kernel, plus
its bias), as tf-keras-vis does after ReplaceToLinear:
- Grad-CAM: the score's gradient with respect to block5_conv3's maps, averaged over height and
  width; the ReLU of the maps' weighted sum; resized bilinearly to 224 x 224; divided by its
  maximum.
- saliency (vanilla gradients): the score's gradient with respect to the input; the maximum over
  channels of its absolute value; divided by its maximum.

Prints "ready <tf version>", then answers each stdin line "<gradcam|saliency> <eager|function>"
with the milliseconds of one map, read back into NumPy as convlens reads its map into
JavaScript: "eager" runs op by op (as tf-keras-vis does), "function" inside one tf.function
(traced during warm-up).

Usage: python bench/attribution_step.py <input .f32 file> <layer name>
"""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402


def main():
    path, layer_name = sys.argv[1], sys.argv[2]
    keras.utils.set_random_seed(16)
    model = keras.applications.VGG16(weights=None, include_top=True)
    x = tf.constant(np.fromfile(path, dtype=np.float32).reshape(1, 224, 224, 3))
    head = model.get_layer("predictions")
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, head.input])
    to_head = keras.Model(model.inputs, head.input)

    def top_score(h):
        logits = tf.matmul(h, head.kernel) + head.bias
        return tf.gather(logits[0], tf.argmax(logits[0]))

    def grad_cam(image):
        with tf.GradientTape() as tape:
            maps, h = probe(image, training=False)
            score = top_score(h)
        weights = tf.reduce_mean(tape.gradient(score, maps), axis=(1, 2))
        cam = tf.nn.relu(tf.reduce_sum(maps * weights[:, None, None, :], axis=-1))
        up = tf.image.resize(cam[..., None], image.shape[1:3], method="bilinear")[0, ..., 0]
        return up / tf.maximum(tf.reduce_max(up), 1e-30)

    def saliency(image):
        with tf.GradientTape() as tape:
            tape.watch(image)
            score = top_score(to_head(image, training=False))
        grads = tf.reduce_max(tf.abs(tape.gradient(score, image)), axis=-1)[0]
        return grads / tf.maximum(tf.reduce_max(grads), 1e-30)

    work = {
        ("gradcam", "eager"): grad_cam,
        ("gradcam", "function"): tf.function(grad_cam),
        ("saliency", "eager"): saliency,
        ("saliency", "function"): tf.function(saliency),
    }
    for _ in range(2):
        for run in work.values():
            run(x).numpy()
    print(f"ready {tf.__version__}", flush=True)
    for line in sys.stdin:
        method, kind = line.split()
        start = time.perf_counter()
        work[(method, kind)](x).numpy()
        print(f"{(time.perf_counter() - start) * 1000:.3f}", flush=True)


main()
