"""The kernel does the first cells' slow parts before it answers (issue 18; warm-up.ts): tfjs-node (libtensorflow)
and convlens are loaded, and an import of them compiled, while the kernel starts, so a class
running the first cell together does not queue ~2 s of CPU per student on 2 cores. Checked before
any cell imports anything: the modules are already in Node's module cache, and the kernel's log
says it warmed up."""
import json

from conftest import execute

PROBE = """const loaded = (name: string) => require.cache[require.resolve(name)] !== undefined;
JSON.stringify(["convlens", "@tensorflow/tfjs-node"].map(loaded))"""


def test_first_imports_are_loaded_before_the_first_cell(kernel):
    reply, outputs = execute(kernel, PROBE)
    assert reply["status"] == "ok", reply
    results = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
    assert [json.loads(json.loads(r.replace("'", '"'))) for r in results] == [[True, True]], results


def test_the_first_import_cell_then_runs(kernel):
    code = 'import { shapesCnn, featureMaps } from "convlens";\nimport * as tf from "@tensorflow/tfjs-node";\ntf.getBackend()'
    reply, outputs = execute(kernel, code)
    assert reply["status"] == "ok", reply
    results = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
    assert results == ["'tensorflow'"], results


def test_the_kernel_runs_with_its_v8_tiering(kernel):
    # tiering.ts sets V8's flag when it loads (tiering.test.ts checks the flag's effect); the
    # launcher loads it at start, so it is in the kernel's module cache before any cell runs.
    code = 'Object.keys(require.cache).some((path) => /kernel[\\\\/]dist[\\\\/]tiering\\.js$/.test(path))'
    reply, outputs = execute(kernel, code)
    assert reply["status"] == "ok", reply
    results = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
    assert results == ["true"], results


def test_the_warm_up_leaves_no_tensor_and_no_graph_session(kernel):
    # it ran convlens's paths on a tiny model (warm-up.test.ts checks that they ran)
    code = ('const tfw = require("@tensorflow/tfjs-node");\n'
            'JSON.stringify([tfw.memory().numTensors, (tfw.backend() as any).getNumOfSavedModels()])')
    reply, outputs = execute(kernel, code)
    assert reply["status"] == "ok", reply
    results = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
    assert results == ["'[0,0]'"], results
