"""Issue 18: with a short idle timeout (npm run classroom -- --cull-after 10), jupyterhub-idle-culler,
run by the hub as a service, stops a student's idle server, and the server's kernel ends with it.
This classroom ends with SIGHUP, as when its terminal is closed."""

import os
import signal
import sys
import tempfile
from pathlib import Path

import pytest
from classroom_harness import Classroom, Student, alive, children_of, classroom_processes, cmdline, kernel_pid, wait_for

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="processes are found through /proc")


@pytest.fixture
def classroom():
    with tempfile.TemporaryDirectory(prefix="convlens-classroom-") as base:
        room = Classroom(Path(base) / "room", students="carol", cull_after=10)
        try:
            yield room
        finally:
            room.close()


def test_an_idle_server_is_stopped_and_its_kernel_ends(classroom):
    assert any(
        "idle_culler" in cmdline(pid) and "--timeout=10" in cmdline(pid)
        for pid in children_of(classroom.children()["hub"])
    )
    carol = Student(classroom, "carol")
    carol.start_server()
    notes = {"type": "file", "format": "text", "content": "my notes"}
    assert carol.api("PUT", "contents/mine.txt", json=notes).status_code == 201
    kernel_id = carol.start_kernel()
    kernel = wait_for("carol's kernel process", lambda: kernel_pid(classroom.folder, kernel_id), 60)
    server = [pid for pid in classroom_processes(classroom.folder) if "jupyterhub-singleuser" in cmdline(pid)]
    assert len(server) == 1
    # nobody uses it now: the culler stops it (an upper bound: 10 s idle, checks every 5 s, activity reported every 5 s)
    wait_for("the culler stopping carol's idle server", lambda: carol.server() is None, 120)
    wait_for("carol's server and kernel ending", lambda: not alive(server[0]) and not alive(kernel), 30)
    assert classroom_processes(classroom.folder) == []
    # her folder stays as she left it, and her next start gives her a server on it again
    carol.start_server()
    assert carol.api("GET", "contents/mine.txt").json()["content"] == "my notes"
    assert (classroom.folder / "students" / "carol" / "images").is_dir()
    # a closed terminal (SIGHUP) ends the class as Ctrl+C does: her new server stops too
    os.killpg(classroom.process.pid, signal.SIGHUP)
    classroom.expect("the class has ended", 120)
    assert classroom.process.wait(30) == 0
    assert classroom_processes(classroom.folder) == []
