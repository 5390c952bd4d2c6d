"""npm run classroom: a local JupyterHub for a lab session, each student in their own folder with
the convlens kernel, widgets and a copy of the tutorials. Run by scripts/classroom.sh after the
set-up; `npm run classroom -- --help` lists the options.

This process starts configurable-http-proxy and JupyterHub (scripts/classroom_config.py), each in
a session of its own so that Ctrl+C reaches only this process, and then waits for signals:
  Ctrl+C, SIGTERM, SIGHUP (the terminal closed)  end the class: the hub stops every student's
                                                 server, then the proxy stops;
  SIGUSR1                                        restart the hub only (students' servers and the
                                                 proxy keep running).
"""

import argparse
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PROXY = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
CONFIG = ROOT / "scripts" / "classroom_config.py"
MARKER = ".convlens-classroom"  # a classroom folder has it: --dir never writes into another folder
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
CULL_DEFAULT = 3600
START_TIMEOUT = 90  # seconds: an upper bound for the hub or the proxy to answer, not the usual time


RUNTIME_PREFIX = "convlens-rt-"  # in the system's temp folder: the students' runtime files
RUNTIME_OWNER = "classroom.pid"  # in it: "<pid> <start time>" of the classroom.py that made it


class Refusal(Exception):
    """A bad option: the message says what is wrong and how to fix it."""


def say(text):
    try:
        print(f"convlens: {text}", flush=True)
    except OSError:
        pass  # the terminal is gone (closed: SIGHUP ends the class), the class still ends cleanly


# flag, its CONVLENS_CLASSROOM_* variable, default, help
OPTIONS = [
    ("--port", "PORT", "8000", "the port students connect to"),
    ("--ip", "IP", "127.0.0.1", "the address to listen on; 0.0.0.0 lets the lab's machines in"),
    ("--password", "PASSWORD", None, "the class password, 8+ characters (default: a new one, printed)"),
    ("--students", "STUDENTS", None, "names allowed to log in, comma separated (default: any name)"),
    ("--students-file", "STUDENTS_FILE", None, "a file of allowed names, one a line, read again at each hub restart"),
    ("--teacher", "TEACHER", "teacher", "the teacher's name, the hub's admin"),
    ("--teacher-password", "TEACHER_PASSWORD", None, "the teacher's password, 32+ characters (default: a new one)"),
    ("--cull-after", "CULL_AFTER", str(CULL_DEFAULT), "idle seconds before a student's server stops; 0: never"),
    ("--dir", "DIR", str(ROOT / ".classroom"), "the classroom folder: the hub's files, logs, students' folders"),
]


def env_or(env, name, default=None):
    value = env.get(f"CONVLENS_CLASSROOM_{name}")
    return default if value in (None, "") else value


def parse(argv, env):
    """The settings from flags, else CONVLENS_CLASSROOM_* variables, else defaults; Refusal if bad."""
    p = argparse.ArgumentParser(prog="npm run classroom --", description="A local JupyterHub for a class, on convlens.")
    for flag, name, default, text in OPTIONS:
        shown = f"default {default}; " if default else ""
        p.add_argument(flag, default=env_or(env, name, default), help=f"{text} ({shown}env CONVLENS_CLASSROOM_{name})")

    def error(message):
        raise Refusal(f"{message}; npm run classroom -- --help lists the options")

    p.error = error
    a = p.parse_args(argv)

    if not re.fullmatch(r"\d{1,5}", str(a.port)) or not 1 <= int(a.port) <= 65535:
        raise Refusal(f"--port must be a port number from 1 to 65535, not {a.port!r}: npm run classroom -- --port 8000")
    try:
        ipaddress.ip_address(a.ip)
    except ValueError:
        raise Refusal(f"--ip must be an IP address such as 127.0.0.1 or 0.0.0.0, not {a.ip!r}") from None
    try:
        cull_after = int(a.cull_after)
    except ValueError:
        cull_after = -1
    if cull_after != 0 and not 10 <= cull_after <= 7 * 24 * 3600:
        raise Refusal(
            f"--cull-after is idle seconds from 10 to a week, or 0 for never, not {a.cull_after!r}: "
            "npm run classroom -- --cull-after 3600"
        )
    if a.password is not None and len(a.password) < 8:
        raise Refusal(
            "the class password needs 8 characters or more (JupyterHub's shared-password rule): "
            "npm run classroom -- --password <8+ characters>, or CONVLENS_CLASSROOM_PASSWORD"
        )
    if a.teacher_password is not None and len(a.teacher_password) < 32:
        raise Refusal(
            "the teacher password needs 32 characters or more (JupyterHub's rule for admins); "
            "leave it out and a new one is printed"
        )
    if a.password is not None and a.password == a.teacher_password:
        raise Refusal("the class password and the teacher password must differ")
    teacher = a.teacher.strip()
    if not NAME.match(teacher):
        raise Refusal(
            f"--teacher {teacher!r} is not a usable name: "
            "lower-case letters, digits, '.', '_' or '-', up to 32 characters"
        )
    folder = Path(a.dir).expanduser().resolve()
    settings = {
        "port": int(a.port),
        "ip": a.ip,
        "password": a.password or secrets.token_urlsafe(9),
        "password_given": a.password is not None,
        "teacher": teacher,
        "teacher_password": a.teacher_password or secrets.token_urlsafe(24),
        "students_list": a.students,
        "students_file": str(Path(a.students_file).expanduser().resolve()) if a.students_file else None,
        "cull_after": cull_after,
        "dir": folder,
    }
    settings["students"] = students(settings)
    check_folder(folder)
    check_port(settings["ip"], settings["port"])
    return settings


def students(settings):
    """The allowed names, from --students and --students-file (read again at each hub start)."""
    names = re.split(r"[\s,]+", settings["students_list"] or "")
    if settings["students_file"]:
        try:
            names += Path(settings["students_file"]).read_text().split()
        except OSError as e:
            raise Refusal(
                f"cannot read --students-file {settings['students_file']}: {e.strerror}; "
                "give a file with one name per line"
            ) from None
    names = [n.strip() for n in names if n.strip()]
    for name in names:
        if not NAME.match(name):
            raise Refusal(
                f"student name {name!r} is not usable: "
                "lower-case letters, digits, '.', '_' or '-', up to 32 characters, "
                "starting with a letter or digit"
            )
    if settings["teacher"] in names:
        raise Refusal(
            f"{settings['teacher']!r} is the teacher's name; remove it from the students or pick another --teacher"
        )
    return sorted(set(names))


def check_folder(folder):
    if folder.exists() and not folder.is_dir():
        raise Refusal(f"--dir {folder} is a file; give a folder (new, or one an earlier class used)")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise Refusal(f"--dir {folder} holds other files; give a new or empty folder, or one an earlier class used")
    if folder == ROOT or folder in ROOT.parents or folder == ROOT / "notebooks":
        raise Refusal(
            f"--dir {folder} would put students' folders among convlens's own files; give a folder of its own"
        )
    try:
        (folder / "logs").mkdir(parents=True, exist_ok=True)
        (folder / MARKER).touch()
    except OSError as e:
        raise Refusal(f"cannot make the classroom folder {folder}: {e.strerror}; pick another with --dir") from None


def check_port(ip, port):
    with socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((ip, port))
        except OSError as e:
            raise Refusal(
                f"cannot listen on {ip}:{port} ({e.strerror}); "
                f"pick another port: npm run classroom -- --port {port + 10}"
            ) from None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ENDS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
RESTART_HUB = signal.SIGUSR1
HANDLED = ENDS | {RESTART_HUB, signal.SIGCHLD}


def unblock_in_child():
    """Children start with the signals this process blocks (it takes them with sigtimedwait) unblocked."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, HANDLED)


class Classroom:
    def __init__(self, settings):
        self.s = settings
        self.folder = settings["dir"]
        self.logs = self.folder / "logs"
        self.hub_port = free_port()
        self.api_port = free_port()
        self.proxy_token = secrets.token_hex(32)
        self.service_token = secrets.token_hex(32)
        self.proxy = None
        self.hub = None
        # Jupyter's runtime files of the students' servers (connection files, and the kernels' ipc
        # sockets): a short path, as a Unix socket's path has room for about 107 bytes. end()
        # removes it; the owner file lets a later classroom remove it if this one is killed.
        self.runtime = Path(tempfile.mkdtemp(prefix=RUNTIME_PREFIX))
        (self.runtime / RUNTIME_OWNER).write_text(process_identity(os.getpid()))

    def spawn(self, cmd, log_name, env):
        log = open(self.logs / log_name, "ab")
        try:
            return subprocess.Popen(
                cmd,
                cwd=self.folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=unblock_in_child,
            )
        finally:
            log.close()

    def log_tail(self, log_name, lines=30):
        try:
            return "\n".join((self.logs / log_name).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_until(self, ready, process, what, log_name):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{what} exited with code {process.returncode}; "
                    f"its log ({self.logs / log_name}) ends:\n{self.log_tail(log_name)}"
                )
            if ready():
                return
            # a child exiting ends the wait at once; Ctrl+C while starting ends the class
            info = signal.sigtimedwait(ENDS | {signal.SIGCHLD}, 0.2)
            if info and info.si_signo != signal.SIGCHLD:
                raise RuntimeError(f"stopped while {what} was starting")
        raise RuntimeError(
            f"{what} did not answer within {START_TIMEOUT} s; "
            f"its log ({self.logs / log_name}) ends:\n{self.log_tail(log_name)}"
        )

    def start_proxy(self):
        env = {**os.environ, "CONFIGPROXY_AUTH_TOKEN": self.proxy_token}
        cmd = [
            str(PROXY),
            "--ip",
            self.s["ip"],
            "--port",
            str(self.s["port"]),
            "--api-ip",
            "127.0.0.1",
            "--api-port",
            str(self.api_port),
            "--default-target",
            f"http://127.0.0.1:{self.hub_port}",
            "--error-target",
            f"http://127.0.0.1:{self.hub_port}/hub/error",
        ]
        self.proxy = self.spawn(cmd, "proxy.log", env)
        self.wait_until(
            lambda: answers(f"http://127.0.0.1:{self.api_port}/api/routes", self.proxy_token),
            self.proxy,
            "configurable-http-proxy",
            "proxy.log",
        )

    def start_hub(self):
        self.s["students"] = students(self.s)
        settings = {
            "DIR": str(self.folder),
            "IP": self.s["ip"],
            "PORT": str(self.s["port"]),
            "HUB_PORT": str(self.hub_port),
            "PROXY_API_PORT": str(self.api_port),
            "PROXY_TOKEN": self.proxy_token,
            "SERVICE_TOKEN": self.service_token,
            "PASSWORD": self.s["password"],
            "TEACHER": self.s["teacher"],
            "TEACHER_PASSWORD": self.s["teacher_password"],
            "STUDENTS": ",".join(self.s["students"]),
            "CULL_AFTER": str(self.s["cull_after"]),
            "RUNTIME": str(self.runtime),
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONVLENS_CLASSROOM")}
        env.update({f"CONVLENS_CLASSROOM_{k}": v for k, v in settings.items()})
        env["PATH"] = f"{VENV / 'bin'}:{env.get('PATH', '')}"
        self.hub = self.spawn([str(VENV / "bin" / "jupyterhub"), "-f", str(CONFIG)], "hub.log", env)
        self.wait_until(
            lambda: answers(f"http://127.0.0.1:{self.hub_port}/hub/api/"), self.hub, "JupyterHub", "hub.log"
        )

    def url(self):
        host = "127.0.0.1" if self.s["ip"] in ("0.0.0.0", "::") else self.s["ip"]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.s['port']}/"

    def how_to(self):
        s, url = self.s, self.url()
        who = ", ".join(s["students"]) if s["students"] else "any name they choose"
        cull = f"after {s['cull_after']} s without use" if s["cull_after"] else "never (--cull-after 0)"
        rel = os.path.relpath(self.folder, ROOT) if self.folder.is_relative_to(ROOT) else str(self.folder)
        say(f"the classroom is open at {url}")
        for line in [
            f"students: open {url}, log in with their name ({who}) and the class password: {s['password']}",
            f"teacher:  log in as {s['teacher']!r} with the teacher password: {s['teacher_password']}"
            f"  (admin page: {url}hub/admin)",
            f"each student works in their own folder, {rel}/students/<name>, "
            "which starts with a copy of the tutorial notebooks",
            f"a student's server stops {cull}; the student's notebooks stay and it starts again at the next login",
            f"logs: {rel}/logs/  ·  Ctrl+C ends the class (every student's server stops)",
            f"kill -USR1 {os.getpid()} restarts the hub only: students keep working"
            + (" (the students file is read again)" if s["students_file"] else ""),
        ]:
            print(f"  {line}", flush=True)
        if s["ip"] == "127.0.0.1":
            print(
                "  (this machine only: --ip 0.0.0.0 lets the lab's machines in, at this machine's address)", flush=True
            )

    def restart_hub(self):
        say("restarting the hub (students' servers keep running)")
        stop_process(self.hub, 30)
        try:
            self.start_hub()
        except Refusal as e:
            say(f"the hub stays down: {e}")
            return False
        say(f"the hub is back (pid {self.hub.pid}); students: {', '.join(self.s['students']) or 'any name'}")
        return True

    def end(self):
        """Ends the class: the hub stops every student's server and itself, then the proxy stops."""
        if self.hub is not None and self.hub.poll() is None:
            try:
                request(
                    f"http://127.0.0.1:{self.hub_port}/hub/api/shutdown",
                    self.service_token,
                    {"servers": True, "proxy": False},
                )
                self.hub.wait(90)  # it stops each server (each shuts its kernels down), then itself
            except (OSError, subprocess.TimeoutExpired) as e:
                say(f"the hub did not stop every server itself ({e}); stopping it")
            stop_process(self.hub, 60)
        if self.proxy is not None:
            stop_process(self.proxy, 10)
        left = sweep(self.folder)
        if left:
            say(f"stopped {left} process(es) of this classroom the hub had left running")
        shutil.rmtree(self.runtime, ignore_errors=True)
        say("the class has ended")

    def run(self):
        self.start_proxy()
        self.start_hub()
        self.how_to()
        while True:
            info = signal.sigtimedwait(HANDLED, 5)
            number = info.si_signo if info else None
            if number in ENDS:
                return 0
            if number == RESTART_HUB:
                if not self.restart_hub():
                    return 1
            if self.proxy.poll() is not None:
                say(f"the proxy exited (code {self.proxy.returncode}); its log ends:\n{self.log_tail('proxy.log')}")
                return 1
            if self.hub.poll() is not None:
                say(f"the hub exited (code {self.hub.returncode}); its log ends:\n{self.log_tail('hub.log')}")
                return 1


def answers(url, token=None):
    try:
        request(url, token)
        return True
    except (OSError, ValueError):
        return False


def request(url, token=None, body=None):
    headers = {"Authorization": f"token {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=10) as r:
        return r.read()


def stop_process(process, grace):
    """SIGTERM, then SIGKILL if it is still there after `grace` seconds (waiting on its exit)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sweep(folder):
    """Ends what is left of this classroom's processes (marked CONVLENS_CLASSROOM=<folder>, Linux /proc)."""
    mark = f"CONVLENS_CLASSROOM={folder}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        pid = int(entry.name)
        if pid == os.getpid():
            continue
        try:
            if mark in (entry / "environ").read_bytes().split(b"\0"):
                found.append(pid)
        except OSError:
            continue
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in found:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in found) and time.monotonic() < deadline:
            signal.sigtimedwait([signal.SIGCHLD], 0.2)
    return len(found)


def process_identity(pid):
    """'<pid> <start time in clock ticks after boot>' (Linux /proc): a pid reused later has another start time."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return f"{pid} {stat.rsplit(')', 1)[1].split()[19]}"


def remove_stale_runtimes(root=None):
    """Removes the runtime folders of classrooms that no longer run (a classroom killed with SIGKILL
    cannot remove its own): ours (same user, a real folder) whose owner file names a process that
    has ended or whose pid now belongs to another process. Folders without an owner file are left.
    The number removed."""
    removed = 0
    for folder in Path(root or tempfile.gettempdir()).glob(RUNTIME_PREFIX + "*"):
        try:
            if folder.is_symlink() or not folder.is_dir() or folder.stat().st_uid != os.getuid():
                continue
            owner = (folder / RUNTIME_OWNER).read_text().strip()
            pid = int(owner.split()[0])
        except (OSError, ValueError, IndexError):
            continue
        try:
            if process_identity(pid) == owner:
                continue  # that classroom still runs
        except (OSError, IndexError):
            pass  # no such process
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def main(argv):
    for name, path in (("JupyterHub", VENV / "bin" / "jupyterhub"), ("configurable-http-proxy", PROXY)):
        if not path.exists():
            say(f"{name} is missing ({path}); run the set-up: npm run setup")
            return 1
    try:
        settings = parse(argv, os.environ)
    except Refusal as e:
        say(f"error: {e}")
        return 2
    signal.signal(signal.SIGCHLD, lambda *_: None)  # delivered, not ignored, so sigtimedwait sees it
    signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)
    stale = remove_stale_runtimes()
    if stale:
        say(f"removed {stale} runtime folder(s) that killed classrooms had left in {tempfile.gettempdir()}")
    classroom = Classroom(settings)
    code = 1
    try:
        code = classroom.run()
    except (RuntimeError, Refusal) as e:
        say(f"error: {e}")
    finally:
        classroom.end()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
