"""A kernel gives memory back (issue 18: kernel RSS in a class of 16). The kernelspec runs Node
with a 4 MB semi-space and TensorFlow with the system allocator (install-kernelspec.ts, README
"Teach a class"): a tensor a cell frees goes back to the system, and V8's young generation stays
small. Checked in the installed kernelspec's kernel and, as the control, in one started from the
same kernelspec without those settings, where the memory stays."""
import json

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME, ROOT, execute

MIB = 1 << 20

# 64 MiB that TensorFlow allocates, fills (every page touched) and frees; young objects for V8
PROBE = """const tfm = require("@tensorflow/tfjs-node");
const rssMiB = () => process.memoryUsage().rss / 1048576;
const rssBefore = rssMiB();
const big = tfm.fill([16 * 1048576], 1.5);
const rssHeld = rssMiB();
big.dispose();
const rssAfter = rssMiB();
let young = 0;
for (let i = 0; i < 2_000_000; i++) young += [i, { i }].length;
const newSpace = require("v8").getHeapSpaceStatistics().find((s: any) => s.space_name === "new_space");
JSON.stringify({ grew: rssHeld - rssBefore, kept: rssAfter - rssBefore, newSpaceMiB: newSpace.physical_space_size / 1048576, young })"""


def probe(kernel_name, cwd):
    km, kc = start_new_kernel(kernel_name=kernel_name, cwd=str(cwd), startup_timeout=120)
    try:
        reply, outputs = execute(kc, PROBE)
        assert reply["status"] == "ok", reply
        [text] = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
        assert text[0] == text[-1] == "'", text  # a JS string, shown as its literal
        return json.loads(text[1:-1])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def installed_spec():
    return KernelSpecManager().get_kernel_spec(KERNEL_NAME)


def test_a_freed_tensor_goes_back_to_the_system(tmp_path):
    found = probe(KERNEL_NAME, tmp_path)
    assert found["grew"] >= 48, found  # the tensor was there, resident
    assert found["kept"] <= 16, found
    assert found["newSpaceMiB"] <= 8, found


def test_control_without_the_settings_the_memory_stays(tmp_path, monkeypatch, installed_spec):
    spec = json.loads(json.dumps(installed_spec.to_dict()))
    spec["argv"] = [a for a in spec["argv"] if not a.startswith("--max-semi-space-size")]
    for name in ("TF_ONEDNN_USE_SYSTEM_ALLOCATOR", "MALLOC_MMAP_THRESHOLD_"):
        assert spec["env"].pop(name, None) is not None, f"the installed kernelspec has no {name}"
    assert spec["argv"] != installed_spec.argv, "the installed kernelspec sets no semi-space"
    folder = tmp_path / "data" / "kernels" / "convlens-control"
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "data"))
    found = probe("convlens-control", tmp_path)
    assert found["grew"] >= 48, found
    assert found["kept"] >= 48, found  # TensorFlow's BFC pool keeps the block
    assert found["newSpaceMiB"] > 8, found
