"""Issue 18, teaching a class: `npm run classroom` with two students, a real JupyterHub, the real
proxy, real student servers and convlens kernels, over HTTP and websockets on loopback. The
classroom folder is a temp folder outside the checkout (no node_modules above it). The tests run
in order on one classroom: log-in, a server with the kernel, the tutorial cells, isolation, a
killed kernel, a hub restart, the end of the class. Culling is test_culling.py."""

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests
import websocket
from classroom_harness import (
    PASSWORD,
    TEACHER_PASSWORD,
    Classroom,
    Student,
    alive,
    classroom_processes,
    cmdline,
    environ,
    kernel_pid,
    wait_for,
)
from conftest import ROOT

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="processes are found through /proc")

IMPORT_CELL = 'import { shapesCnn, shapeSamples, convLayers, featureMaps, showFeatureMaps } from "convlens";'
SEED_CELL = """const model = await shapesCnn();
const [sample] = shapeSamples({ count: 1 });
const [maps] = await featureMaps(model, sample.image, convLayers(model)[0].name);
await showFeatureMaps(maps, { image: sample.image });
console.log(`${sample.label}: ${maps.channels} maps of ${maps.height} x ${maps.width}, ${maps.min} to ${maps.max}`);"""


@pytest.fixture(scope="module")
def classroom():
    with tempfile.TemporaryDirectory(prefix="convlens-classroom-") as base:
        names = Path(base) / "students.txt"
        names.write_text("alice\nbob\n")
        room = Classroom(Path(base) / "room", "--students-file", str(names), students=None)
        room.students_file = names
        try:
            yield room
        finally:
            room.close()


@pytest.fixture(scope="module")
def alice(classroom):
    student = Student(classroom, "alice")
    student.start_server()
    return student


@pytest.fixture(scope="module")
def bob(classroom):
    student = Student(classroom, "bob")
    student.start_server()
    return student


@pytest.fixture(scope="module")
def alice_kernel(alice):
    return alice.start_kernel()


def run_in(student, kernel_id, code):
    """Runs a cell that must succeed over a websocket of its own (an idle one is closed after a minute); its stdout."""
    channel = student.channel(kernel_id)
    try:
        return channel.run_ok(code)
    finally:
        channel.close()


def server_pid(classroom, name):
    for pid in classroom_processes(classroom.folder):
        if "jupyterhub-singleuser" in cmdline(pid) and environ(pid).get(b"JUPYTERHUB_USER") == name.encode():
            return pid
    return None


def test_students_log_in_with_the_class_password_only(classroom):
    s = requests.Session()
    s.get(f"{classroom.url}/hub/login").raise_for_status()

    def login(name, password):
        return s.post(
            f"{classroom.url}/hub/login",
            data={"username": name, "password": password, "_xsrf": s.cookies["_xsrf"]},
            allow_redirects=False,
        ).status_code

    assert login("alice", "wrong-password") == 403
    assert login("carol", PASSWORD) == 403, "a name not on the list must not get in"
    assert login("teacher", PASSWORD) == 403, "the teacher's name needs the teacher's password"
    assert login("alice", TEACHER_PASSWORD) == 403
    assert login("alice", PASSWORD) == 302
    assert login("teacher", TEACHER_PASSWORD) == 302


def test_a_students_server_offers_the_convlens_kernel_and_a_copy_of_the_tutorials(classroom, alice):
    specs = alice.api("GET", "kernelspecs").json()["kernelspecs"]
    assert specs["convlens"]["spec"]["display_name"] == "TypeScript (convlens)"
    names = {c["name"] for c in alice.api("GET", "contents").json()["content"]}
    tutorials = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert tutorials and tutorials | {"images", "models"} <= names, names
    home = classroom.folder / "students" / "alice"
    assert (home / "images").is_dir() and sorted(p.name for p in home.glob("*.ipynb")) == sorted(tutorials)
    assert ROOT not in home.parents


def test_a_kernel_through_the_hub_runs_the_tutorials_import_and_seed_cells(classroom, alice, alice_kernel):
    channel = alice.channel(alice_kernel)
    assert channel.run_ok(f"{IMPORT_CELL}\nconsole.log(process.cwd());").strip() == str(
        classroom.folder / "students" / "alice"
    )
    reply, outputs = channel.execute(SEED_CELL)
    channel.close()
    problems = [
        m["content"]
        for m in outputs
        if m["msg_type"] == "error" or (m["msg_type"] == "stream" and m["content"]["name"] == "stderr")
    ]
    assert reply["status"] == "ok" and not problems, (reply, problems)
    displays = [m["content"]["data"] for m in outputs if m["msg_type"] == "display_data"]
    assert any("application/vnd.jupyter.widget-view+json" in d and "image/png" in d for d in displays), displays
    printed = "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")
    assert " maps of " in printed, printed


def test_one_students_token_and_cookies_do_not_open_another_students_server(classroom, alice, bob):
    bob_kernel = bob.start_kernel()
    for method, path in [
        ("GET", "kernels"),
        ("GET", f"kernels/{bob_kernel}"),
        ("GET", "contents"),
        ("GET", "contents/01-visualise-filters-and-feature-maps.ipynb"),
        ("POST", "kernels"),
    ]:
        r = alice.api(method, path, owner="bob", json={"name": "convlens"} if method == "POST" else None)
        assert r.status_code == 403, (method, path, r.status_code)
        assert method == "POST" or bob.api(method, path).status_code == 200, (method, path)
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        alice.channel(bob_kernel, owner="bob")
    assert refused.value.status_code == 403
    # alice's browser: her own server's cookie comes from the hub's OAuth round trip (a page, not the API)
    assert alice.browser.get(f"{classroom.url}/user/alice/api/status").status_code == 403
    r = alice.browser.get(f"{classroom.url}/user/alice/lab")
    assert r.status_code == 200 and "jupyterhub-user-alice" in alice.browser.cookies, r.status_code
    assert alice.browser.get(f"{classroom.url}/user/alice/api/status").status_code == 200
    r = alice.browser.get(f"{classroom.url}/user/bob/lab")  # the same round trip for bob's server: refused
    assert r.status_code == 403
    own_cookie = alice.browser.cookies["jupyterhub-user-alice"]
    hub_cookies = {c.name: c.value for c in alice.browser.cookies if c.name.startswith("jupyterhub")}
    for path in ["api/contents", f"api/kernels/{bob_kernel}"]:
        r = requests.get(
            f"{classroom.url}/user/bob/{path}",
            cookies={**hub_cookies, "jupyterhub-user-bob": own_cookie},
            allow_redirects=False,
        )
        assert r.status_code == 403, (path, r.status_code)
    assert len(bob.api("GET", "kernels").json()) == 1


def test_a_kernel_killed_mid_cell_restarts_and_leaves_the_others_working(classroom, alice, alice_kernel, bob):
    [bob_kernel] = [k["id"] for k in bob.api("GET", "kernels").json()]
    channel = bob.channel(bob_kernel)
    try:
        # a cell that never ends, busy computing (after a second, in which its first output goes out)
        msg_id = channel.send_execute(
            'console.log("started");\nawait new Promise((r) => setTimeout(r, 1000));\nwhile (true) {}'
        )
        for msg in channel.messages():  # the cell is running once its first output arrives
            if (
                msg["msg_type"] == "stream"
                and msg["parent_header"].get("msg_id") == msg_id
                and "started" in msg["content"]["text"]
            ):
                break
        pid = kernel_pid(classroom.folder, bob_kernel)
        assert pid, "bob's kernel process was not found"
        os.kill(pid, signal.SIGKILL)
        # alice's kernel, in the same hub, is not affected
        assert run_in(alice, alice_kernel, "console.log(6 * 7);").strip() == "42"
        # bob's page hears that the kernel died and restarts (JupyterLab: "the kernel appears to have died")
        for msg in channel.messages():
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] in ("restarting", "dead"):
                assert msg["content"]["execution_state"] == "restarting"
                break
    finally:
        channel.close()
    restarted = wait_for("bob's restarted kernel", lambda: kernel_pid(classroom.folder, bob_kernel), 60)
    assert restarted != pid and not alive(pid)
    channel = bob.channel(bob_kernel)
    try:
        assert (
            channel.run_ok(f"{IMPORT_CELL}\nconsole.log(convLayers(await shapesCnn()).length > 0);").strip() == "true"
        )
    finally:
        channel.close()


def test_the_hub_restarts_while_students_keep_working(classroom, alice, alice_kernel):
    kernel_id, channel = alice_kernel, alice.channel(alice_kernel)
    before = classroom.children()
    server, kernel = server_pid(classroom, "alice"), kernel_pid(classroom.folder, kernel_id)
    assert server and kernel
    with pytest.raises(AssertionError, match="dave could not log in: 403"):
        Student(classroom, "dave")
    classroom.students_file.write_text("alice\nbob\ndave\n")  # the hub reads the list again when it restarts
    os.kill(classroom.supervisor, signal.SIGUSR1)
    new_hub = int(classroom.expect(r"the hub is back \(pid (\d+)\); students: alice, bob, dave", 120).group(1))
    assert new_hub != before["hub"] and not alive(before["hub"])
    assert classroom.children() == {"hub": new_hub, "proxy": before["proxy"]}, "the proxy must keep running"
    assert server_pid(classroom, "alice") == server and kernel_pid(classroom.folder, kernel_id) == kernel
    # the open websocket (through the proxy) still runs cells, REST still answers, the hub knows the server
    assert channel.run_ok("console.log(convLayers(model).length > 0);").strip() == "true"
    channel.close()
    assert [k["id"] for k in alice.api("GET", "kernels").json()] == [kernel_id]
    assert alice.server()["ready"]
    again = Student(classroom, "alice")
    assert again.api("GET", "status").status_code == 200
    Student(classroom, "dave")


def test_ending_the_class_stops_every_server_and_kernel(classroom, alice, bob):
    children = classroom.children()
    kernels = [pid for pid in classroom_processes(classroom.folder) if "launcher.js" in cmdline(pid)]
    assert len(kernels) == 2, "alice's and bob's kernels should be running before the end"
    # the kernels talk to their servers over Unix sockets (no TCP ports to race for), in a short
    # runtime folder per student that the end of the class removes
    connections = [Path(arg) for pid in kernels for arg in cmdline(pid).split() if arg.endswith(".json")]
    assert len(connections) == 2, [cmdline(pid) for pid in kernels]
    for connection in connections:
        info = json.loads(connection.read_text())
        assert info["transport"] == "ipc", info
        assert Path(f"{info['ip']}-{info['shell_port']}").is_socket(), info
    runtime = connections[0].parent.parent
    assert runtime != classroom.folder and not runtime.is_relative_to(classroom.folder), runtime
    # the classroom that owns it, for a later one to remove it if this one is killed
    owner = int((runtime / "classroom.pid").read_text().split()[0])
    assert "classroom.py" in cmdline(owner), cmdline(owner)
    assert classroom.interrupt(120) == 0, "".join(classroom.output)
    assert "the class has ended" in "".join(classroom.output)
    assert "process(es) of this classroom the hub had left running" not in "".join(classroom.output)
    assert classroom_processes(classroom.folder) == []
    assert not any(alive(pid) for pid in [*children.values(), *kernels])
    assert not runtime.exists(), sorted(str(p) for p in runtime.rglob("*"))
    # what the hub wrote is in the classroom folder
    for name in ["jupyterhub.sqlite", "jupyterhub_cookie_secret", "logs/hub.log", "logs/proxy.log"]:
        assert (classroom.folder / name).exists(), name
    for name in ["jupyterhub.sqlite", "jupyterhub_cookie_secret", "jupyterhub-proxy.pid"]:
        assert not (ROOT / name).exists() and not (ROOT / "scripts" / name).exists(), name


def test_npm_run_classroom_is_the_entry_point():
    r = subprocess.run(
        ["npm", "run", "--silent", "classroom", "--", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and "--students" in r.stdout and "--cull-after" in r.stdout, r.stdout + r.stderr


def run_classroom_py(*args, env=None):
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "scripts" / "classroom.py"), *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--port", "70000"], "--port must be a port number from 1 to 65535"),
        (["--password", "short"], "the class password needs 8 characters or more"),
        (["--students", "alice,Bob Smith!"], "student name 'Bob' is not usable"),
        (["--students", "alice,teacher"], "'teacher' is the teacher's name"),
        (["--cull-after", "3"], "--cull-after is idle seconds from 10"),
        (["--ip", "localhost:80"], "--ip must be an IP address"),
        (["--teacher-password", "x" * 10], "the teacher password needs 32 characters or more"),
        (["--students-file", "/nonexistent/class.txt"], "cannot read --students-file"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_options_are_refused_with_the_fix(tmp_path, args, message):
    r = run_classroom_py("--dir", str(tmp_path / "room"), *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout.startswith("convlens: error: ") and message in r.stdout, r.stdout + r.stderr
    assert not list(tmp_path.glob("room/*.sqlite"))


def test_a_busy_port_and_a_foreign_folder_are_refused(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        r = run_classroom_py("--dir", str(tmp_path / "room"), "--port", str(taken.getsockname()[1]))
    assert r.returncode == 2 and "pick another port: npm run classroom -- --port" in r.stdout, r.stdout
    (tmp_path / "papers").mkdir()
    (tmp_path / "papers" / "thesis.tex").write_text("mine")
    r = run_classroom_py("--dir", str(tmp_path / "papers"))
    assert r.returncode == 2 and "holds other files; give a new or empty folder" in r.stdout, r.stdout
    assert sorted(p.name for p in (tmp_path / "papers").iterdir()) == ["thesis.tex"]


def load_classroom_py():
    import importlib.util

    spec = importlib.util.spec_from_file_location("classroom_script", ROOT / "scripts" / "classroom.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_runtime_folders_of_killed_classrooms_are_removed_and_others_kept(tmp_path):
    # a classroom killed with SIGKILL cannot remove its runtime folder; the next one does
    classroom_py = load_classroom_py()
    ended = subprocess.Popen(["true"])
    ended.wait()
    me = classroom_py.process_identity(os.getpid())
    folders = {
        "killed": f"{ended.pid} 12345",  # its classroom has ended
        "reused": f"{os.getpid()} 1",  # the pid runs, but it is another process now
        "running": me,  # a classroom that still runs
        "unowned": None,  # no owner file: not ours to judge
    }
    for name, owner in folders.items():
        folder = tmp_path / f"convlens-rt-{name}"
        (folder / "abc123").mkdir(parents=True)
        if owner is not None:
            (folder / "classroom.pid").write_text(owner)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "classroom.pid").write_text(f"{ended.pid} 12345")
    (tmp_path / "convlens-rt-link").symlink_to(elsewhere)
    assert classroom_py.remove_stale_runtimes(tmp_path) == 2
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["convlens-rt-link", "convlens-rt-running", "convlens-rt-unowned", "elsewhere"], left
    assert (elsewhere / "classroom.pid").exists()
