"""Keras side of the compute rows: VGG16 without top (random weights, nothing downloaded), one
multi-output model per layer set (model.layers indices like 2,5,9,13,17, or "conv" for all 13
conv layers), each timed as model(x) and as model.predict(x) on one 224 px image.

Usage: python bench/keras_maps.py <runs> <warmup> <layers> [<layers> ...]
Prints one JSON line: {"tf", "results": [{"spec", "layers", "call_ms": [...], "predict_ms": [...]}]}.
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402


def timed(work, runs, warmup):
    for _ in range(warmup):
        work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main():
    runs, warmup, specs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
    x = np.random.default_rng(0).normal(0, 50, (1, 224, 224, 3)).astype(np.float32)
    results = []
    for spec in specs:
        if spec == "conv":
            indices = [i for i, layer in enumerate(base.layers) if isinstance(layer, keras.layers.Conv2D)]
        else:
            indices = [int(i) for i in spec.split(",")]
        model = keras.Model(base.inputs, [base.layers[i].output for i in indices])
        call_ms = timed(lambda: model(x), runs, warmup)
        predict_ms = timed(lambda: model.predict(x, verbose=0), runs, warmup)
        results.append({"spec": spec, "layers": indices, "call_ms": call_ms, "predict_ms": predict_ms})
    print(json.dumps({"tf": tf.__version__, "results": results}))


main()
