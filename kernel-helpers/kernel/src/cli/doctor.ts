// `npx convlens doctor`: what a Jupyter on PATH will find of convlens, and for each missing piece the
// command that fixes it. It changes nothing.
import { existsSync, lstatSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { KERNEL_NAME, kernelSpec } from "../install-kernelspec";
import { kernelspecDir, LABEXTENSION_NAME, labextensionDir, LAUNCHER, PACKAGE_ROOT } from "./install";
import { defaultPython, probePython, PYTHON_PACKAGES, type PythonProbe } from "./python";
import { bindingTensorflow, checkBackend, packageVersion, tfjsNodeDir } from "./tfjs-binding";

export interface Finding {
  ok: boolean;
  what: string;
  /** the command (or step) that fixes it, when not ok */
  fix?: string;
}

/** A check that threw a convlens error: its message (without the prefix) as what is missing. */
function failed(error: unknown, fix: string): Finding {
  return { ok: false, what: (error as Error).message.replace(/^convlens: /, ""), fix };
}

export interface DoctorReport {
  /** informational lines: versions and places */
  facts: string[];
  findings: Finding[];
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** The install command a doctor suggests: --sys-prefix inside a venv or conda env, else --user. */
function installCommand(probe: PythonProbe | undefined): string {
  const inEnv = probe && (probe.prefix !== probe.basePrefix || existsSync(join(probe.prefix, "conda-meta")));
  return `npx convlens install ${inEnv ? "--sys-prefix" : "--user"}`;
}

/** What installs all three packages: the kernel's depends on the library and the front end. */
const INSTALL_PACKAGES = "npm install convlens-kernel --ignore-scripts";

export function diagnose(): DoctorReport {
  const facts: string[] = [];
  const findings: Finding[] = [];
  facts.push(`convlens-kernel ${packageVersion(PACKAGE_ROOT)}  ${PACKAGE_ROOT}`);
  facts.push(`node ${process.versions.node}  ${process.execPath}`);

  // the library cells import and the front end, as the kernel's package finds them
  let widgetsVersion: string | undefined;
  for (const [name, role] of [
    ["convlens", "the library notebooks import"],
    [LABEXTENSION_NAME, "the front end"],
  ] as const) {
    try {
      const dir = join(require.resolve(`${name}/package.json`, { paths: [PACKAGE_ROOT] }), "..");
      const version = packageVersion(dir);
      if (name === LABEXTENSION_NAME) widgetsVersion = version;
      facts.push(`${name} ${version}  ${dir}`);
    } catch {
      findings.push({ ok: false, what: `npm package ${name} (${role}) is not installed`, fix: INSTALL_PACKAGES });
    }
  }

  const { python, jupyter } = defaultPython();
  let probe: PythonProbe | undefined;
  if (!jupyter) {
    findings.push({
      ok: false,
      what: "no `jupyter` on PATH",
      fix: "activate the Python environment that has JupyterLab, or: pip install jupyterlab==4.6.6 ipywidgets==8.1.9 tensorflow-cpu==2.21.0",
    });
  } else if (python) {
    try {
      probe = probePython(python);
    } catch (e) {
      findings.push(failed(e, "reinstall that Python environment"));
    }
  }
  if (probe) {
    facts.push(`jupyter ${jupyter}  (python ${probe.version}, sys.prefix ${probe.prefix})`);
    // the tensorflow-cpu wheel is its own distribution; "tensorflow" only matters without it
    const shown = PYTHON_PACKAGES.filter((p) => p !== "tensorflow" || !probe!.packages["tensorflow-cpu"]);
    facts.push(shown.map((p) => `${p} ${probe!.packages[p] ?? "-"}`).join(" · "));
    if (!probe.packages.jupyterlab && !probe.packages.notebook && !probe.packages.voila) {
      findings.push({
        ok: false,
        what: `no JupyterLab, Notebook or Voila in ${probe.prefix}`,
        fix: `${probe.executable} -m pip install jupyterlab==4.6.6`,
      });
    }
    if (!probe.packages.jupyterlab_widgets) {
      findings.push({
        ok: false,
        what: `no ipywidgets front end (jupyterlab_widgets) in ${probe.prefix}: widgets cannot render`,
        fix: `${probe.executable} -m pip install ipywidgets==8.1.9`,
      });
    }
  }
  const fixInstall = installCommand(probe);
  const dataPath = probe?.dataPath ?? [];

  // The kernelspec Jupyter uses: the first kernels/convlens on its data path.
  const kernelDir = dataPath.map(kernelspecDir).find((d) => existsSync(join(d, "kernel.json")));
  let kernelNode: string | undefined; // the node the kernel runs on: the backend is checked with it
  if (probe && !kernelDir) {
    findings.push({
      ok: false,
      what: `no "${KERNEL_NAME}" kernelspec in Jupyter's data folders (${dataPath.join(", ")})`,
      fix: fixInstall,
    });
  } else if (kernelDir) {
    const spec = readJson<{ argv?: string[]; env?: Record<string, string> }>(join(kernelDir, "kernel.json"));
    // node, its flags, the launcher, "{connection_file}"
    const argv = spec?.argv ?? [];
    const [node, launcher] = [argv[0], argv[argv.length - 2]];
    if (!node || !existsSync(node) || !launcher || !existsSync(launcher)) {
      findings.push({
        ok: false,
        what: `kernelspec ${kernelDir} starts ${node} ${launcher}, which is not there`,
        fix: fixInstall,
      });
    } else if (realpathSync(launcher) !== realpathSync(LAUNCHER)) {
      findings.push({
        ok: false,
        what: `kernelspec ${kernelDir} starts another convlens (${launcher}), not this one (${LAUNCHER})`,
        fix: fixInstall,
      });
    } else {
      // the settings this convlens writes (a kernelspec may add its own flags and variables)
      const wanted = kernelSpec(launcher, node);
      const lacking = [
        ...wanted.argv.filter((arg) => !argv.includes(arg)),
        ...Object.entries(wanted.env)
          .filter(([name, value]) => spec?.env?.[name] !== value)
          .map(([name, value]) => `${name}=${value}`),
      ];
      if (lacking.length > 0) {
        findings.push({
          ok: false,
          what: `kernelspec ${kernelDir} lacks ${lacking.join(" ")}: this convlens writes ${JSON.stringify(wanted.argv)} with ${JSON.stringify(wanted.env)} (its memory settings)`,
          fix: fixInstall,
        });
      } else {
        findings.push({ ok: true, what: `kernelspec "${KERNEL_NAME}"  ${kernelDir} → ${argv.slice(0, -1).join(" ")}` });
      }
      kernelNode = node;
    }
  }

  const extDir = dataPath.map(labextensionDir).find((d) => existsSync(join(d, "package.json")));
  if (probe && !extDir) {
    findings.push({
      ok: false,
      what: `no ${LABEXTENSION_NAME} labextension in Jupyter's data folders`,
      fix: fixInstall,
    });
  } else if (extDir) {
    const installed = readJson<{ version?: string }>(join(extDir, "package.json"))?.version;
    if (lstatSync(extDir).isSymbolicLink()) {
      findings.push({
        ok: false,
        what: `labextension ${extDir} is a link: Voila refuses files behind it`,
        fix: fixInstall,
      });
    } else if (widgetsVersion && installed !== widgetsVersion) {
      findings.push({
        ok: false,
        what: `labextension ${extDir} is ${installed}, the npm package is ${widgetsVersion}`,
        fix: fixInstall,
      });
    } else {
      findings.push({ ok: true, what: `labextension ${LABEXTENSION_NAME} ${installed}  ${extDir}` });
    }
  }

  let tfjs: string | undefined;
  try {
    tfjs = tfjsNodeDir(PACKAGE_ROOT);
  } catch (e) {
    findings.push(failed(e, INSTALL_PACKAGES));
  }
  if (tfjs) {
    const { backend, problem } = checkBackend(tfjs, kernelNode);
    const against = bindingTensorflow(tfjs);
    const label = `tfjs-node ${packageVersion(tfjs)}  ${tfjs}`;
    if (backend === "tensorflow") {
      findings.push({
        ok: true,
        what: `${label}: backend tensorflow${against ? ` (libtensorflow from ${against})` : ""}`,
      });
    } else {
      const needTf =
        probe && !probe.tensorflowDir ? `${probe.executable} -m pip install tensorflow-cpu==2.21.0, then ` : "";
      findings.push({
        ok: false,
        what: `${label}: backend ${backend ?? "none"}, not tensorflow${problem ? ` (${problem})` : ""}`,
        fix: `${needTf}${fixInstall}`,
      });
    }
  }
  return { facts, findings };
}

export function formatReport(report: DoctorReport): string {
  const lines = report.facts.map((f) => `  ${f}`);
  for (const f of report.findings) {
    lines.push(`${f.ok ? "ok     " : "MISSING"} ${f.what}`);
    if (!f.ok && f.fix) lines.push(`        fix: ${f.fix}`);
  }
  const problems = report.findings.filter((f) => !f.ok).length;
  lines.push(
    problems === 0
      ? 'convlens is ready: open a notebook with the kernel "TypeScript (convlens)"'
      : `${problems} problem${problems > 1 ? "s" : ""}; run the fix lines above`,
  );
  return lines.join("\n");
}
