"""Issue 18: a notebook in any folder (a student's home, a temp folder outside the checkout, with
no node_modules) imports "convlens" and tfjs-node in the convlens kernel: types at compile time
and modules at run time are the kernel's own copies, and the demo models load from there."""

import json
import os
import pathlib
import tempfile

import pytest
from conftest import KERNEL_NAME, ROOT, execute, stdout_of
from jupyter_client.manager import start_new_kernel


def errors_of(outputs):
    return [m["content"] for m in outputs if m["msg_type"] == "error"] + [
        m["content"]["text"] for m in outputs if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"
    ]


@pytest.fixture(scope="module")
def elsewhere():
    """A fresh folder outside the checkout, with nothing above it that holds a node_modules."""
    with tempfile.TemporaryDirectory(prefix="convlens-anywhere-") as folder:
        folder = pathlib.Path(folder).resolve()
        assert ROOT not in folder.parents
        assert not any((p / "node_modules").exists() for p in [folder, *folder.parents])
        yield folder


@pytest.fixture(scope="module")
def kernel_elsewhere(elsewhere):
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, cwd=str(elsewhere), startup_timeout=120)
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run_ok(kc, code):
    reply, outputs = execute(kc, code)
    assert reply["status"] == "ok" and not errors_of(outputs), (reply, errors_of(outputs))
    return stdout_of(outputs)


def test_convlens_imports_and_runs_from_a_folder_without_node_modules(kernel_elsewhere, elsewhere):
    out = run_ok(
        kernel_elsewhere,
        'import { shapesCnn, convLayers, shapeSamples, featureMaps } from "convlens";\n'
        'console.log(JSON.stringify([process.cwd(), require.resolve("convlens")]));',
    )
    cwd, resolved = json.loads(out)
    assert pathlib.Path(cwd).resolve() == elsewhere
    assert pathlib.Path(resolved).resolve().is_relative_to(ROOT / "kernel-helpers"), resolved
    # a type error still counts: the compiler sees convlens's real types, not `any`
    reply, outputs = execute(kernel_elsewhere, "const wrong: string = convLayers;")
    assert reply["status"] == "error", outputs
    out = run_ok(
        kernel_elsewhere,
        "const model = await shapesCnn();\n"
        "const [sample] = shapeSamples({ count: 1 });\n"
        "const [maps] = await featureMaps(model, sample.image, convLayers(model)[0].name);\n"
        "console.log(JSON.stringify(\n"
        "  [convLayers(model).length, maps.height, maps.width, maps.channels, maps.max > maps.min]));",
    )
    layers, height, width, channels, varies = json.loads(out)
    assert layers >= 4 and height > 0 and width > 0 and channels > 0 and varies, out


def test_tfjs_node_is_the_kernels_own_copy(kernel_elsewhere):
    """tf from a cell and tf inside convlens are one TensorFlow engine: a tensor from one works in the other."""
    out = run_ok(
        kernel_elsewhere,
        'import * as tf from "@tensorflow/tfjs-node";\n'
        'import * as tfjs from "@tensorflow/tfjs";\n'
        'import { shapesCnn as again, featureMaps as maps2 } from "convlens";\n'
        "const m = await again();\n"
        'const [s] = await maps2(m, tf.randomUniform([64, 64, 3], 0, 255, "float32", 1), 1);\n'
        "console.log(JSON.stringify(\n"
        "  [tf.getBackend(), tfjs.getBackend(), s.channels > 0, tf.tensor([1, 2]).sum().dataSync()[0]]));",
    )
    assert json.loads(out) == ["tensorflow", "tensorflow", True, 3]
