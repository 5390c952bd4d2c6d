"""Keras side of the compute rows: VGG16 without top (random weights, nothing downloaded) and one
multi-output model per layer set given on the command line (model.layers indices like
2,5,9,13,17, or "conv" for all 13 conv layers), on one 224 px image.

Warms each model up (model(x) and model.predict twice), prints "ready", then answers each stdin
line "<set number> call" or "<set number> predict" with the milliseconds of one model(x) or one
model.predict(x), so bench/compute-rows.ts can interleave its runs with these.

Usage: python bench/keras_maps.py <layers> [<layers> ...]
"""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402


def main():
    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
    x = np.random.default_rng(0).normal(0, 50, (1, 224, 224, 3)).astype(np.float32)
    models = []
    for spec in sys.argv[1:]:
        if spec == "conv":
            indices = [i for i, layer in enumerate(base.layers) if isinstance(layer, keras.layers.Conv2D)]
        else:
            indices = [int(i) for i in spec.split(",")]
        model = keras.Model(base.inputs, [base.layers[i].output for i in indices])
        for _ in range(2):
            model(x)
            model.predict(x, verbose=0)
        models.append(model)
    work = {"call": lambda m: m(x), "predict": lambda m: m.predict(x, verbose=0)}
    print(f"ready {tf.__version__}", flush=True)
    for line in sys.stdin:
        number, kind = line.split()
        start = time.perf_counter()
        work[kind](models[int(number)])
        print(f"{(time.perf_counter() - start) * 1000:.3f}", flush=True)


main()
