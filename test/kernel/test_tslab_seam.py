"""The tslab seam in a real kernel: the adapter (kernel-helpers/kernel/src/tslab.ts) installed
fast-compile before tslab's converter loaded TypeScript, so cells compile with the abstract builder
(fastBuilderProblem() is null in the kernel process), and tslab's own display API still reaches
the front end through the hook the adapter routes."""
import json

from conftest import ROOT, execute


def test_cells_compile_with_the_fast_builder(kernel):
    module = json.dumps(str(ROOT / "kernel-helpers" / "kernel" / "dist" / "fast-compile"))
    reply, outputs = execute(kernel, f"import {{ fastBuilderProblem }} from {module};\nString(fastBuilderProblem())")
    assert reply["status"] == "ok", reply
    results = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
    assert results == ["'null'"], f"the kernel compiles at tslab's own speed: {results}"


def test_tslab_display_updates_a_display(kernel):
    code = 'import * as tslab from "tslab";\nconst d = tslab.newDisplay();\nd.text("one");\nd.text("two");'
    reply, outputs = execute(kernel, code)
    assert reply["status"] == "ok", reply
    kinds = [(m["msg_type"], m["content"]["data"]) for m in outputs if m["msg_type"].endswith("display_data")]
    assert kinds == [("display_data", {"text/plain": "one"}), ("update_display_data", {"text/plain": "two"})]
