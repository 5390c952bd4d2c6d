"""Keras side of the activation-maximisation row: one gradient-ascent step of the same optimisation
convlens.maximizeActivation runs (kernel-helpers/src/compute/maximize*.ts), with TensorFlow's
GradientTape on Keras's VGG16 without top (seeded random weights, nothing downloaded).

The step, as in convlens: a batch of images, one per channel, parameterised by a 1/f-scaled 2-D
spectrum (irfft2d, /4, sigmoid → RGB in [0, 1]); a random shift, scale and rotation (bilinear,
mirrored borders); ×255 and caffe preprocessing; the layer's pre-activation (its conv without the
ReLU, then a leaky ReLU of slope 0.1); objective = sum over the batch of each image's own
channel's spatial mean; Adam (learning rate 0.05) on the spectrum.

Prints "ready <tf version>", then answers each stdin line "<eager|function> <steps>" with the
mean milliseconds of one step over that many steps: "eager" runs the step op by op (as
tf-keras-vis does), "function" inside one tf.function (traced during warm-up).

Usage: python bench/maximize_step.py <size> <layer name> <channels>
"""
import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

CAFFE_MEAN_BGR = tf.constant([103.939, 116.779, 123.68])


def spectrum_scale(size):
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.rfftfreq(size)[None, :]
    return (size / np.maximum(np.hypot(fy, fx), 1.0 / size)).astype(np.float32)


def main():
    size, layer_name, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    keras.utils.set_random_seed(16)
    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(size, size, 3))
    conv = base.get_layer(layer_name)
    up_to = keras.Model(base.inputs, conv.input)
    channels = tf.constant(list(range(count)))
    mask = tf.reshape(tf.one_hot(channels, conv.filters), [count, 1, 1, conv.filters])
    scale = tf.constant(spectrum_scale(size))
    rng = np.random.default_rng(1)
    init = rng.normal(0, 0.01, (2, count, 3, size, size // 2 + 1)).astype(np.float32)
    spectrum = tf.Variable(init)
    optimizer = keras.optimizers.Adam(0.05)
    jitter, max_scale, max_degrees = max(1, round(size / 16)), 0.1, 5.0

    def warp_params():
        dy, dx = rng.uniform(-jitter, jitter, 2)
        s = 1 + rng.uniform(-max_scale, max_scale)
        a = math.radians(rng.uniform(-max_degrees, max_degrees))
        # output (x, y) samples the input at centre + R(−a) (p − centre) / s − shift
        c = (size - 1) / 2
        cos, sin = math.cos(a) / s, math.sin(a) / s
        a0, a1 = cos, sin
        b0, b1 = -sin, cos
        return tf.constant([[a0, a1, c - a0 * c - a1 * c - dx, b0, b1, c - b0 * c - b1 * c - dy, 0, 0]], tf.float32)

    def step(transform):
        with tf.GradientTape() as tape:
            complex_spectrum = tf.complex(spectrum[0] * scale, spectrum[1] * scale)
            pixels = tf.signal.irfft2d(complex_spectrum, fft_length=[size, size])  # [count, 3, H, W]
            rgb = tf.sigmoid(tf.transpose(pixels, [0, 2, 3, 1]) / 4)
            seen = tf.raw_ops.ImageProjectiveTransformV3(
                images=rgb, transforms=tf.tile(transform, [count, 1]), output_shape=[size, size],
                fill_value=0.0, interpolation="BILINEAR", fill_mode="REFLECT")
            x = seen[..., ::-1] * 255 - CAFFE_MEAN_BGR
            z = tf.nn.conv2d(up_to(x, training=False), conv.kernel, 1, "SAME") + conv.bias
            objective = tf.reduce_sum(tf.reduce_mean(tf.reduce_sum(tf.nn.leaky_relu(z, 0.1) * mask, 3), [1, 2]))
            loss = -objective
        optimizer.apply_gradients([(tape.gradient(loss, spectrum), spectrum)])
        return objective

    compiled = tf.function(step)
    for _ in range(2):
        step(warp_params())
        compiled(warp_params())
    print(f"ready {tf.__version__}", flush=True)
    work = {"eager": step, "function": compiled}
    for line in sys.stdin:
        kind, steps = line.split()
        transforms = [warp_params() for _ in range(int(steps))]
        start = time.perf_counter()
        for transform in transforms:
            objective = work[kind](transform)
        objective.numpy()  # waits for the last step
        print(f"{(time.perf_counter() - start) * 1000 / int(steps):.3f}", flush=True)


main()
