// `npx convlens install` / `uninstall`: the kernelspec and the prebuilt labextension in one Jupyter
// data folder, and tfjs-node's binding. Only two folders of that data folder are ever written or
// removed, kernels/convlens and labextensions/convlens-widgets, and only when convlens wrote them.
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { kernelSpec, KERNEL_NAME } from "../install-kernelspec";
import type { CliArgs, Location } from "./args";
import { defaultPython, probePython, type PythonProbe } from "./python";
import { ensureBinding, tfjsNodeDir } from "./tfjs-binding";

export const LABEXTENSION_NAME = "convlens-widgets";

/** This package's folder (node_modules/convlens, or kernel-helpers/ in the checkout). */
export const PACKAGE_ROOT = resolve(__dirname, "..", "..");
export const LAUNCHER = join(PACKAGE_ROOT, "dist", "launcher.js");

/** The prebuilt labextension shipped by the convlens-widgets package that convlens depends on. */
export function labextensionSource(): { dir: string; version: string } {
  let pkg: string;
  try {
    pkg = dirname(require.resolve(`${LABEXTENSION_NAME}/package.json`, { paths: [PACKAGE_ROOT] }));
  } catch {
    throw new Error(
      `convlens: the front end (npm package ${LABEXTENSION_NAME}) is not installed; reinstall the kernel (npm install convlens-kernel --ignore-scripts), which depends on it`,
    );
  }
  const dir = join(pkg, "labextension");
  const manifest = join(dir, "package.json");
  const built =
    existsSync(manifest) &&
    (JSON.parse(readFileSync(manifest, "utf8")) as { jupyterlab?: { _build?: unknown } }).jupyterlab?._build;
  if (!built)
    throw new Error(
      `convlens: ${pkg} has no built labextension (labextension/package.json); in the checkout run scripts/setup.sh, else reinstall ${LABEXTENSION_NAME}`,
    );
  return { dir, version: (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version };
}

export interface Target {
  /** the Jupyter data folder: <prefix>/share/jupyter or the user's */
  dataDir: string;
  /** the Python used for tfjs-node's binding and (with --sys-prefix) for the prefix */
  python?: string;
  probe?: PythonProbe;
  /** the same location as a flag, for messages */
  flag: string;
}

export function locationFlag(location: Location): string {
  return location.kind === "prefix" ? `--prefix ${location.path}` : `--${location.kind}`;
}

/** Resolves the command line's location and Python to folders. */
export function resolveTarget(args: Pick<CliArgs, "location" | "python">, needPython: boolean): Target {
  const { location } = args;
  const flag = locationFlag(location);
  let python = args.python;
  if (!python && location.kind === "prefix") {
    python = ["python3", "python"].map((n) => join(resolve(location.path), "bin", n)).find((p) => existsSync(p));
  }
  const found = defaultPython();
  if (!python) python = found.python;
  if (location.kind === "sys-prefix" && !args.python && !found.jupyter) {
    throw new Error(
      "convlens: --sys-prefix means the environment of the `jupyter` on PATH, and there is none; activate the environment that has JupyterLab (source <venv>/bin/activate), or use --prefix PATH",
    );
  }
  if (!python && (needPython || location.kind === "sys-prefix")) {
    throw new Error(
      "convlens: no Python found (no `jupyter` or python3 on PATH); pass the Python of your Jupyter with --python PATH",
    );
  }
  const probe = python && (needPython || location.kind !== "prefix") ? probePython(python) : undefined;
  let dataDir: string;
  if (location.kind === "prefix") dataDir = join(resolve(location.path), "share", "jupyter");
  else if (location.kind === "sys-prefix") dataDir = join(probe!.prefix, "share", "jupyter");
  else dataDir = probe?.userDataDir ?? join(homedir(), ".local", "share", "jupyter");
  return { dataDir, python, probe, flag };
}

/** True if the folder holds a kernelspec that convlens wrote (its metadata says so). */
function isOurKernelspec(dir: string): boolean {
  try {
    const spec = JSON.parse(readFileSync(join(dir, "kernel.json"), "utf8")) as { metadata?: { convlens?: unknown } };
    return spec.metadata?.convlens !== undefined;
  } catch {
    return false;
  }
}

/** True if the folder holds the convlens-widgets labextension (a copy, or a link the old set-up made). */
function isOurLabextension(dir: string): boolean {
  try {
    return (
      (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string }).name === LABEXTENSION_NAME
    );
  } catch {
    return lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
  }
}

export function kernelspecDir(dataDir: string): string {
  return join(dataDir, "kernels", KERNEL_NAME);
}

export function labextensionDir(dataDir: string): string {
  return join(dataDir, "labextensions", LABEXTENSION_NAME);
}

function refuseForeign(dir: string, ours: (dir: string) => boolean, what: string): void {
  if (lstatSync(dir, { throwIfNoEntry: false }) && !ours(dir)) {
    throw new Error(
      `convlens: ${dir} exists and is not a ${what} that convlens wrote; move it away (or remove it) and run again`,
    );
  }
}

export function install(args: CliArgs, log: (line: string) => void): void {
  const target = resolveTarget(args, true);
  const probe = target.probe!;
  const frontEnd = labextensionSource();
  const kernelDir = kernelspecDir(target.dataDir);
  const extDir = labextensionDir(target.dataDir);
  refuseForeign(kernelDir, isOurKernelspec, "kernelspec");
  refuseForeign(extDir, isOurLabextension, "labextension");

  // The binding first: it is what most often fails, and then nothing is written into Jupyter.
  const tfjs = tfjsNodeDir(PACKAGE_ROOT);
  const binding = ensureBinding(tfjs, probe.tensorflowDir, log);
  log(
    binding === "built"
      ? `tfjs-node's binding built against ${probe.tensorflowDir}`
      : "tfjs-node's native binding already loads",
  );

  mkdirSync(kernelDir, { recursive: true });
  writeFileSync(join(kernelDir, "kernel.json"), JSON.stringify(kernelSpec(LAUNCHER, process.execPath), null, 2) + "\n");
  log(`kernelspec "${KERNEL_NAME}" written to ${kernelDir}`);

  // A copy, as a prebuilt extension is installed: Voila serves an extension's files only from inside
  // the data folder, and refuses them through a link out of it (403).
  rmSync(extDir, { recursive: true, force: true });
  mkdirSync(dirname(extDir), { recursive: true });
  cpSync(frontEnd.dir, extDir, { recursive: true, filter: (src) => !src.endsWith(".convlens-stamp") });
  log(`labextension ${LABEXTENSION_NAME} ${frontEnd.version} copied to ${extDir}`);

  if (!probe.packages.jupyterlab_widgets) {
    log(
      `warning: ${probe.executable} has no ipywidgets; the widgets need its front end: ${probe.executable} -m pip install ipywidgets==8.1.9`,
    );
  }
  if (probe.dataPath && !probe.dataPath.includes(target.dataDir)) {
    log(
      `note: ${probe.executable}'s Jupyter does not search ${target.dataDir}; add it with JUPYTER_PATH=${target.dataDir}`,
    );
  }
  log(`done; check with: npx convlens doctor`);
}

export function uninstall(args: CliArgs, log: (line: string) => void): void {
  const target = resolveTarget(args, false);
  let removed = 0;
  for (const [dir, ours, what] of [
    [kernelspecDir(target.dataDir), isOurKernelspec, "kernelspec"],
    [labextensionDir(target.dataDir), isOurLabextension, "labextension"],
  ] as const) {
    if (!lstatSync(dir, { throwIfNoEntry: false })) {
      log(`no convlens ${what} at ${dir}`);
      continue;
    }
    refuseForeign(dir, ours, what);
    rmSync(dir, { recursive: true, force: true });
    log(`removed the ${what} ${dir}`);
    removed++;
  }
  if (removed === 0) log(`nothing to remove for ${target.flag}`);
  log("tfjs-node's binding stays inside its npm package; npm uninstall convlens removes it with the package");
}
