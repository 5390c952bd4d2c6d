"""Helper of keras-archive.test.ts: seeded models saved by the real Keras 3 (and tf-keras) in .keras
archives, with what Keras itself computes for one input, as raw float32 files plus index.json.

Usage: python test/helpers/keras_archives.py OUT_DIR
"""
import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")  # Keras's notes on input structures and legacy .h5 saving
import keras  # noqa: E402  (Keras 3)
import tf_keras  # noqa: E402

SIZE = 32
out = Path(sys.argv[1])
rng = np.random.default_rng(16)
index = {"models": {}}


def randomize(model):
    """Random biases and BatchNormalization statistics too (Keras starts them at 0 and 1)."""
    for layer in model.layers:
        if hasattr(layer, "layers"):
            randomize(layer)
            continue
        values = layer.get_weights()
        if layer.__class__.__name__ == "BatchNormalization":  # gamma, beta, moving mean, moving variance
            values = [rng.uniform(0.5, 1.5, v.shape) if i in (0, 3) else rng.normal(0, 0.3, v.shape)
                      for i, v in enumerate(values)]
        else:
            values = [v if v.ndim > 1 else rng.normal(0, 0.1, v.shape) for v in values]
        if values:
            layer.set_weights([np.asarray(v, np.float32) for v in values])


def write(name, array):
    array = np.asarray(array, np.float32)
    array.tofile(out / name)
    return {"file": name, "shape": list(array.shape)}


def save(name, model, x, probes, lib=keras):
    """Saves `model` as NAME.keras, its output for x, and each probe's layer output as Keras computes it.

    A probe is (the inputs of the model the layer is in, the layer, what those inputs receive for x).
    """
    path = out / f"{name}.keras"
    model.save(path)
    record = {"file": path.name, "pred": write(f"{name}.pred.f32", model(x, training=False)), "maps": {},
              "params": int(model.count_params()), "layers": [layer.name for layer in model.layers]}
    for label, (model_in, layer, feed) in probes.items():
        probe = lib.Model(model_in, layer.output)
        record["maps"][label] = write(f"{name}.{label.replace('/', '.')}.f32", probe(feed, training=False)[0])
    index["models"][name] = record


x = rng.uniform(0, 255, (1, SIZE, SIZE, 3)).astype(np.float32)
write("input.f32", x[0])
keras.utils.set_random_seed(16)

# Sequential: every kind of layer convlens reads, BatchNormalization with real statistics
seq = keras.Sequential([
    keras.Input((SIZE, SIZE, 3)),
    keras.layers.Rescaling(1 / 255.0),
    keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
    keras.layers.BatchNormalization(),
    keras.layers.MaxPooling2D(),
    keras.layers.DepthwiseConv2D(3, padding="same"),
    keras.layers.ReLU(),
    keras.layers.ZeroPadding2D(1),
    keras.layers.SeparableConv2D(12, 3),
    keras.layers.AveragePooling2D(2),
    keras.layers.Flatten(),
    keras.layers.Dropout(0.3),
    keras.layers.Dense(5, activation="softmax"),
], name="seq_cnn")
randomize(seq)
save("seq", seq, x, {n: (seq.inputs, seq.get_layer(n), x) for n in ["conv2d", "batch_normalization", "separable_conv2d"]})

# Functional: a residual Add, a Concatenate, BatchNormalization, two heads of pooling
inp = keras.Input((SIZE, SIZE, 3), name="image")
h = keras.layers.Rescaling(1 / 127.5, offset=-1, name="scale")(inp)
h = keras.layers.Conv2D(8, 3, padding="same", name="stem")(h)
h = keras.layers.BatchNormalization(name="stem_bn")(h)
h = keras.layers.Activation("relu", name="stem_relu")(h)
b = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="branch")(h)
h = keras.layers.Add(name="residual")([h, b])
h = keras.layers.MaxPooling2D(name="pool")(h)
c = keras.layers.Conv2D(4, 1, name="squeeze")(h)
h = keras.layers.Concatenate(name="concat")([h, c])
g = keras.layers.Concatenate(name="pools")([keras.layers.GlobalAveragePooling2D(name="gap")(h),
                                            keras.layers.GlobalMaxPooling2D(name="gmp")(h)])
g = keras.layers.Dense(16, activation="relu", name="fc")(g)
functional = keras.Model(inp, keras.layers.Dense(4, name="logits")(g), name="functional_cnn")
randomize(functional)
save("functional", functional, x,
     {n: (functional.inputs, functional.get_layer(n), x) for n in ["stem_bn", "residual", "concat"]})

# Transfer learning: Keras's own VGG16 (random weights) frozen inside a model with a head
vgg = keras.applications.VGG16(weights=None, include_top=False, input_shape=(SIZE, SIZE, 3))
randomize(vgg)
vgg.trainable = False
inp = keras.Input((SIZE, SIZE, 3), name="photo")
pre = keras.layers.Rescaling(1 / 127.5, offset=-1, name="pre")(inp)
h = vgg(pre, training=False)
h = keras.layers.GlobalAveragePooling2D(name="gap")(h)
h = keras.layers.Dropout(0.2, name="drop")(h)
transfer = keras.Model(inp, keras.layers.Dense(3, activation="softmax", name="head")(h), name="transfer")
randomize(transfer)
fed = keras.Model(inp, pre)(x)  # what VGG16 receives: Keras's own intermediate output
save("transfer", transfer, x,
     {f"vgg16/{n}": (vgg.inputs, vgg.get_layer(n), fed) for n in ["block1_conv1", "block3_conv2", "block5_conv3"]})

# A small CNN (Functional, with BatchNormalization) and a Sequential block nested in one model
small_in = keras.Input((SIZE, SIZE, 3), name="small_in")
s = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv_a")(small_in)
s = keras.layers.BatchNormalization(name="bn_a")(s)
s = keras.layers.MaxPooling2D(name="pool_a")(s)
s = keras.layers.Conv2D(10, 3, padding="same", activation="relu", name="conv_b")(s)
small = keras.Model(small_in, s, name="backbone")
block = keras.Sequential([keras.Input((SIZE // 2, SIZE // 2, 10)), keras.layers.Conv2D(6, 1, name="mix"),
                          keras.layers.ReLU(name="mix_relu")], name="block")
inp = keras.Input((SIZE, SIZE, 3), name="pixels")
h = keras.layers.Rescaling(1 / 255.0, name="unit")(inp)
h = block(small(h))
h = keras.layers.Flatten(name="flat")(h)
nested = keras.Model(inp, keras.layers.Dense(4, name="out")(h), name="nested_cnn")
randomize(nested)
unit = keras.Model(inp, nested.get_layer("unit").output)(x)
save("nested", nested, x, {
    "backbone/bn_a": (small.inputs, small.get_layer("bn_a"), unit),
    "backbone/conv_b": (small.inputs, small.get_layer("conv_b"), unit),
    "block/mix": (block.inputs, block.get_layer("mix"), small(unit)),
})

# Keras's common Sequential([base, pooling, head]); and a model whose output is a nested Sequential's
base_in = keras.Input((SIZE, SIZE, 3), name="base_in")
t = keras.layers.Conv2D(5, 3, padding="same", activation="relu", name="base_conv")(base_in)
t = keras.layers.BatchNormalization(name="base_bn")(t)
base = keras.Model(base_in, keras.layers.MaxPooling2D(name="base_pool")(t), name="base")
stacked = keras.Sequential(
    [base, keras.layers.GlobalAveragePooling2D(name="pooled"), keras.layers.Dense(3, name="scores")], name="stacked")
stacked.build((None, SIZE, SIZE, 3))
randomize(stacked)
save("stacked", stacked, x, {"base/base_bn": (base.inputs, base.get_layer("base_bn"), x)})
tail = keras.Sequential([keras.Input((SIZE, SIZE, 3)), keras.layers.Conv2D(3, 3, name="tail_conv")], name="tail")
inp = keras.Input((SIZE, SIZE, 3), name="raw")
ends = keras.Model(inp, tail(keras.layers.Conv2D(3, 1, name="first")(inp)), name="ends_nested")
randomize(ends)
first = keras.Model(inp, ends.get_layer("first").output)(x)
save("ends", ends, x, {"tail/tail_conv": (tail.inputs, tail.get_layer("tail_conv"), first)})

# tf-keras (Keras 2) writes .keras archives too, with Keras 2's config; and a full-model .h5
tk_inner_in = tf_keras.Input((SIZE, SIZE, 3), name="tk_in")
t = tf_keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="tk_conv")(tk_inner_in)
t = tf_keras.layers.BatchNormalization(name="tk_bn")(t)
tk_inner = tf_keras.Model(tk_inner_in, t, name="tk_base")
inp = tf_keras.Input((SIZE, SIZE, 3), name="tk_image")
t = tf_keras.layers.GlobalAveragePooling2D(name="tk_gap")(tk_inner(inp))
tk_model = tf_keras.Model(inp, tf_keras.layers.Dense(3, name="tk_head")(t), name="tk_model")
randomize(tk_model)
save("tfkeras", tk_model, x, {"tk_base/tk_bn": (tk_inner.inputs, tk_inner.get_layer("tk_bn"), x)}, lib=tf_keras)
tk_model.save(out / "tfkeras_h5.h5")

# A layer convlens does not rebuild
inp = keras.Input((SIZE, SIZE, 3), name="x")
h = keras.layers.Conv2D(4, 3, name="conv")(inp)
h = keras.layers.LayerNormalization(name="norm")(h)
keras.Model(inp, h, name="unsupported").save(out / "unsupported.keras")

(out / "index.json").write_text(json.dumps(index))
