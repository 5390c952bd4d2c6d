"""Parity of convlens's Grad-CAM, saliency, SmoothGrad and occlusion with TensorFlow: two seeded
tf-keras classifiers (conv/pool -> flatten -> dense -> dense softmax; conv -> batch norm -> conv ->
global average pooling -> dense -> dense -> Activation softmax) saved as full-model .h5 files and
loaded by convlens.loadModel; each map computed here with tf.GradientTape by the definitions
(tf-keras-vis's) and compared within 1e-4 of its largest value. Occlusion is compared with a
brute-force loop of Keras predict over every occluded copy."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
L = keras.layers
# convlens.loadModel reads Keras's legacy full-model .h5, which tf-keras warns is legacy
pytestmark = pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file")
REL = 1e-4


def flat_model():
    i = keras.Input((32, 32, 3), name="input_1")
    x = L.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(i)
    x = L.MaxPooling2D(2, name="pool1")(x)
    x = L.Conv2D(12, 3, padding="same", activation="relu", name="conv2")(x)
    x = L.MaxPooling2D(2, name="pool2")(x)
    x = L.Conv2D(16, 3, activation="relu", name="conv3")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(24, activation="relu", name="fc1")(x)
    x = L.Dense(5, activation="softmax", name="predictions")(x)
    return keras.Model(i, x, name="flatnet")


def gap_model():
    # not square, so height and width cannot be swapped unnoticed
    i = keras.Input((28, 36, 3), name="input_1")
    x = L.Conv2D(8, 5, strides=2, activation="relu", name="conv1")(i)
    x = L.BatchNormalization(name="bn1")(x)
    x = L.Conv2D(16, 3, padding="same", activation="relu", name="conv2")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    x = L.Dense(16, activation="relu", name="fc1")(x)
    x = L.Dense(4, name="logits")(x)
    x = L.Activation("softmax", name="probs")(x)
    return keras.Model(i, x, name="gapnet")


def randomise(model, rng):
    """He-scaled kernels, non-zero biases, batch-norm statistics away from the identity."""
    for layer in model.layers:
        if isinstance(layer, L.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([
                rng.uniform(0.5, 1.5, gamma.shape), rng.normal(0, 0.1, beta.shape),
                rng.normal(0, 0.1, mean.shape), rng.uniform(0.5, 1.5, var.shape),
            ])
        elif layer.weights:
            kernel, bias = layer.get_weights()
            fan_in = int(np.prod(kernel.shape[:-1]))
            layer.set_weights([rng.normal(0, np.sqrt(2 / fan_in), kernel.shape), rng.normal(0, 0.1, bias.shape)])


CASES = [
    ("flat_cam", "flat", "gradCam", {}),
    ("flat_cam_pool1", "flat", "gradCam", {"layer": "pool1", "classIndex": 3}),
    ("flat_cam_conv2", "flat", "gradCam", {"layer": 3, "classIndex": 1}),
    ("gap_cam", "gap", "gradCam", {}),
    ("gap_cam_class2", "gap", "gradCam", {"classIndex": 2}),
    ("flat_saliency", "flat", "saliency", {"classIndex": 2}),
    ("gap_saliency", "gap", "saliency", {}),
    ("flat_smoothgrad", "flat", "saliency", {"smoothSamples": 5, "noise": 0.15, "seed": 42, "batchSize": 2}),
    ("flat_occlusion", "flat", "occlusion", {"patch": 7, "stride": 6}),
    ("gap_occlusion", "gap", "occlusion", {"patch": [8, 10], "stride": [6, 7], "classIndex": 2}),
]


@pytest.fixture(scope="module")
def parity(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attribution")
    keras.utils.set_random_seed(4321)
    rng = np.random.default_rng(4321)
    models, inputs = {"flat": flat_model(), "gap": gap_model()}, {}
    for key, model in models.items():
        randomise(model, rng)
        model.save(tmp / f"{key}.h5")
        # Keras's "tf" preprocessing range, [-1, 1]
        inputs[key] = rng.uniform(-1, 1, model.input_shape[1:]).astype(np.float32)
        inputs[key].tofile(tmp / f"{key}.f32")
    cases = [
        {
            "name": name, "model": f"{key}.h5", "input": f"{key}.f32", "shape": list(inputs[key].shape),
            "fn": fn, "options": options,
        }
        for name, key, fn, options in CASES
    ]
    (tmp / "cases.json").write_text(json.dumps(cases))
    node = shutil.which("node")
    script = ROOT / "test/helpers/attribution_parity_dump.ts"
    subprocess.run([node, "--import", "tsx", str(script), str(tmp)], cwd=ROOT, check=True, timeout=600)
    results = {c["name"]: json.loads((tmp / f"{c['name']}.json").read_text()) for c in cases}
    return models, inputs, tmp, results, json.loads((tmp / "index.json").read_text())


def mine(parity, name, suffix="data", shape=None):
    meta = parity[3][name]
    data = np.fromfile(parity[2] / f"{name}.{suffix}.f32", dtype=np.float32)
    return data.reshape(shape or (meta["height"], meta["width"]))


def assert_close(got, want, what):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, what
    scale = np.abs(want).max()
    assert scale > 0, f"{what}: the reference is all zero, so the comparison would mean nothing"
    error = np.abs(got - want).max()
    assert error <= REL * scale, f"{what}: max error {error} for values up to {scale}"


def head_parts(model):
    """The model up to the input of its last layer, and the pre-softmax scores from that input."""
    last = model.layers[-1]
    to_head = keras.Model(model.inputs, last.input)
    if isinstance(last, L.Dense):
        kernel, bias = last.kernel, last.bias
        return to_head, lambda h: tf.matmul(h, kernel) + bias
    assert isinstance(last, L.Activation)
    return to_head, lambda h: h


def grad_cam(model, x, layer, class_index):
    last = model.layers[-1]
    probe = keras.Model(model.inputs, [layer.output, last.input])
    _, logits_of = head_parts(model)
    with tf.GradientTape() as tape:
        maps, h = probe(x[None], training=False)
        logits = logits_of(h)
        score = logits[0, class_index]
    grads = tape.gradient(score, maps)
    weights = tf.reduce_mean(grads, axis=(1, 2))
    cam = tf.nn.relu(tf.reduce_sum(maps * weights[:, None, None, :], axis=-1))
    up = tf.image.resize(cam[..., None], x.shape[:2], method="bilinear")[0, ..., 0].numpy()
    return up, weights.numpy()[0], logits.numpy()[0]


def input_gradient(model, xs, class_index):
    to_head, logits_of = head_parts(model)
    xs = tf.constant(xs)
    with tf.GradientTape() as tape:
        tape.watch(xs)
        score = tf.reduce_sum(logits_of(to_head(xs, training=False))[:, class_index])
    return tape.gradient(score, xs).numpy()


@pytest.mark.parametrize("name", [c[0] for c in CASES if c[2] == "gradCam"])
def test_grad_cam_matches_gradient_tape(parity, name):
    models, inputs, _, results, _ = parity
    _, key, _, options = next(c for c in CASES if c[0] == name)
    model, x, meta = models[key], inputs[key], results[name]
    probabilities = model.predict(x[None], verbose=0)[0]
    class_index = options.get("classIndex", int(np.argmax(probabilities)))
    layer = options.get("layer")
    if layer is None:  # the default: the last convolution
        layer = [layer.name for layer in model.layers if isinstance(layer, L.Conv2D)][-1]
    layer = model.get_layer(layer) if isinstance(layer, str) else model.layers[layer]
    assert meta["layer"] == {"name": layer.name, "index": model.layers.index(layer)}
    assert meta["classIndex"] == class_index
    up, weights, logits = grad_cam(model, x, layer, class_index)
    assert (meta["layerHeight"], meta["layerWidth"]) == tuple(layer.output.shape[1:3])
    assert_close(meta["channelWeights"], weights, "channel weights")
    assert_close(meta["logits"], logits, "logits")
    assert meta["score"] == pytest.approx(float(logits[class_index]), rel=REL, abs=REL * float(np.abs(logits).max()))
    assert_close(meta["probabilities"], probabilities, "probabilities")
    assert meta["scale"] == pytest.approx(float(up.max()), rel=REL)
    assert_close(mine(parity, name) * meta["scale"], up, "heatmap before rescaling")
    assert_close(mine(parity, name), up / up.max(), "heatmap")


@pytest.mark.parametrize("name", ["flat_saliency", "gap_saliency"])
def test_saliency_matches_gradient_tape(parity, name):
    models, inputs, _, results, _ = parity
    _, key, _, options = next(c for c in CASES if c[0] == name)
    model, x, meta = models[key], inputs[key], results[name]
    class_index = options.get("classIndex", int(np.argmax(model.predict(x[None], verbose=0)[0])))
    assert (meta["method"], meta["classIndex"]) == ("saliency", class_index)
    want = np.abs(input_gradient(model, x[None], class_index)[0]).max(axis=-1)
    assert meta["scale"] == pytest.approx(float(want.max()), rel=REL)
    assert_close(mine(parity, name), want / want.max(), "saliency map")


def test_smoothgrad_averages_gradients_of_the_noisy_copies(parity):
    models, inputs, _, results, _ = parity
    model, x, meta = models["flat"], inputs["flat"], results["flat_smoothgrad"]
    assert (meta["method"], meta["smoothSamples"], meta["noise"], meta["seed"]) == ("smoothgrad", 5, 0.15, 42)
    assert meta["classIndex"] == int(np.argmax(model.predict(x[None], verbose=0)[0]))
    copies = mine(parity, "flat_smoothgrad", "copies", (5, *x.shape))
    noise = copies - x
    sigma = 0.15 * (x.max() - x.min())
    assert abs(noise.mean()) < 0.05 * sigma and noise.std() == pytest.approx(sigma, rel=0.05)
    want = np.abs(input_gradient(model, copies, meta["classIndex"]).mean(axis=0)).max(axis=-1)
    assert meta["scale"] == pytest.approx(float(want.max()), rel=REL)
    assert_close(mine(parity, "flat_smoothgrad"), want / want.max(), "SmoothGrad map")


def positions(size, patch, stride):
    found = list(range(0, size - patch + 1, stride))
    return found if found[-1] + patch == size else found + [size - patch]


@pytest.mark.parametrize("name", ["flat_occlusion", "gap_occlusion"])
def test_occlusion_matches_a_brute_force_loop(parity, name):
    models, inputs, _, results, _ = parity
    _, key, _, options = next(c for c in CASES if c[0] == name)
    model, x, meta = models[key], inputs[key], results[name]
    height, width = x.shape[:2]
    patch = np.broadcast_to(options["patch"], 2)
    stride = np.broadcast_to(options["stride"], 2)
    ys, xs = positions(height, patch[0], stride[0]), positions(width, patch[1], stride[1])
    assert (meta["ys"], meta["xs"], meta["rows"], meta["cols"]) == (ys, xs, len(ys), len(xs))
    # RGB 128 in Keras's "tf" preprocessing, computed in float32 as Keras does
    grey = np.float32(128) / np.float32(127.5) - np.float32(1)
    assert meta["fill"] == pytest.approx([grey] * 3)
    base = model.predict(x[None], verbose=0)[0]
    class_index = options.get("classIndex", int(np.argmax(base)))
    assert (meta["classIndex"], meta["measure"]) == (class_index, "probability")
    assert meta["baseline"] == pytest.approx(float(base[class_index]), rel=REL)
    grid = np.zeros((len(ys), len(xs)))
    total, count = np.zeros((height, width)), np.zeros((height, width))
    for i, y in enumerate(ys):
        for j, x0 in enumerate(xs):
            occluded = x.copy()
            occluded[y : y + patch[0], x0 : x0 + patch[1], :] = grey
            grid[i, j] = base[class_index] - model.predict(occluded[None], verbose=0)[0, class_index]
            total[y : y + patch[0], x0 : x0 + patch[1]] += grid[i, j]
            count[y : y + patch[0], x0 : x0 + patch[1]] += 1
    assert np.abs(grid).max() > 1e-3, "some patch must matter for the comparison to mean something"
    assert_close(np.array(meta["grid"]).reshape(grid.shape), grid, "occlusion grid")
    assert count.min() >= 1, "every pixel is covered"
    assert_close(mine(parity, name), total / count, "occlusion map")
    means = total / count
    assert (meta["min"], meta["max"]) == pytest.approx((means.min(), means.max()), abs=REL * float(np.abs(grid).max()))


def test_no_tensor_left_after_the_calls(parity):
    assert parity[4]["tensorsLeft"] == 0
