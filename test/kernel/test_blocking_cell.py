"""A cell that keeps the kernel's thread busy from its first statement (a long synchronous loop)
still shows as running at once: the kernel's busy status and the cell's execute_input leave before
the cell runs, not when it finally yields. The cell here spins until the test creates a file, so
nothing depends on timing: without the fix the two messages never come while it spins."""
import json
import os
import queue
import tempfile
import time

from conftest import execute


def test_busy_and_input_arrive_while_a_cell_blocks(kernel):
    flag = os.path.join(tempfile.mkdtemp(), "release")
    code = f'import * as fs from "fs";\nwhile (!fs.existsSync({json.dumps(flag)})) {{}}\n"released"'
    msg_id = kernel.execute(code)
    seen = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and not {"busy", "execute_input"} <= set(seen):
            try:
                msg = kernel.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                kind = msg["msg_type"]
                seen.append(msg["content"]["execution_state"] if kind == "status" else kind)
    finally:
        open(flag, "w").close()  # releases the cell whatever happened
    assert {"busy", "execute_input"} <= set(seen), f"while the cell spun, the front end saw only {seen}"
    while True:
        reply = kernel.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    assert reply["content"]["status"] == "ok", reply["content"]
    # the kernel serves the next cell as usual
    reply, outputs = execute(kernel, "1 + 1")
    assert reply["status"] == "ok"
    assert [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"] == ["2"]
