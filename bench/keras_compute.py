"""Times Keras on the same work as bench/compute.ts: VGG16 (random weights), 224 px, the outputs
of all 13 conv layers via model(x). Prints one JSON line: {"median_ms": ..., "runs_ms": [...]}."""
import json
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
model = keras.Model(base.inputs, [layer.output for layer in base.layers if isinstance(layer, keras.layers.Conv2D)])
x = np.random.default_rng(0).normal(0, 50, (1, 224, 224, 3)).astype(np.float32)
for _ in range(2):
    model(x)
times = []
for _ in range(runs):
    start = time.perf_counter()
    model(x)
    times.append((time.perf_counter() - start) * 1000)
print(json.dumps({"median_ms": statistics.median(times), "runs_ms": times}))
