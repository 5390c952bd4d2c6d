"""Issue 18 item 3: a class at once, as a load test (not a timed test). `npm run bench` runs it for
BENCH_ONLY=class (bench/class-rows.ts); alone: .venv/bin/python bench/class_load.py [--out result.json].

16 students (threads) log in through the hub's form, start their servers, open a convlens kernel over
the websocket through the proxy, and run notebook 01's cells at the same moment, as a class does when
the teacher says "run the next cell": every code cell in order (the seed cell twice); then each
switches the explorer's layer several times through comm messages, as the widget's dropdown does
(comm_msg {method: "update", state: {layer_index}}; done when the kernel's update with the new
layer's panels arrives). Before the class, one student alone ("solo") runs the cells up to the seed's,
for comparison, and stops. After the class nobody does anything: the idle culler must stop every server (and so
every kernel) and the memory must come back; last, two students start again and the class ends
(Ctrl+C) with their kernels running, which must end them too.

Measured: each step's time per student (execute_request sent → reply and idle), each switch's time,
errors (error outputs, stderr, failed replies, exceptions, timeouts), the kernel's CPU seconds per
step (utime + stime from /proc/<pid>/stat), its VmRSS and VmHWM, the hub's, the proxy's and the whole
classroom's RSS (sampled every second), MemAvailable before, at its lowest, and after culling.
One JSON object on stdout (or --out). Linux only (/proc), loopback only, every wait bounded; the
classroom is closed in `finally` whatever happens.
"""
import argparse
import json
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path

import requests
import websocket

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "test"), str(ROOT / "test" / "classroom")]
from classroom_harness import LAUNCHER, Classroom, KernelChannel, Student, alive, children_of, classroom_processes, cmdline, kernel_pid  # noqa: E402
from jupyter_server.services.kernels.connection.base import deserialize_binary_message  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "01-visualise-filters-and-feature-maps.ipynb"


def notebook_steps(path=NOTEBOOK):
    """Notebook 01's code cells as the class runs them, in order, each under its step's name: its
    first cell "import" (the imports, the model, its summary), the seed cell (a photo's first-layer
    feature maps, the one with showFeatureMaps) "seed1" and again at once "seed2", the explorer's cell
    "explorer", the others "cell <n>". The cells' own text, as a student's notebook sends it: the
    kernel may take those the set-up compiled from its cache (kernel compile-cache.ts)."""
    cells = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    steps = {}
    for n, code in enumerate(cells, 1):
        if n == 1:
            steps["import"] = code
        elif "showFeatureMaps(" in code and "seed1" not in steps:
            steps["seed1"] = steps["seed2"] = code
        elif "explore(" in code and "explorer" not in steps:
            steps["explorer"] = code
        else:
            steps[f"cell {n}"] = code
    missing = [name for name in ("import", "seed1", "explorer") if name not in steps]
    if missing:
        raise SystemExit(f"convlens class load: {path.name} has no {', '.join(missing)} cell any more: update notebook_steps")
    return steps


CELLS = notebook_steps()

TICK = os.sysconf("SC_CLK_TCK")
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def log(text):
    print(f"convlens class load: {text}", file=sys.stderr, flush=True)


# ---- /proc -----------------------------------------------------------------------------------

def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds; None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def status_mb(pid, key):
    """VmRSS / VmHWM of a process in MB; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def rss_mb(pid):
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_MB
    except (OSError, IndexError):
        return 0.0


def pss_mb(pid):
    """Proportional set size: shared pages (node, libtensorflow) counted once across the processes."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def mem_available_mb():
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def is_kernel(pid):
    return LAUNCHER in cmdline(pid)


# ---- the classroom -----------------------------------------------------------------------------

class Room(Classroom):
    """The harness's Classroom, closed even when its start fails (the harness's __init__ leaves it running then)."""

    def __init__(self, folder, **kwargs):
        self.known = set()
        self.process = None
        self.folder = Path(folder).resolve()
        try:
            super().__init__(folder, **kwargs)
        except BaseException:
            if self.process is not None:
                self.close()
            raise

    def processes(self):
        """Every live process of the class by role: the supervisor (classroom.py), hub, proxy, the hub's
        services (the idle culler), the students' servers and kernels (and anything they started)."""
        roles = {"supervisor": [self.process.pid] if alive(self.process.pid) else [], "hub": [], "proxy": [], "services": [],
                 "servers": [], "kernels": [], "other": []}
        marked = classroom_processes(self.folder)
        for role, pid in self.children().items():
            roles[role].append(pid)
            if role == "hub":  # its children: the students' servers (counted below) and its services
                roles["services"] += [child for child in children_of(pid) if child not in marked]
        for pid in marked:
            line = cmdline(pid)
            roles["kernels" if LAUNCHER in line else "servers" if "jupyterhub-singleuser" in line else "other"].append(pid)
        return roles


def memory_snapshot(room, with_pss=False):
    roles = room.processes()
    snap = {"t": time.monotonic(), "mem_available_mb": mem_available_mb()}
    total = 0.0
    for role, found in roles.items():
        mb = sum(rss_mb(p) for p in found)
        snap[f"{role}_rss_mb"] = mb
        total += mb
    snap["total_rss_mb"] = total
    snap["kernels"] = len(roles["kernels"])
    snap["other"] = sorted({cmdline(p)[:120] for p in roles["other"]})
    snap["servers"] = len(roles["servers"])
    if with_pss:
        snap["total_pss_mb"] = sum(pss_mb(p) for found in roles.values() for p in found)
    return snap


class Sampler(threading.Thread):
    """Every second: MemAvailable and the class's RSS by role; keeps the peaks. Snapshots with PSS on demand."""

    def __init__(self, room):
        super().__init__(daemon=True)
        self.room = room
        self.stopping = threading.Event()
        self.peaks = {}
        self.lowest_available = None
        self.samples = 0
        self.other = set()  # what the class ran besides servers and kernels

    def run(self):
        while not self.stopping.wait(1.0):
            try:
                snap = memory_snapshot(self.room)
            except Exception:  # a process ending mid-read; the next second reads again
                continue
            self.samples += 1
            self.other.update(snap["other"])
            for key, value in snap.items():
                if key.endswith("_mb") and key != "mem_available_mb":
                    self.peaks[key] = max(self.peaks.get(key, 0.0), value)
            if self.lowest_available is None or snap["mem_available_mb"] < self.lowest_available:
                self.lowest_available = snap["mem_available_mb"]

    def stop(self):
        self.stopping.set()
        self.join(5)


# ---- students --------------------------------------------------------------------------------

class Gate:
    """A barrier for the class: every student still in it starts the next step at the same moment.
    A student who fails leaves the class (leave()); a student waiting keeps their page's polling
    going (keepalive, every 10 s), as JupyterLab polls the server while it is open."""

    def __init__(self, parties, timeout, on_open=None):
        self.parties = parties
        self.timeout = timeout
        self.on_open = on_open  # called with the step's name as it opens
        self.cond = threading.Condition()
        self.count = 0
        self.generation = 0
        self.broken = None
        self.opened = []  # (step name, monotonic time it opened)

    def _open(self, name):
        self.generation += 1
        self.count = 0
        self.opened.append((name, time.monotonic()))
        if self.on_open:
            self.on_open(name)
        self.cond.notify_all()

    def wait(self, name, keepalive=None):
        deadline = time.monotonic() + self.timeout
        with self.cond:
            if self.broken:
                raise RuntimeError(self.broken)
            generation = self.generation
            self.count += 1
            if self.count >= self.parties:
                self._open(name)
                return
        while True:
            with self.cond:
                self.cond.wait(min(10.0, max(0.0, deadline - time.monotonic())))
                if self.generation != generation:
                    return
                if self.broken:
                    raise RuntimeError(self.broken)
                if time.monotonic() >= deadline:
                    self.broken = f"the class did not all reach {name!r} within {self.timeout} s"
                    self.cond.notify_all()
                    raise RuntimeError(self.broken)
            if keepalive:
                try:
                    keepalive()
                except Exception:
                    pass

    def leave(self, name):
        with self.cond:
            self.parties -= 1
            if self.count and self.count >= self.parties:
                self._open(name)


class Channel(KernelChannel):
    """The harness's KernelChannel with a reader thread: every message timestamped as it arrives
    (binary frames decoded: a widget's state comes with its buffers), and the websocket's pings
    answered while the student waits for the class."""

    def __init__(self, url, headers):
        super().__init__(url, headers)
        self.inbox = queue.Queue()
        self.problems = []  # error outputs and stderr seen on this channel, whatever request they belong to
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                frame = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except Exception as e:  # closed (by us, or by the server or the proxy)
                self.inbox.put((time.monotonic(), e))
                return
            at = time.monotonic()
            if not frame:
                continue
            msg = json.loads(frame) if isinstance(frame, str) else deserialize_binary_message(bytes(frame))
            if msg.get("msg_type") == "error" or (msg.get("msg_type") == "stream" and msg["content"].get("name") == "stderr"):
                self.problems.append(msg["content"])
            self.inbox.put((at, msg))

    def next(self, deadline, what):
        try:
            at, msg = self.inbox.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError(f"{what}: no answer from the kernel in time") from None
        if isinstance(msg, Exception):
            raise RuntimeError(f"{what}: the websocket closed ({msg!r})")
        return at, msg

    def run(self, code, timeout):
        """Runs a cell; (seconds from execute_request to reply-and-idle, reply content, outputs)."""
        sent = time.monotonic()
        msg_id = self.send_execute(code)
        reply, outputs, idle_at, reply_at = None, [], None, None
        while reply is None or idle_at is None:
            at, msg = self.next(sent + timeout, "a cell")
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["channel"] == "shell":
                reply, reply_at = msg["content"], at
            elif msg["msg_type"] == "status":
                if msg["content"]["execution_state"] == "idle":
                    idle_at = at
            else:
                outputs.append(msg)
        return max(reply_at, idle_at) - sent, reply, outputs

    def switch_layer(self, comm_id, layer_index, timeout):
        """What the explorer's layer dropdown does; seconds until the kernel's update with that layer's panels."""
        sent = time.monotonic()
        self.ws.send(json.dumps({
            "header": {"msg_id": uuid.uuid4().hex, "username": "student", "session": self.session, "msg_type": "comm_msg", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"comm_id": comm_id, "data": {"method": "update", "state": {"layer_index": layer_index}, "buffer_paths": []}},
        }))
        while True:
            at, msg = self.next(sent + timeout, f"switch to layer {layer_index}")
            if msg.get("msg_type") != "comm_msg" or msg["content"].get("comm_id") != comm_id:
                continue
            data = msg["content"].get("data", {})
            state = data.get("state", {})
            if data.get("method") != "update":
                continue
            if "panels" in state:
                shown = state["panels"][0].get("layer", {}).get("index") if state["panels"] else None
                if shown != layer_index:
                    raise RuntimeError(f"switch to layer {layer_index}: the kernel sent layer {shown}")
                return at - sent
            if str(state.get("status", "")).startswith("convlens"):
                raise RuntimeError(f"switch to layer {layer_index}: {state['status']}")


def problems_of(reply, outputs):
    found = [f"{m['content'].get('ename')}: {m['content'].get('evalue')}" for m in outputs if m["msg_type"] == "error"]
    found += [f"stderr: {m['content']['text'].strip()[:300]}" for m in outputs if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"]
    if reply.get("status") != "ok" and not found:
        found.append(f"reply status {reply.get('status')}: {reply.get('ename')} {reply.get('evalue')}")
    return found


class Pupil:
    """One student's session and everything measured for them."""

    def __init__(self, name, run):
        self.name = name
        self.run = run
        self.student = None
        self.channel = None
        self.kernel_id = None
        self.pid = None
        self.comm_id = None
        self.layers = []
        self.cell_problems = 0  # error outputs and stderr the cells' outputs had (the channel's others are stray)
        self.r = {"name": name, "steps": {}, "switches": [], "errors": [], "failed_at": None}

    def error(self, step, text):
        self.r["errors"].append({"student": self.name, "step": step, "error": text})

    def step(self, name, work):
        """Runs work unless the student already failed; an exception makes them leave the class."""
        if self.r["failed_at"]:
            return False
        try:
            work()
            return True
        except Exception as e:
            self.error(name, f"{type(e).__name__}: {e}".strip()[:600])
            self.r["failed_at"] = name
            return False

    def keepalive(self):
        if self.student is not None:
            self.student.api("GET", "kernels", timeout=10)

    def log_in_and_start(self):
        t0 = time.monotonic()
        self.student = Student(self.run.room, self.name)
        t1 = time.monotonic()
        attempts = 0
        while True:
            attempts += 1
            try:
                self.student.start_server(timeout=self.run.args.step_timeout)
                break
            except AssertionError as e:
                # the hub says the spawn failed (e.g. "didn't respond in 30 seconds"): an error, counted;
                # the student presses start again, as on the hub's page, once the hub has cleaned up, and
                # not all at the same moment (together, the same contention fails them again)
                if attempts > self.run.args.spawn_retries:
                    raise
                self.error("log-in", f"server start, attempt {attempts}: {e}"[:600])
                deadline = time.monotonic() + 120
                while self.student.server() is not None and time.monotonic() < deadline:
                    time.sleep(1)
                time.sleep(self.run.retry_slot() * self.run.args.retry_stagger)
        t2 = time.monotonic()
        self.r["login_s"], self.r["server_s"], self.r["ready_at"], self.r["spawn_attempts"] = t1 - t0, t2 - t1, t2, attempts

    def open_kernel(self):
        t0 = time.monotonic()
        self.kernel_id = self.student.start_kernel()
        self.channel = Channel(f"{self.student.url.replace('http', 'ws')}/user/{self.name}/api/kernels/{self.kernel_id}/channels", self.student.headers)
        self.r["kernel_start_s"] = time.monotonic() - t0
        deadline = time.monotonic() + 60
        while self.pid is None and time.monotonic() < deadline:
            self.pid = kernel_pid(self.run.room.folder, self.kernel_id)
            time.sleep(0.0 if self.pid else 0.5)
        if self.pid is None:
            raise RuntimeError(f"kernel {self.kernel_id}: its process was not found in /proc")
        self.r["kernel_pid"] = self.pid
        self.run.kernel_pids.add(self.pid)
        # the kernel answered kernel_info (the websocket opened after it): its start and warm-up are done
        self.r["kernel_start_cpu_s"] = cpu_seconds(self.pid)

    def cell(self, name):
        before = cpu_seconds(self.pid)
        seconds, reply, outputs = self.channel.run(CELLS[name], self.run.args.step_timeout)
        after = cpu_seconds(self.pid)
        self.r["steps"][name] = {"seconds": seconds, "cpu_s": None if before is None or after is None else after - before,
                                 "rss_mb": status_mb(self.pid, "VmRSS")}
        for problem in problems_of(reply, outputs):
            self.error(name, problem)
        self.cell_problems += sum(m["msg_type"] == "error" or (m["msg_type"] == "stream" and m["content"]["name"] == "stderr") for m in outputs)
        if name == "explorer":
            opens = [m for m in outputs if m["msg_type"] == "comm_open" and m["content"]["data"]["state"].get("layers")]
            if not opens:
                raise RuntimeError("the explorer cell opened no widget with layers")
            state = opens[-1]["content"]["data"]["state"]
            self.comm_id = opens[-1]["content"]["comm_id"]
            self.layers = [layer["index"] for layer in state["layers"]]
            self.r["explorer_start_layer"] = state["layer_index"]

    def switch(self, number):
        start = self.r["explorer_start_layer"]
        others = [i for i in self.layers if i != start]
        # each student's own order through the layers, as a class clicks around; every other switch goes back
        offset = int(self.name.lstrip("s") or 0) if self.name.lstrip("s").isdigit() else 0
        target = start if number % 2 == 1 else others[(number // 2 + offset) % len(others)]
        before = cpu_seconds(self.pid)
        seconds = self.channel.switch_layer(self.comm_id, target, self.run.args.step_timeout)
        after = cpu_seconds(self.pid)
        self.r["switches"].append({"layer": target, "seconds": seconds, "cpu_s": None if before is None or after is None else after - before})

    def main(self):
        gate = self.run.gate
        where = "log-in"
        try:
            gate.wait(where)
            self.step(where, self.log_in_and_start)
            where = "kernel"
            gate.wait(where, keepalive=self.keepalive)  # the first servers wait for the last: the page polls meanwhile
            self.step(where, self.open_kernel)
            for name in CELLS:
                where = name
                # the page polls while its student waits for the class: a server with no activity
                # for the classroom's idle timeout is culled (15 of them were, 2026-12-01 08:21,
                # while the class waited two minutes for one kernel)
                gate.wait(where, keepalive=self.keepalive)
                self.step(name, lambda: self.cell(name))
                if name == "seed2":
                    self.r["rss_after_seed_mb"] = status_mb(self.pid, "VmRSS") if self.pid else None
            for number in range(self.run.args.switches):
                where = f"switch {number + 1}"
                gate.wait(where, keepalive=self.keepalive)
                self.step(where, lambda: self.switch(number))
            if self.pid:
                self.r["rss_after_switches_mb"] = status_mb(self.pid, "VmRSS")
                self.r["hwm_mb"] = status_mb(self.pid, "VmHWM")
                # what of the RSS is the kernel's own (anonymous) and what is mapped files, libtensorflow's
                # pages mostly, which all kernels share; PSS splits the shared pages between the processes
                self.r["rss_anon_mb"] = status_mb(self.pid, "RssAnon")
                self.r["rss_file_mb"] = status_mb(self.pid, "RssFile")
                self.r["pss_after_switches_mb"] = pss_mb(self.pid)
            where = "done"
            gate.wait(where, keepalive=self.keepalive)
        except Exception as e:
            self.error(where, f"{type(e).__name__}: {e}"[:600])
            self.r["failed_at"] = self.r["failed_at"] or where
        finally:
            if self.channel is not None:
                self.channel.close()
                stray = self.channel.problems[self.cell_problems:] if len(self.channel.problems) > self.cell_problems else []
                for content in stray:  # e.g. stderr or an error while the kernel answered a switch
                    self.error("outside a cell", json.dumps(content, default=str)[:600])
            gate.leave(where)


# ---- the run ---------------------------------------------------------------------------------

class Run:
    def __init__(self, args):
        self.args = args
        self.names = [f"s{i:02d}" for i in range(1, args.students + 1)]
        self.room = None
        self.gate = Gate(args.students, args.step_timeout, on_open=self.cpu_at)
        self.kernel_pids = set()
        self.retries = 0
        self.lock = threading.Lock()
        self.result = {
            "students": args.students, "switches": args.switches, "cull_after": args.cull_after, "cores": os.cpu_count(),
            "mem_total_mb": int(Path("/proc/meminfo").read_text().split()[1]) / 1024, "load_before": list(os.getloadavg()),
            "cells": CELLS, "notebook": str(NOTEBOOK.relative_to(ROOT)),
            "compile_cache": os.environ.get("CONVLENS_COMPILE_CACHE", "on"),
            "errors": [],
        }

    def error(self, step, text):
        self.result["errors"].append({"student": None, "step": step, "error": text[:600]})

    def cpu_at(self, step):
        """CPU seconds so far by role as step `step` opens (the bench's own process as "students"):
        between two openings, where the machine's CPU went while the class ran a step."""
        if self.room is None:
            return
        snap = {role: sum(cpu_seconds(p) or 0.0 for p in pids) for role, pids in self.room.processes().items()}
        own = os.times()
        snap["students"] = own.user + own.system
        snap["t"] = time.monotonic()
        self.result.setdefault("cpu_at_step", {})[step] = snap

    def retry_slot(self):
        with self.lock:
            self.retries += 1
            return self.retries - 1

    def kernels_alive(self):
        """The kernels this run saw that still run (their pid still a convlens kernel)."""
        return sorted(pid for pid in self.kernel_pids if alive(pid) and is_kernel(pid))

    def class_kernels(self):
        return [pid for pid in classroom_processes(self.room.folder) if is_kernel(pid)]

    def students(self):
        t0 = time.monotonic()
        pupils = [Pupil(name, self) for name in self.names]
        threads = [threading.Thread(target=p.main, name=p.name, daemon=True) for p in pupils]
        for t in threads:
            t.start()
        deadline = t0 + self.args.step_timeout * (6 + self.args.switches)
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        if any(t.is_alive() for t in threads):
            self.error("class", f"students still busy after {deadline - t0:.0f} s: {[t.name for t in threads if t.is_alive()]}")
        self.result["per_student"] = [p.r for p in pupils]
        for p in pupils:
            self.result["errors"] += p.r["errors"]
        opened = dict(self.gate.opened)
        readies = [p.r["ready_at"] for p in pupils if "ready_at" in p.r]
        if "log-in" in opened and readies:
            self.result["spawn_all_s"] = max(readies) - opened["log-in"]
        self.result["steps_opened_s"] = {name: at - t0 for name, at in self.gate.opened}
        return pupils

    def cull(self, pupils):
        """Nobody works any more: the idle culler must stop every server, and every kernel must end."""
        interval = min(300, max(5, self.args.cull_after // 3))
        limit = self.args.cull_after + 3 * interval + 60
        idle_from = time.monotonic()
        culling = {"limit_s": limit}
        logged_in = [p for p in pupils if p.student is not None]

        def running():
            left = []
            for p in logged_in:
                try:
                    if p.student.server() is not None:
                        left.append(p.name)
                except requests.RequestException:
                    left.append(p.name)
            return left

        left = running()
        while (left or self.class_kernels()) and time.monotonic() - idle_from < limit:
            time.sleep(2)
            left = running()
        processes = self.room.processes()
        culling["servers_left"] = left
        culling["culled"] = not left and not processes["servers"] and not processes["kernels"]
        culling["seconds"] = time.monotonic() - idle_from
        if not culling["culled"]:
            self.error("culling", f"not every server stopped within {limit} s of the last use: {left}; stopped through the hub's API")
            for p in logged_in:
                try:
                    requests.delete(f"{p.student.url}/hub/api/users/{p.name}/server", headers=p.student.headers, timeout=30)
                except requests.RequestException as e:
                    self.error("culling", f"stopping {p.name}'s server through the API: {e}")
            deadline = time.monotonic() + 90
            while (self.class_kernels() or running()) and time.monotonic() < deadline:
                time.sleep(1)
            culling["stopped_by_api"] = True
        culling["kernels_alive_after"] = len(self.kernels_alive())
        culling["servers_alive_after"] = len(self.room.processes()["servers"])
        # memory comes back: the kernels' pages go at exit; wait a little for MemAvailable to settle
        margin = self.args.memory_margin_mb
        before = self.result["memory"]["before"]["mem_available_mb"]
        deadline = time.monotonic() + 30
        while mem_available_mb() < before - margin and time.monotonic() < deadline:
            time.sleep(1)
        after = memory_snapshot(self.room, with_pss=True)
        self.result["memory"]["after_culling"] = after
        culling["memory_back"] = after["mem_available_mb"] >= before - margin
        self.result["culling"] = culling

    def solo(self):
        """One student alone first (not one of the class): the same cells without the class around, for comparison."""
        p = Pupil("solo", self)
        if p.step("solo: log-in", p.log_in_and_start) and p.step("solo: kernel", p.open_kernel):
            for name in list(CELLS)[: list(CELLS).index("seed2") + 1]:
                p.step(f"solo: {name}", lambda: p.cell(name))
        if p.channel is not None:
            p.channel.close()
        if p.student is not None:
            requests.delete(f"{p.student.url}/hub/api/users/solo/server", headers=p.student.headers, timeout=30)
            deadline = time.monotonic() + 90
            while (p.student.server() is not None or self.kernels_alive()) and time.monotonic() < deadline:
                time.sleep(1)
        self.result["solo"] = p.r
        self.result["errors"] += p.r["errors"]

    def end_with_kernels(self):
        """A few students work again; Ctrl+C ends the class with their kernels running."""
        end = {"students": self.names[: self.args.end_kernels]}
        pupils = []
        for name in end["students"]:
            p = Pupil(name, self)
            if p.step("restart", p.log_in_and_start) and p.step("restart kernel", p.open_kernel):
                pupils.append(p)
            self.result["errors"] += p.r["errors"]
        for p in pupils:
            p.channel.close()
        end["kernels_before"] = len(self.class_kernels())
        hub_and_proxy = list(self.room.children().values())
        end["interrupt_code"] = self.room.interrupt(120)
        end["ended_line"] = "the class has ended" in "".join(self.room.output)
        end["left_running_line"] = "process(es) of this classroom the hub had left running" in "".join(self.room.output)
        end["kernels_alive_after"] = len(self.kernels_alive())
        end["processes_left"] = len(classroom_processes(self.room.folder)) + sum(alive(pid) for pid in hub_and_proxy)
        if end["kernels_before"] != len(pupils) or end["interrupt_code"] != 0 or end["processes_left"] or end["kernels_alive_after"]:
            self.error("end of class", json.dumps(end))
        self.result["end"] = end

    def main(self):
        started = time.monotonic()
        folder = Path(tempfile.mkdtemp(prefix="convlens-class-load-")) / "classroom"
        self.result["folder"] = str(folder)
        sampler = None
        try:
            log(f"starting a classroom for {len(self.names)} students in {folder}")
            self.room = Room(folder, students=",".join(self.names + ["solo"]), cull_after=self.args.cull_after)
            if self.args.solo:
                log("one student alone first")
                self.solo()
            self.result["memory"] = {"margin_mb": self.args.memory_margin_mb, "before": memory_snapshot(self.room, with_pss=True)}
            sampler = Sampler(self.room)
            sampler.start()
            log(f"the hub is up ({time.monotonic() - started:.0f} s); {len(self.names)} students log in at once")
            pupils = self.students()
            self.result["memory"]["after_switches"] = memory_snapshot(self.room, with_pss=True)
            sampler.stop()
            self.result["memory"]["peak"] = {**sampler.peaks, "lowest_mem_available_mb": sampler.lowest_available, "samples": sampler.samples,
                                           "other_processes": sorted(sampler.other)}
            self.result["hub_cpu_s"] = sum(cpu_seconds(p) or 0 for p in self.room.processes()["hub"])
            self.result["proxy_cpu_s"] = sum(cpu_seconds(p) or 0 for p in self.room.processes()["proxy"])
            log(f"the class worked ({time.monotonic() - started:.0f} s, {len(self.result['errors'])} errors); now idle: waiting for the culler")
            self.cull(pupils)
            log(f"culling done ({time.monotonic() - started:.0f} s); {self.args.end_kernels} students start again, then the class ends")
            if self.args.end_kernels:
                self.end_with_kernels()
        except Exception as e:
            self.error("run", f"{type(e).__name__}: {e}\n{traceback.format_exc()[-1500:]}")
        finally:
            if sampler is not None and sampler.is_alive():
                sampler.stop()
            if self.room is not None:
                self.room.close()
                time.sleep(1)
                self.result["kernels_left"] = len(set(self.kernels_alive()) | set(self.class_kernels()))
                self.result["processes_left"] = len(classroom_processes(self.room.folder))
            self.result["load_after"] = list(os.getloadavg())
            self.result["seconds"] = time.monotonic() - started
        if self.result["errors"] or self.args.keep:
            log(f"kept {folder.parent} (logs/ has the hub's and the proxy's logs)")
        else:
            shutil.rmtree(folder.parent, ignore_errors=True)
        return self.result


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, default=16)
    p.add_argument("--switches", type=int, default=6, help="explorer layer switches per student (default 6)")
    p.add_argument("--cull-after", type=int, default=60, help="the classroom's idle timeout in seconds (default 60)")
    p.add_argument("--end-kernels", type=int, default=2, help="students who start again before the class ends (default 2)")
    p.add_argument("--spawn-retries", type=int, default=2, help="a student whose server start failed starts it again, up to this many times")
    p.add_argument("--retry-stagger", type=float, default=5.0, help="seconds between students starting a failed server again")
    p.add_argument("--step-timeout", type=int, default=600, help="an upper bound for one step of the class, in seconds")
    p.add_argument("--memory-margin-mb", type=int, default=1024, help="MemAvailable after culling may be this much below the start")
    p.add_argument("--no-solo", dest="solo", action="store_false", help="skip the lone student's run before the class")
    p.add_argument("--out", help="write the JSON here instead of stdout")
    p.add_argument("--keep", action="store_true", help="keep the classroom folder (otherwise kept only after errors)")
    args = p.parse_args(argv)
    if not sys.platform.startswith("linux"):
        sys.exit("convlens class load: Linux only (processes and memory are read from /proc)")

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    result = Run(args).main()
    text = json.dumps(result, indent=1, default=str)
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
