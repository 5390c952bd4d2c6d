"""What the classroom tests share: `npm run classroom` in a temp folder (its processes found and
ended through /proc, whatever happens), a student as a browser would be (log-in form, cookies,
an API token), and a kernel over the user server's websocket, all through the proxy on loopback."""

import json
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import requests
import websocket
from conftest import ROOT

PASSWORD = "class-password-2026"
TEACHER_PASSWORD = "teacher-password-" + "x" * 24
LAUNCHER = "kernel/dist/launcher.js"  # in a convlens kernel's command line


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environ(pid):
    try:
        return dict(e.split(b"=", 1) for e in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in e)
    except OSError:
        return {}


def cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid):
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def pids():
    return [int(p.name) for p in Path("/proc").glob("[0-9]*")]


def children_of(parent):
    found = []
    for pid in pids():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == parent and alive(pid):
            found.append(pid)
    return found


def classroom_processes(folder):
    """Every live process of the classroom in `folder`: student servers, kernels and what they started."""
    mark = str(folder).encode()
    return [pid for pid in pids() if environ(pid).get(b"CONVLENS_CLASSROOM") == mark and alive(pid)]


def kernel_pid(folder, kernel_id):
    """The pid of the convlens kernel with this id (its connection file is named after it)."""
    for pid in classroom_processes(folder):
        line = cmdline(pid)
        if LAUNCHER in line and f"kernel-{kernel_id}.json" in line:
            return pid
    return None


def wait_for(what, condition, timeout):
    """Polls condition until it returns something truthy; an upper bound, not the expected time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"{what}: not within {timeout} s")


class Classroom:
    """`npm run classroom -- <args>` in its own process group; lines of its output in a queue.
    Without its set-up step (scripts/classroom.sh runs scripts/setup.sh, then classroom.py): the
    test run has done the set-up, and the tree may be mid-edit by others."""

    def __init__(self, folder, *args, students="alice,bob", cull_after=3600):
        self.folder = Path(folder).resolve()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "CONVLENS_CLASSROOM_PASSWORD": PASSWORD,
            "CONVLENS_CLASSROOM_TEACHER_PASSWORD": TEACHER_PASSWORD,
        }
        cmd = [
            str(ROOT / ".venv" / "bin" / "python"),
            str(ROOT / "scripts" / "classroom.py"),
            "--dir",
            str(self.folder),
            "--port",
            str(self.port),
            *(["--students", students] if students else []),
            "--cull-after",
            str(cull_after),
            *args,
        ]
        self.process = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.output = []
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.supervisor = int(self.expect(r"kill -USR1 (\d+) restarts the hub only", 300).group(1))
        self.known = set()  # every hub and proxy pid seen, for close()
        self.children()

    def _read(self):
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def expect(self, pattern, timeout):
        """The next output line matching pattern (waits on the output, up to timeout seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"no line matching {pattern!r} within {timeout} s; output:\n{''.join(self.output)}"
                ) from None
            if line is None:
                raise AssertionError(
                    f"npm run classroom ended (code {self.process.wait()}) before {pattern!r}; "
                    f"output:\n{''.join(self.output)}"
                )
            match = re.search(pattern, line)
            if match:
                return match

    def children(self):
        """The hub and the proxy: the supervisor's children."""
        found = {"hub" if "jupyterhub" in cmdline(pid) else "proxy": pid for pid in children_of(self.supervisor)}
        self.known.update(found.values())
        return found

    def interrupt(self, timeout=120):
        """Ctrl+C, as in the terminal: SIGINT to the process group; waits for the classroom to end."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout)

    def close(self):
        """Ends everything this classroom started, whatever state it is in."""
        if self.process.poll() is None:
            try:
                self.interrupt(120)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                pass
        for group in [self.process.pid]:
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in classroom_processes(self.folder) + [pid for pid in self.known if alive(pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Student:
    """A student logged in through the hub's form, with an API token of their own."""

    def __init__(self, classroom, name, password=PASSWORD):
        self.classroom = classroom
        self.name = name
        self.url = classroom.url
        self.browser = requests.Session()
        self.browser.get(f"{self.url}/hub/login").raise_for_status()
        r = self.login(name, password)
        assert r.status_code == 302, f"{name} could not log in: {r.status_code} {r.text[:300]}"
        r = self.browser.post(
            f"{self.url}/hub/api/users/{name}/tokens",
            json={"note": "classroom test"},
            headers={"X-XSRFToken": self.browser.cookies["_xsrf"]},
        )
        assert r.status_code == 201, r.text
        self.token = r.json()["token"]
        self.headers = {"Authorization": f"token {self.token}"}

    def login(self, name, password):
        return self.browser.post(
            f"{self.url}/hub/login",
            data={"username": name, "password": password, "_xsrf": self.browser.cookies["_xsrf"]},
            allow_redirects=False,
        )

    def start_server(self, timeout=180):
        """Starts the student's server and follows the hub's progress events until it is ready."""
        r = requests.post(f"{self.url}/hub/api/users/{self.name}/server", headers=self.headers)
        assert r.status_code in (201, 202), r.text
        with requests.get(
            f"{self.url}/hub/api/users/{self.name}/server/progress", headers=self.headers, stream=True, timeout=timeout
        ) as events:
            for line in events.iter_lines():
                if not line.startswith(b"data:"):
                    continue
                event = json.loads(line[5:])
                assert not event.get("failed"), event
                if event.get("ready"):
                    return event
        raise AssertionError(f"{self.name}'s server: the progress stream ended without 'ready'")

    def server(self):
        """The hub's record of the student's default server (None when stopped)."""
        r = requests.get(f"{self.url}/hub/api/users/{self.name}", headers=self.headers)
        r.raise_for_status()
        return r.json()["servers"].get("")

    def api(self, method, path, owner=None, **kwargs):
        """A request to a user server's REST API (the student's own unless owner is given), with this
        student's token."""
        return requests.request(
            method, f"{self.url}/user/{owner or self.name}/api/{path}", headers=self.headers, **kwargs
        )

    def start_kernel(self):
        r = self.api("POST", "kernels", json={"name": "convlens"})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def channel(self, kernel_id, owner=None):
        return KernelChannel(
            f"{self.url.replace('http', 'ws')}/user/{owner or self.name}/api/kernels/{kernel_id}/channels", self.headers
        )


class KernelChannel:
    """A kernel's channels over the server's websocket (JSON messages, jupyter_server's default protocol)."""

    def __init__(self, url, headers):
        self.session = uuid.uuid4().hex
        self.ws = websocket.create_connection(
            f"{url}?session_id={self.session}", header=[f"{k}: {v}" for k, v in headers.items()], timeout=180
        )

    def send_execute(self, code):
        msg_id = uuid.uuid4().hex
        self.ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "username": "student",
                        "session": self.session,
                        "msg_type": "execute_request",
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "channel": "shell",
                    "buffers": [],
                    "content": {
                        "code": code,
                        "silent": False,
                        "store_history": True,
                        "user_expressions": {},
                        "allow_stdin": False,
                        "stop_on_error": True,
                    },
                }
            )
        )
        return msg_id

    def messages(self):
        """Messages as they come (binary frames, e.g. a widget's buffers, are skipped)."""
        while True:
            frame = self.ws.recv()
            if isinstance(frame, str):
                yield json.loads(frame)

    def execute(self, code):
        """Runs code; returns (reply content, outputs), outputs being the iopub messages for it until idle."""
        msg_id = self.send_execute(code)
        reply, outputs, idle = None, [], False
        for msg in self.messages():
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["channel"] == "shell":
                reply = msg["content"]
            elif msg["msg_type"] == "status":
                idle = msg["content"]["execution_state"] == "idle"
            else:
                outputs.append(msg)
            if reply is not None and idle:
                return reply, outputs

    def run_ok(self, code):
        """Runs code that must succeed; returns its stdout."""
        reply, outputs = self.execute(code)
        problems = [
            m["content"]
            for m in outputs
            if m["msg_type"] == "error" or (m["msg_type"] == "stream" and m["content"]["name"] == "stderr")
        ]
        assert reply["status"] == "ok" and not problems, (reply, problems)
        return "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")

    def close(self):
        self.ws.close()
