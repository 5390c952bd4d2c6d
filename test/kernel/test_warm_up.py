"""The kernel does the first cells' slow parts before it answers (issue 18; warm-up.ts): tfjs-node
(libtensorflow) and convlens are loaded, an import of them and a typical cell compiled, and
convlens's paths run on a tiny model, while the kernel starts, so a class running the first cells
together does not queue that CPU per student on 2 cores. Checked before any cell imports anything:
the modules are already in Node's module cache, and the warm-up left nothing behind."""
import json

from conftest import execute

def value_of(kernel, code):
    """The text/plain of the cell's execute_result (the cell must succeed)."""
    reply, outputs = execute(kernel, code)
    assert reply["status"] == "ok", reply
    results = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
    assert len(results) == 1, outputs
    return results[0]


PROBE = """const loaded = (name: string) => require.cache[require.resolve(name)] !== undefined;
JSON.stringify(["convlens", "@tensorflow/tfjs-node"].map(loaded))"""


def test_first_imports_are_loaded_before_the_first_cell(kernel):
    result = value_of(kernel, PROBE)
    assert json.loads(json.loads(result.replace("'", '"'))) == [True, True], result


def test_the_first_import_cell_then_runs(kernel):
    code = 'import { shapesCnn, featureMaps } from "convlens";\nimport * as tf from "@tensorflow/tfjs-node";\ntf.getBackend()'
    assert value_of(kernel, code) == "'tensorflow'"


def test_the_kernel_runs_with_its_v8_tiering(kernel):
    # tiering.ts sets V8's flag when it loads (tiering.test.ts checks the flag's effect); the
    # launcher loads it at start, so it is in the kernel's module cache before any cell runs.
    code = 'Object.keys(require.cache).some((path) => /kernel[\\\\/]dist[\\\\/]tiering\\.js$/.test(path))'
    assert value_of(kernel, code) == "true"


def test_the_warm_up_leaves_no_tensor_and_only_the_shapes_cnns_graph_session(kernel):
    # it ran convlens's paths on a tiny model (warm-up.test.ts checks that they ran), its session
    # closed, and the shapes CNN's, whose session stays idle for the notebook's own shapes CNN
    code = ('const tfw = require("@tensorflow/tfjs-node");\n'
            'JSON.stringify([tfw.memory().numTensors, (tfw.backend() as any).getNumOfSavedModels()])')
    assert value_of(kernel, code) == "'[0,1]'"
