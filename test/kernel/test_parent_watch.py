"""Issue 17: a convlens kernel whose parent (the Jupyter server) is killed exits instead of living
on as an orphan. A small parent process starts the real kernel the way jupyter_client does
(launch_kernel: own session, JPY_PARENT_PID), the test waits until the kernel answers over ZeroMQ,
SIGKILLs the parent and waits for the kernel to exit. The unit tests of the watch are in
parent-watch.test.ts."""
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from conftest import ROOT, KERNEL_NAME, execute
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.connect import write_connection_file

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX parent/child processes")

# argv: connection file, kernel stderr log, "direct" | "wrapped". Prints the kernel's process
# group (the session launch_kernel starts), then waits on it like a server would.
PARENT = """
import os, subprocess, sys
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.launcher import launch_kernel
connection_file, log_path, mode, cwd, name = sys.argv[1:]
spec = KernelSpecManager().get_kernel_spec(name)
cmd = [arg.replace("{connection_file}", connection_file) for arg in spec.argv]
if mode == "wrapped":
    # a wrapper that stays alive between the server and the kernel (no exec)
    cmd = ["sh", "-c", '"$@"; exit $?', "sh", *cmd]
with open(log_path, "wb") as log:
    kernel = launch_kernel(cmd, stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **spec.env}, cwd=cwd)
print(kernel.pid, flush=True)
kernel.wait()
"""

DEADLINE = 20  # seconds: an upper bound for the test, not the expected time (about a second)


def running(pid):
    """Whether pid still runs: kill(pid, 0), and on Linux not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not os.path.isdir("/proc/self"):
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


@pytest.mark.parametrize("mode", ["direct", "wrapped", "busy"])
def test_kernel_exits_when_its_parent_is_killed(tmp_path, mode):
    connection_file, _ = write_connection_file(str(tmp_path / "kernel.json"), ip="127.0.0.1", key=uuid.uuid4().hex.encode())
    log_path = tmp_path / "kernel-stderr.log"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, connection_file, str(log_path), mode, str(ROOT / "notebooks"), KERNEL_NAME],
        stdout=subprocess.PIPE, text=True)
    client = None
    group = None
    try:
        line = parent.stdout.readline()
        assert line.strip().isdigit(), f"the parent did not start the kernel (exit code {parent.wait()})"
        group = int(line)
        client = BlockingKernelClient(connection_file=connection_file)
        client.load_connection_file()
        client.start_channels(hb=False)  # the heartbeat would call a kernel still starting dead
        client.wait_for_ready(timeout=120)
        reply, outputs = execute(client, "[process.pid, process.ppid]")
        assert reply["status"] == "ok", outputs
        [result] = [m for m in outputs if m["msg_type"] == "execute_result"]
        pid, ppid = (int(n) for n in result["content"]["data"]["text/plain"].strip("[] \n").split(","))
        if mode in ("direct", "busy"):
            assert ppid == parent.pid  # noticed by its parent pid changing
        else:
            assert ppid != parent.pid  # only JPY_PARENT_PID names the killed parent

        if mode == "busy":
            # a cell that never yields: the main thread's timer cannot fire, the watch's thread ends it
            client.execute("while (true) {}")
            time.sleep(1)
        parent.kill()
        parent.wait()  # reaped, as the killed server's own parent would do
        deadline = time.monotonic() + DEADLINE
        while running(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        log = log_path.read_text(errors="replace")
        assert not running(pid), f"the kernel still runs {DEADLINE} s after its parent was killed; its stderr:\n{log}"
        if mode != "busy":
            assert "is gone" in log and "shutting down" in log, log
        if mode == "wrapped":
            assert "JPY_PARENT_PID" in log, log
    finally:
        if client is not None:
            client.stop_channels()
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        parent.stdout.close()
        if group is not None:
            try:
                os.killpg(group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
