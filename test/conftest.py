"""Shared pytest fixtures: a real convlens kernel over ZeroMQ via jupyter_client."""
import os
import pathlib

import pytest
from jupyter_client.manager import start_new_kernel

ROOT = pathlib.Path(__file__).resolve().parent.parent
KERNEL_NAME = "convlens"


def execute(client, code, timeout=120):
    """Runs code in the kernel; returns (reply content, list of iopub messages for it)."""
    msg_id = client.execute(code)
    reply = client.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=timeout)
    outputs = []
    while True:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
        outputs.append(msg)
    return reply["content"], outputs


def stdout_of(outputs):
    return "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")


@pytest.fixture(scope="module")
def kernel():
    """One running convlens kernel per test module, started in notebooks/ like JupyterLab would."""
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, cwd=str(ROOT / "notebooks"), startup_timeout=120)
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
