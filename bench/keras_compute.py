"""Keras side of bench/compute.ts: VGG16 (random weights), 224 px, the outputs of all 13 conv
layers via model(x). Prints "ready" after warm-up, then answers each "run" line on stdin with
the milliseconds of one model(x), so the Node side can interleave its runs with these."""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402

base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
model = keras.Model(base.inputs, [layer.output for layer in base.layers if isinstance(layer, keras.layers.Conv2D)])
x = np.random.default_rng(0).normal(0, 50, (1, 224, 224, 3)).astype(np.float32)
for _ in range(2):
    model(x)
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() != "run":
        break
    start = time.perf_counter()
    model(x)
    print(f"{(time.perf_counter() - start) * 1000:.3f}", flush=True)
