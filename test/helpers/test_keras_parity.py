"""Parity of convlens with Keras: a seeded random VGG16 saved by tf-keras save_weights (legacy .h5)
loads into convlens with every conv kernel and bias equal, feature maps of layers
[2, 5, 9, 13, 17] within 1e-4 x the layer's max |value|, and the same parameter counts."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tf_keras as keras  # noqa: E402
from PIL import Image  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
LAYERS = [2, 5, 9, 13, 17]


@pytest.fixture(scope="module")
def parity(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("parity")
    keras.utils.set_random_seed(1234)
    model = keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
    rng = np.random.default_rng(1234)
    for layer in model.layers:
        if layer.weights:  # random biases too (Keras initialises them to 0)
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, rng.normal(0, 0.05, bias.shape).astype(np.float32)])
    model.save_weights(tmp / "vgg16.h5")

    pixels = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp / "image.png")
    x = keras.applications.vgg16.preprocess_input(pixels.astype(np.float32)[None])
    x[0].astype(np.float32).tofile(tmp / "input.f32")

    out = tmp / "out"
    out.mkdir()
    node = shutil.which("node")
    subprocess.run(
        [node, "--import", "tsx", str(ROOT / "test/helpers/parity_dump.ts"), str(tmp / "vgg16.h5"), str(tmp / "input.f32"), str(tmp / "image.png"), str(out)],
        cwd=ROOT, check=True, timeout=600,
    )
    return model, x, pixels, out, json.loads((out / "index.json").read_text())


def read(out, name, shape):
    return np.fromfile(out / name, dtype=np.float32).reshape(shape)


def test_every_conv_kernel_and_bias_equal_exactly(parity):
    model, _, _, out, index = parity
    conv = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c["name"] for c in index["conv"]] == [layer.name for layer in conv]
    assert [c["index"] for c in index["conv"]] == [model.layers.index(layer) for layer in conv]
    for layer in conv:
        kernel, bias = layer.get_weights()
        mine = read(out, f"{layer.name}.kernel.f32", (kernel.shape[3], kernel.shape[2], 3, 3)).transpose(2, 3, 1, 0)
        assert np.array_equal(mine, kernel), layer.name
        assert np.array_equal(read(out, f"{layer.name}.bias.f32", bias.shape), bias), layer.name
        assert np.any(bias != 0)


def test_feature_maps_match_keras(parity):
    model, x, _, out, index = parity
    probe = keras.Model(model.inputs, [model.layers[i].output for i in LAYERS])
    expected = probe(x)
    for i, want, meta in zip(LAYERS, expected, index["maps"]):
        want = want.numpy()[0]  # (h, w, c)
        assert meta["layer"] == {"name": model.layers[i].name, "index": i}
        h, w, c = want.shape
        assert (meta["height"], meta["width"], meta["channels"]) == (h, w, c)
        mine = read(out, f"maps.{i}.f32", (c, h, w)).transpose(1, 2, 0)
        scale = np.abs(want).max()
        assert scale > 0
        assert np.abs(mine - want).max() <= 1e-4 * scale, model.layers[i].name
        assert meta["max"] == pytest.approx(float(want.max()), rel=1e-4, abs=1e-4 * float(scale))


def test_png_preprocessing_matches_keras_caffe(parity):
    _, x, _, out, _ = parity
    assert np.abs(read(out, "input_from_png.f32", x.shape) - x).max() < 1e-4


def test_summary_param_counts_equal_keras(parity):
    model, _, _, _, index = parity
    assert index["summary"]["total"] == model.count_params()
    assert index["summary"]["trainable"] == sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert [(r["name"], r["params"]) for r in index["summary"]["rows"]] == [(layer.name, layer.count_params()) for layer in model.layers]


def test_no_tensor_left_after_the_calls(parity):
    assert parity[4]["tensorsLeft"] == 0
