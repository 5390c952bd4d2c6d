"""The kernel's tfjs-node runs on the native TensorFlow backend, not the JS fallback."""
from conftest import execute, stdout_of


def test_tfjs_node_uses_tensorflow_backend(kernel):
    reply, outputs = execute(kernel, 'import * as tf from "@tensorflow/tfjs-node";\nconsole.log(tf.getBackend());')
    assert reply["status"] == "ok", reply
    assert stdout_of(outputs).strip() == "tensorflow"


def test_native_conv2d_matches_a_hand_computed_value(kernel):
    # A 3x3 all-ones kernel over a 3x3 image of 1..9 ('valid' padding) sums the image: 45.
    code = (
        'const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);\n'
        'const k = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;\n'
        'const y = tf.conv2d(x, k, 1, "valid");\n'
        'console.log(y.dataSync()[0], tf.engine().backendName);\n'
        'tf.dispose([x, k, y]);'
    )
    reply, outputs = execute(kernel, code)
    assert reply["status"] == "ok", reply
    assert stdout_of(outputs).split() == ["45", "tensorflow"]
