"""The Python baseline of the end-to-end row: the seed's last listing (Keras VGG16, a multi-output
model for blocks [2, 5, 9, 13, 17], matplotlib 8x8 grids of each block's first 64 maps), with
random weights (nothing downloaded) and pyplot.show() replaced by savefig to PNG (headless).

One job = what a student waits for when re-running the seed's cell with the model built: load
the image, preprocess, model.predict, draw and save the grids. The one-off start (imports +
building the model) is reported on the "ready <ms>" line. Several layer sets can be given
(e.g. 1 for block1_conv1 alone: how the seed shows another layer, the explorer's baseline).

Warms each set up once, prints "ready <start ms>", then answers each stdin line "<set number>"
with the milliseconds of one listing, so bench/lab-rows.ts can interleave it with convlens.

Usage: python bench/seed_pipeline.py <image> <out dir> <layers> [<layers> ...]
"""
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
    image_path, out_dir, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    base = VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
    start_ms = (time.perf_counter() - started) * 1000
    models, dirs = [], []
    for spec in specs:
        ixs = [int(i) for i in spec.split(",")]
        models.append(keras.Model(inputs=base.inputs, outputs=[base.layers[i].output for i in ixs]))
        dirs.append(os.path.join(out_dir, spec.replace(",", "_")))
        os.makedirs(dirs[-1], exist_ok=True)
        seed_listing(models[-1], image_path, dirs[-1], "warmup")
    print(f"ready {start_ms:.0f}", flush=True)
    for run, line in enumerate(sys.stdin):
        number = int(line)
        t0 = time.perf_counter()
        seed_listing(models[number], image_path, dirs[number], run)
        print(f"{(time.perf_counter() - t0) * 1000:.3f}", flush=True)


main()
