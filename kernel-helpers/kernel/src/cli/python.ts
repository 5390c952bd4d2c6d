// The Python side of an install: the `jupyter` on PATH, the Python that runs it, and what that
// Python knows (sys.prefix, Jupyter's data folders, package versions, the tensorflow wheel's folder),
// asked in one child process.
import { execFileSync } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";

/** The first executable called `name` on PATH, as a shell finds it. */
export function onPath(name: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The Python that runs a `jupyter` script: a python beside it (venv, conda, /usr/bin), else its #! line. */
export function pythonOfJupyter(jupyter: string): string | undefined {
  for (const name of ["python3", "python"]) {
    const beside = join(dirname(jupyter), name);
    if (existsSync(beside)) return beside;
  }
  const shebang = /^#!\s*(\S+)/.exec(readFileSync(jupyter, "utf8").split("\n", 1)[0]);
  return shebang && /python[\d.]*$/.test(shebang[1]) ? shebang[1] : undefined;
}

export interface PythonProbe {
  executable: string;
  version: string;
  prefix: string;
  /** differs from prefix inside a venv */
  basePrefix: string;
  /** versions of the packages convlens cares about (null: not installed) */
  packages: Record<string, string | null>;
  /** Jupyter's user data folder (jupyter_core; honours JUPYTER_DATA_DIR), null without jupyter_core */
  userDataDir: string | null;
  /** every data folder Jupyter searches, first wins; null without jupyter_core */
  dataPath: string[] | null;
  /** the folder of the tensorflow package (libtensorflow_cc.so.2 and include/), found without importing it */
  tensorflowDir: string | null;
}

export const PYTHON_PACKAGES = [
  "jupyterlab",
  "notebook",
  "voila",
  "ipywidgets",
  "jupyterlab_widgets",
  "tensorflow-cpu",
  "tensorflow",
] as const;

const PROBE = `
import json, os, sys, importlib.util as u
from importlib import metadata as md
out = {"executable": sys.executable, "version": sys.version.split()[0], "prefix": sys.prefix,
       "basePrefix": getattr(sys, "base_prefix", sys.prefix), "packages": {}}
for name in json.loads(sys.argv[1]):
    try:
        out["packages"][name] = md.version(name)
    except md.PackageNotFoundError:
        out["packages"][name] = None
try:
    from jupyter_core import paths
    out["userDataDir"], out["dataPath"] = paths.jupyter_data_dir(), paths.jupyter_path()
except ImportError:
    out["userDataDir"], out["dataPath"] = None, None
spec = u.find_spec("tensorflow")
out["tensorflowDir"] = os.path.dirname(spec.origin) if spec and spec.origin else None
print(json.dumps(out))
`;

/** Asks a Python about itself; throws a convlens error naming the Python if it cannot run. */
export function probePython(python: string): PythonProbe {
  try {
    const out = execFileSync(python, ["-c", PROBE, JSON.stringify(PYTHON_PACKAGES)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    return JSON.parse(out) as PythonProbe;
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new Error(`convlens: could not run ${python} (${why}); pass the Python of your Jupyter with --python PATH`);
  }
}

/** The Python to use without --python: the one that runs `jupyter` on PATH, else python3 on PATH. */
export function defaultPython(): { python?: string; jupyter?: string } {
  const jupyter = onPath("jupyter");
  const python = (jupyter && pythonOfJupyter(jupyter)) ?? onPath("python3") ?? onPath("python");
  return { python, jupyter };
}
