"""The Python baseline of the end-to-end row: the seed's last listing (Keras VGG16, a multi-output
model for blocks [2, 5, 9, 13, 17], matplotlib 8x8 grids of each block's first 64 maps), with
random weights (nothing downloaded) and pyplot.show() replaced by savefig to PNG (headless).

Timed per run: load the image, preprocess, model.predict, draw and save the 5 grids — what a
student waits for when re-running the seed's cell with the model already built. The one-off
start (imports + building the model) is reported apart as start_ms.

Several layer sets can be timed in one process (e.g. 2,5,9,13,17 and 1 for one layer, the
baseline of the explorer's layer switch: re-running the listing for another layer).

Usage: python bench/seed_pipeline.py <image> <runs> <warmup> <out dir> <layers> [<layers> ...]
Prints one JSON line: {"start_ms", "results": [{"spec", "runs_ms": [...], "pngs"}]}.
"""
import json
import os
import sys
import time

started = time.perf_counter()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import matplotlib  # noqa: E402

matplotlib.use("Agg")
from matplotlib import pyplot  # noqa: E402
from numpy import expand_dims  # noqa: E402
import tf_keras as keras  # noqa: E402
from tf_keras.applications.vgg16 import VGG16, preprocess_input  # noqa: E402
from tf_keras.utils import img_to_array, load_img  # noqa: E402


def seed_listing(model, image_path, out_dir, run):
    """The seed's listing from load_img to the last grid."""
    img = load_img(image_path, target_size=(224, 224))
    img = img_to_array(img)
    img = expand_dims(img, axis=0)
    img = preprocess_input(img)
    feature_maps = model.predict(img, verbose=0)
    if not isinstance(feature_maps, list):  # one output comes back bare, not as a list
        feature_maps = [feature_maps]
    square = 8
    saved = 0
    for block, fmap in enumerate(feature_maps):
        pyplot.figure()
        ix = 1
        for _ in range(square):
            for _ in range(square):
                ax = pyplot.subplot(square, square, ix)
                ax.set_xticks([])
                ax.set_yticks([])
                pyplot.imshow(fmap[0, :, :, ix - 1], cmap="gray")
                ix += 1
        pyplot.savefig(os.path.join(out_dir, f"run{run}-block{block}.png"))
        pyplot.close()
        saved += 1
    return saved


def main():
    image_path, runs, warmup, out_dir, specs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5:]
    os.makedirs(out_dir, exist_ok=True)
    base = VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
    start_ms = (time.perf_counter() - started) * 1000
    results = []
    for spec in specs:
        ixs = [int(i) for i in spec.split(",")]
        model = keras.Model(inputs=base.inputs, outputs=[base.layers[i].output for i in ixs])
        sub_dir = os.path.join(out_dir, spec.replace(",", "_"))
        os.makedirs(sub_dir, exist_ok=True)
        for run in range(warmup):
            seed_listing(model, image_path, sub_dir, -1 - run)
        times, pngs = [], 0
        for run in range(runs):
            t0 = time.perf_counter()
            pngs += seed_listing(model, image_path, sub_dir, run)
            times.append((time.perf_counter() - t0) * 1000)
        results.append({"spec": spec, "runs_ms": times, "pngs": pngs})
    print(json.dumps({"start_ms": start_ms, "results": results}))


main()
