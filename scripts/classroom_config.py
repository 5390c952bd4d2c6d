"""JupyterHub configuration of `npm run classroom` (a local hub for a lab session).

scripts/classroom.py checks the options, starts the proxy and runs
`jupyterhub -f scripts/classroom_config.py` with the settings in CONVLENS_CLASSROOM_* variables.
Every file the hub writes is in the classroom folder: its database, its cookie secret, and one
folder per student (the student's home: their notebooks), except Jupyter's runtime files (the
servers' connection files and the kernels' sockets), which are in classroom.py's short temporary
folder, removed when the class ends.
"""

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
NOTEBOOKS = ROOT / "notebooks"
# what each student's folder starts with: the tutorials and the files they open by relative path
TUTORIAL_FOLDERS = ("images", "models")


def setting(name):
    value = os.environ.get(f"CONVLENS_CLASSROOM_{name}")
    if value is None:
        sys.exit(f"convlens: CONVLENS_CLASSROOM_{name} is not set; start the classroom with npm run classroom")
    return value


folder = Path(setting("DIR"))
students = [name for name in setting("STUDENTS").split(",") if name]
cull_after = int(setting("CULL_AFTER"))
runtime = Path(setting("RUNTIME"))

c = get_config()  # noqa: F821 (JupyterHub's config loader defines it)

# The proxy is started by classroom.py, not by the hub, and the hub leaves students' servers
# running when it stops: the hub can restart (kill -USR1 <classroom.py>) while students keep working.
# At the end of the class classroom.py asks the hub to stop them (POST /hub/api/shutdown).
c.JupyterHub.bind_url = f"http://{setting('IP')}:{setting('PORT')}/"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{setting('HUB_PORT')}"
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{setting('PROXY_API_PORT')}"
c.ConfigurableHTTPProxy.auth_token = setting("PROXY_TOKEN")
c.JupyterHub.cleanup_servers = False
c.JupyterHub.db_url = f"sqlite:///{folder / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(folder / "jupyterhub_cookie_secret")

# One password for the class, another for the teacher (JupyterHub's shared-password
# authenticator: the teacher's name can only log in with the teacher's password).
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = setting("PASSWORD")
c.SharedPasswordAuthenticator.admin_password = setting("TEACHER_PASSWORD")
c.Authenticator.admin_users = {setting("TEACHER")}
if students:
    c.Authenticator.allowed_users = set(students)
else:
    c.Authenticator.allow_all = True

# Each student's server is a process of this account (JupyterHub's simple local spawner: no
# system user per student), started in their own folder with the convlens kernel and widgets.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(folder / "students" / "{username}")
c.Spawner.cmd = [str(VENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
# The kernels talk to their server over Unix sockets (jupyter_client's ipc transport), not TCP
# ports: 16 servers choosing free ports at once beside the proxy's and the hub's connections lost
# one to another process before its kernel bound it ("Address already in use"), and the restart on
# new ports left that student's websocket dead (the bench's class part, 2026-12-01). The socket files
# are in each student's runtime folder, under classroom.py's short temporary folder.
c.Spawner.args += ["--KernelManager.transport=ipc"]
c.Spawner.default_url = "/lab"
# A class logs in at once: 16 servers starting together on 2 cores answered after about 32 s, past
# JupyterHub's 30 s default, and every start failed (the bench's class part, 2026-12-01). Room
# for a class of 30 on such a machine; a server that never answers still fails, with the hub's message.
c.Spawner.http_timeout = 180
c.Spawner.start_timeout = 180
c.Spawner.environment = {
    "JUPYTER_PATH": str(VENV / "share" / "jupyter"),
    # marks every process of this classroom (servers, kernels), for classroom.py's last sweep
    "CONVLENS_CLASSROOM": str(folder),
    # how often a server tells the hub when it was last used: often enough for the idle timeout
    "JUPYTERHUB_ACTIVITY_INTERVAL": str(min(300, max(5, cull_after // 3))) if cull_after else "300",
    # Jupyter's runtime files (connection files, the kernels' sockets) in a short folder per student:
    # a socket's path has room for about 107 bytes, and a kernel's is <runtime>/kernel-<uuid>-ipc-<n>
    "JUPYTER_RUNTIME_DIR": lambda spawner: str(runtime / hashlib.sha256(spawner.user.name.encode()).hexdigest()[:12]),
}
# CONVLENS_COMPILE_CACHE=off (the bench's A/B): the kernels compile every cell themselves
if os.environ.get("CONVLENS_COMPILE_CACHE"):
    c.Spawner.environment["CONVLENS_COMPILE_CACHE"] = os.environ["CONVLENS_COMPILE_CACHE"]


def copy_tutorials(spawner):
    """A student's first start: their folder is made with a copy of the tutorial notebooks."""
    home = Path(spawner.home_dir)
    if home.exists():
        return
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{home.name}-", dir=home.parent))
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        shutil.copy2(notebook, staging / notebook.name)
    for name in TUTORIAL_FOLDERS:
        if (NOTEBOOKS / name).is_dir():
            shutil.copytree(NOTEBOOKS / name, staging / name)
    staging.chmod(0o755)
    staging.rename(home)  # whole or not at all: a failed copy is tried again at the next start


c.Spawner.pre_spawn_hook = copy_tutorials

services = [{"name": "convlens-classroom", "api_token": setting("SERVICE_TOKEN")}]
roles = [
    {
        "name": "convlens-classroom",
        "scopes": ["shutdown", "list:users", "read:servers"],
        "services": ["convlens-classroom"],
    }
]
if cull_after:
    c.JupyterHub.last_activity_interval = min(300, max(5, cull_after // 3))
    services.append(
        {
            "name": "idle-culler",
            "command": [
                sys.executable,
                "-m",
                "jupyterhub_idle_culler",
                f"--timeout={cull_after}",
                f"--cull-every={min(300, max(5, cull_after // 3))}",
            ],
        }
    )
    roles.append(
        {
            "name": "idle-culler",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["idle-culler"],
        }
    )
c.JupyterHub.services = services
c.JupyterHub.load_roles = roles
