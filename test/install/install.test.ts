// Issue 18: convlens installed into a Jupyter that is not the checkout's, as a class would do it.
// Everything is real: a fresh venv (JupyterLab 4, Notebook 7, Voila, tensorflow-cpu, pinned in
// test/install/requirements.txt) and a fresh npm project under the system's temp folder, the packages
// as `npm pack` tarballs installed with --ignore-scripts, `npx convlens install --sys-prefix`, doctor,
// notebook 01 run by nbclient, then rendered live in JupyterLab, Notebook 7 and Voila in Chromium, and
// `npx convlens uninstall`. The temp folder and every process go at the end, also on failure.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, relative } from "node:path";
import type { Page } from "playwright-core";
import { openBrowser, type Browser } from "../support/browser";
import { freePort, ROOT } from "../support/jupyterlab";

const NOTEBOOKS = join(ROOT, "notebooks");
const FIRST = readdirSync(NOTEBOOKS).find((f) => f.startsWith("01-") && f.endsWith(".ipynb"));
const WIDGET_MIME = "application/vnd.jupyter.widget-view+json";

let tmp = "";
let venv = "";
let project = "";
let env: NodeJS.ProcessEnv = {};
let browser: Browser | undefined;
const children = new Set<ChildProcess>();

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs a command to its end (at most `timeoutMs`, then its process group is killed). */
function run(cmd: string, args: string[], options: { cwd?: string; timeoutMs: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd ?? project,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (err += d));
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), options.timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === null)
        reject(new Error(`${cmd} ${args.join(" ")} did not end within ${options.timeoutMs / 1000} s:\n${out}\n${err}`));
      else resolve({ code, out, err });
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Asserts a command ended with 0; the message carries its output. */
function ok(r: Run, what: string): Run {
  assert.equal(r.code, 0, `${what} failed (exit ${r.code}):\n${r.out}\n${r.err}`);
  return r;
}

const npx = (args: string[], timeoutMs = 60_000) => run("npx", ["--no", "convlens", ...args], { timeoutMs });

/** Every path under dir (relative), for "what did install write" comparisons. */
function listing(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      out.push(relative(dir, full));
      if (lstatSync(full).isDirectory()) walk(full);
    }
  };
  walk(dir);
  return out.sort();
}

interface Server {
  url: string;
  log(): string;
  stop(): Promise<void>;
}

/** Starts a server of the test venv and resolves once it printed its URL and answers it. */
async function startServer(cmd: string, args: string[], port: number, probePath: string): Promise<Server> {
  const child = spawn(join(venv, "bin", cmd), args, {
    cwd: project,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => killGroup(child, "SIGKILL"), 10_000);
      child.once("exit", () => {
        clearTimeout(kill);
        children.delete(child);
        resolve();
      });
      child.kill("SIGTERM"); // the server shuts its kernels down
    });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} printed no ${url} within 90 s:\n${output}`)), 90_000);
    const onData = (d: Buffer) => {
      output += d;
      if (output.includes(`${url}/`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code}:\n${output}`));
    });
  }).catch(async (e) => {
    await stop();
    throw e;
  });
  // It printed the URL; the first request may still race the listener on a loaded machine.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await fetch(`${url}${probePath}`).then(
      (r) => r.status,
      (e: Error) => e.message,
    );
    if (status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${cmd} answers ${probePath} with ${status}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, log: () => output, stop };
}

interface NotebookJson {
  cells: { cell_type: string; outputs?: unknown[]; execution_count?: number | null }[];
  metadata: Record<string, unknown>;
}

/** The notebook without outputs or saved widget state: every widget a page shows comes from the kernel. */
function writeCleared(from: string, to: string): void {
  const nb = JSON.parse(readFileSync(from, "utf8")) as NotebookJson;
  const { widgets: _saved, ...metadata } = nb.metadata;
  const cells = nb.cells.map((c) => (c.cell_type === "code" ? { ...c, outputs: [], execution_count: null } : c));
  writeFileSync(to, JSON.stringify({ ...nb, metadata, cells }, null, 1));
}

/** Waits until `count` convlens widgets on the page have painted their panels (Plotly resolved). */
async function waitForPaintedWidgets(page: Page, count: number, where: string): Promise<void> {
  const painted = page.locator('.convlens-view .convlens-panels[data-painted="true"]');
  try {
    await page.waitForFunction(
      (n) => document.querySelectorAll('.convlens-view .convlens-panels[data-painted="true"]').length >= n,
      count,
      { timeout: 180_000 },
    );
  } catch (e) {
    throw new Error(
      `${where}: ${await painted.count()} of ${count} convlens widgets painted (${(e as Error).message.split("\n")[0]})\n${browser?.consoleLog() ?? ""}`,
    );
  }
  // a painted grid is a Plotly heatmap with a real size
  const box = await page.locator(".convlens-view .convlens-grid").first().boundingBox();
  assert.ok(box && box.width > 50 && box.height > 50, `${where}: the first grid is ${JSON.stringify(box)}`);
}

let widgetCount = 0;
let shareBefore: string[] = [];
const share = () => join(venv, "share", "jupyter");
const OURS = /^(kernels\/convlens|labextensions\/convlens-widgets)(\/|$)/;

describe(
  "convlens installed into its own Jupyter (npm pack tarballs, npx convlens install --sys-prefix)",
  { concurrency: false },
  () => {
    before(() => {
      tmp = mkdtempSync(join(tmpdir(), "convlens-install-"));
      venv = join(tmp, "venv");
      project = join(tmp, "class");
      mkdirSync(project);
      // Nothing of the checkout on PATH (its .venv, its node_modules/.bin) and no CONVLENS_ROOT: the installed
      // package must find its own weights and photos. Jupyter's user folders are fresh, so none of the user's apply.
      const path = (process.env.PATH ?? "").split(delimiter).filter((d) => d && !d.startsWith(ROOT));
      env = {
        ...process.env,
        PATH: [join(venv, "bin"), ...path].join(delimiter),
        JUPYTER_DATA_DIR: join(tmp, "jupyter-data"),
        JUPYTER_CONFIG_DIR: join(tmp, "jupyter-config"),
        JUPYTER_RUNTIME_DIR: join(tmp, "jupyter-runtime"),
        TF_CPP_MIN_LOG_LEVEL: "3",
      };
      for (const name of ["CONVLENS_ROOT", "VIRTUAL_ENV", "JUPYTER_PATH", "PYTHONPATH", "NODE_PATH"]) delete env[name];
    });

    after(async () => {
      await browser?.close().catch(() => undefined);
      for (const child of children) killGroup(child, "SIGKILL");
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    test(
      "the packages pack, and install into a fresh npm project beside a fresh venv",
      { timeout: 600_000 },
      async () => {
        assert.ok(FIRST, "notebooks/01-*.ipynb is missing");
        assert.ok(
          existsSync(join(ROOT, "widgets", "labextension", "package.json")),
          "widgets/labextension is not built: run scripts/setup.sh",
        );
        const python = (async () => {
          ok(await run("python3", ["-m", "venv", venv], { timeoutMs: 120_000 }), "python3 -m venv");
          const req = ["-r", join(ROOT, "test", "install", "requirements.txt"), "-c", join(ROOT, "requirements.txt")];
          ok(
            await run(join(venv, "bin", "pip"), ["install", "-q", "--disable-pip-version-check", ...req], {
              timeoutMs: 480_000,
            }),
            "pip install",
          );
        })();
        const npm = (async () => {
          const packs = join(tmp, "packs");
          mkdirSync(packs);
          // the library runs its prepack (tsc -b, then the weights and photos copied in), the kernel its own
          // (tsc -b); the front end's labextension is the set-up's build (its prepack would rebuild it with
          // webpack, for a publish)
          for (const [workspace, name] of [["kernel-helpers", "convlens"], ["kernel-helpers/kernel", "convlens-kernel"]]) {
            ok(
              await run("npm", ["pack", "--workspace", workspace, "--pack-destination", packs], {
                cwd: ROOT,
                timeoutMs: 180_000,
              }),
              `npm pack ${name}`,
            );
          }
          ok(
            await run("npm", ["pack", "--workspace", "widgets", "--ignore-scripts", "--pack-destination", packs], {
              cwd: ROOT,
              timeoutMs: 60_000,
            }),
            "npm pack convlens-widgets",
          );
          const tarballs = readdirSync(packs)
            .filter((f) => f.endsWith(".tgz"))
            .sort();
          assert.deepEqual(
            tarballs.map((f) => f.replace(/-\d+\.\d+\.\d+.*$/, "")),
            ["convlens", "convlens-kernel", "convlens-widgets"],
          );
          writeFileSync(join(project, "package.json"), JSON.stringify({ name: "convlens-class", private: true }));
          // --ignore-scripts: tfjs-node's install script downloads libtensorflow from a host this machine cannot reach
          const install = [
            "install",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
            ...tarballs.map((f) => join(packs, f)),
          ];
          ok(await run("npm", install, { timeoutMs: 300_000 }), "npm install of the tarballs");
        })();
        await Promise.all([python, npm]);
        const pkg = join(project, "node_modules", "convlens");
        for (const file of [
          "models/shapes-cnn/weights.bin",
          "models/demo-cnn/model.json",
          "photos/skimage/data/chelsea.png",
          "photos/README.md",
        ]) {
          assert.ok(existsSync(join(pkg, file)), `the convlens package carries no ${file}`);
        }
        assert.ok(existsSync(join(project, "node_modules", ".bin", "convlens")), "npm linked no convlens command");
        // three packages, each with its own part: the library carries no kernel, the kernel no library
        assert.ok(!existsSync(join(pkg, "dist", "launcher.js")) && !existsSync(join(pkg, "dist", "cli")), "the library carries the kernel");
        const kernelPkg = join(project, "node_modules", "convlens-kernel");
        assert.ok(existsSync(join(kernelPkg, "dist", "launcher.js")), "the kernel package has no launcher");
        assert.ok(!existsSync(join(kernelPkg, "dist", "compute")) && !existsSync(join(kernelPkg, "models")), "the kernel package carries the library");
        shareBefore = listing(share());
      },
    );

    test(
      "doctor, before install, names each missing piece and the command that fixes it (exit 1)",
      { timeout: 120_000 },
      async () => {
        const r = await npx(["doctor"]);
        assert.equal(r.code, 1, r.out + r.err);
        assert.match(r.out, /MISSING no "convlens" kernelspec/);
        assert.match(r.out, /MISSING no convlens-widgets labextension/);
        assert.match(r.out, /tfjs-node 4\.22\.0 .*not tensorflow/);
        assert.match(r.out, /fix: npx convlens install --sys-prefix/);
      },
    );

    test("a bad command line is a convlens: error that names the fix (exit 2)", { timeout: 60_000 }, async () => {
      const both = await npx(["install", "--sys-prefix", "--user"]);
      assert.equal(both.code, 2, both.out + both.err);
      assert.match(both.err, /^convlens: --sys-prefix and --user name different places; give one of/);
      const unknown = await npx(["instal"]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.err, /^convlens: unknown command 'instal'/);
    });

    test(
      "install --sys-prefix builds the binding and writes only the kernelspec and a copy of the labextension",
      { timeout: 300_000 },
      async () => {
        const userBefore = listing(join(tmp, "jupyter-data"));
        const r = ok(await npx(["install", "--sys-prefix"], 240_000), "npx convlens install --sys-prefix");
        assert.match(r.out, /kernelspec "convlens" written to/);
        const added = listing(share()).filter((p) => !shareBefore.includes(p));
        assert.deepEqual(
          added.filter((p) => !OURS.test(p)),
          [],
          "install wrote outside kernels/convlens and labextensions/convlens-widgets",
        );
        assert.ok(
          added.includes("kernels/convlens/kernel.json") &&
            added.includes("labextensions/convlens-widgets/package.json"),
          added.join("\n"),
        );
        assert.deepEqual(
          listing(join(tmp, "jupyter-data")),
          userBefore,
          "--sys-prefix wrote into the user's Jupyter folder",
        );
        assert.ok(
          lstatSync(join(share(), "labextensions", "convlens-widgets")).isDirectory(),
          "the labextension must be a copy, not a link",
        );
        const spec = JSON.parse(readFileSync(join(share(), "kernels", "convlens", "kernel.json"), "utf8")) as {
          argv: string[];
        };
        assert.equal(spec.argv.at(-2), join(project, "node_modules", "convlens-kernel", "dist", "launcher.js"));
      },
    );

    test(
      "--user and --prefix PATH write to their own folders; uninstall takes back only what install wrote",
      { timeout: 120_000 },
      async () => {
        const user = join(tmp, "jupyter-data"); // JUPYTER_DATA_DIR: the user's folder, as jupyter_core says
        ok(await npx(["install", "--user"]), "npx convlens install --user");
        assert.ok(
          existsSync(join(user, "kernels", "convlens", "kernel.json")) &&
            existsSync(join(user, "labextensions", "convlens-widgets", "package.json")),
        );
        ok(await npx(["uninstall", "--user"]), "npx convlens uninstall --user");
        assert.deepEqual(
          listing(user).filter((p) => OURS.test(p)),
          [],
        );

        const prefix = join(tmp, "other-prefix");
        const data = join(prefix, "share", "jupyter");
        mkdirSync(join(data, "kernels", "convlens"), { recursive: true });
        writeFileSync(
          join(data, "kernels", "convlens", "kernel.json"),
          JSON.stringify({ argv: ["python"], display_name: "someone else's" }),
        );
        const refused = await npx(["install", "--prefix", prefix, "--python", join(venv, "bin", "python")]);
        assert.equal(refused.code, 1, refused.out + refused.err);
        assert.match(
          refused.err,
          /^convlens: .*kernels\/convlens exists and is not a kernelspec that convlens wrote; move it away/,
        );
        const keptUninstalling = await npx(["uninstall", `--prefix=${prefix}`]);
        assert.equal(keptUninstalling.code, 1, keptUninstalling.out + keptUninstalling.err);
        assert.ok(
          existsSync(join(data, "kernels", "convlens", "kernel.json")),
          "uninstall removed a kernelspec convlens did not write",
        );
        rmSync(join(data, "kernels", "convlens"), { recursive: true });
        ok(await npx(["install", "--prefix", prefix]), "npx convlens install --prefix"); // its Python: the one of the jupyter on PATH
        assert.deepEqual(
          listing(data).filter((p) => !OURS.test(p)),
          ["kernels", "labextensions"],
        );
        ok(await npx(["uninstall", "--prefix", prefix]), "npx convlens uninstall --prefix");
        assert.deepEqual(listing(data), ["kernels", "labextensions"]);
      },
    );

    test(
      "doctor then finds everything, and the kernel's tfjs backend is tensorflow (exit 0)",
      { timeout: 120_000 },
      async () => {
        const r = ok(await npx(["doctor"]), "npx convlens doctor");
        assert.match(r.out, /ok +kernelspec "convlens"/);
        // the three packages, each where npm put it
        for (const name of ["convlens-kernel", "convlens", "convlens-widgets"]) {
          assert.match(r.out, new RegExp(`^ +${name} 0\\.1\\.0 +${join(project, "node_modules", name)}$`, "m"));
        }
        assert.match(r.out, /ok +labextension convlens-widgets 0\.1\.0/);
        assert.match(r.out, /ok +tfjs-node 4\.22\.0 .*: backend tensorflow/);
        assert.match(r.out, /convlens is ready/);
      },
    );

    test(
      "doctor names a kernelspec an older convlens wrote (without its memory settings) and the fix (exit 1)",
      { timeout: 120_000 },
      async () => {
        const file = join(share(), "kernels", "convlens", "kernel.json");
        const written = readFileSync(file, "utf8");
        const spec = JSON.parse(written) as { argv: string[]; env: Record<string, string> };
        // what the kernelspec was before the memory settings: node, launcher, connection file
        spec.argv = spec.argv.filter((arg) => !arg.startsWith("--"));
        spec.env = { TF_CPP_MIN_LOG_LEVEL: "3" };
        writeFileSync(file, JSON.stringify(spec));
        try {
          const r = await npx(["doctor"]);
          assert.equal(r.code, 1, r.out);
          assert.match(r.out, /MISSING kernelspec .* lacks --max-semi-space-size=4 TF_ONEDNN_USE_SYSTEM_ALLOCATOR=1 MALLOC_MMAP_THRESHOLD_=131072: this convlens writes .*memory settings/);
          assert.match(r.out, /npx convlens install --sys-prefix/);
        } finally {
          writeFileSync(file, written);
        }
        // a kernelspec with the settings and more of its own (a hub's proxy variables, say) is fine
        const own = JSON.parse(written) as { argv: string[]; env: Record<string, string> };
        own.argv.splice(1, 0, "--max-old-space-size=2048");
        own.env.HTTPS_PROXY = "http://proxy.example:3128";
        writeFileSync(file, JSON.stringify(own));
        try {
          ok(await npx(["doctor"]), "npx convlens doctor, the kernelspec with flags and variables of its own");
        } finally {
          writeFileSync(file, written);
        }
      },
    );

    test(
      `notebook 01 runs headless through nbclient with the venv's python, without errors`,
      { timeout: 300_000 },
      async () => {
        cpSync(join(NOTEBOOKS, FIRST!), join(project, "01.ipynb"));
        cpSync(join(NOTEBOOKS, "images"), join(project, "images"), { recursive: true });
        const script = [
          "import json, pathlib, sys",
          `sys.path.insert(0, ${JSON.stringify(join(ROOT, "scripts"))})`,
          "from execute_notebooks import execute",
          "nb = execute(pathlib.Path(sys.argv[1]), timeout=120)",
          "outs = [o for c in nb.cells if c.cell_type == 'code' for o in c.get('outputs', [])]",
          "print(json.dumps({'errors': [f'{o.ename}: {o.evalue}' for o in outs if o.output_type == 'error'],",
          "  'stderr': [o.text for o in outs if o.output_type == 'stream' and o.name == 'stderr'],",
          `  'widgets': sum(1 for o in outs if o.output_type == 'display_data' and ${JSON.stringify(WIDGET_MIME)} in o.data)}))`,
        ].join("\n");
        const r = ok(
          await run(join(venv, "bin", "python"), ["-c", script, join(project, "01.ipynb")], { timeoutMs: 280_000 }),
          "nbclient",
        );
        const result = JSON.parse(r.out.trim().split("\n").pop()!) as {
          errors: string[];
          stderr: string[];
          widgets: number;
        };
        assert.deepEqual(result.errors, []);
        assert.deepEqual(result.stderr, []);
        assert.ok(result.widgets >= 1, "notebook 01 showed no widget");
        widgetCount = result.widgets;
        writeCleared(join(NOTEBOOKS, FIRST!), join(project, "01-live.ipynb"));
      },
    );

    const token = randomBytes(16).toString("hex");
    const serverArgs = (port: number) => [
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${port}`,
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${project}`,
      "--ServerApp.allow_root=True",
      "--ServerApp.port_retries=0", // a port taken meanwhile is an error, not a silent move to another one
    ];

    /** Opens a page, runs every cell through the app's own command, and waits for the widgets. */
    async function runAllAndWait(url: string, where: string): Promise<void> {
      assert.ok(widgetCount > 0, "the nbclient run found no widgets to expect");
      browser ??= await openBrowser();
      const page = browser.page;
      await page.goto(url, { waitUntil: "domcontentloaded", timeout: 120_000 });
      await page.locator(".jp-Notebook .jp-Cell").first().waitFor({ timeout: 120_000 });
      // the kernel is started and idle before Run All
      await page.waitForFunction(
        () => {
          const app = (
            window as unknown as {
              jupyterapp?: {
                shell: { currentWidget?: { sessionContext?: { session?: { kernel?: { status: string } } } } };
              };
            }
          ).jupyterapp;
          return app?.shell.currentWidget?.sessionContext?.session?.kernel?.status === "idle";
        },
        undefined,
        { timeout: 120_000 },
      );
      await page.evaluate(() =>
        (
          window as unknown as { jupyterapp: { commands: { execute(id: string): Promise<unknown> } } }
        ).jupyterapp.commands.execute("notebook:run-all-cells"),
      );
      await waitForPaintedWidgets(page, widgetCount, where);
    }

    test("JupyterLab 4 from the venv renders notebook 01's widgets live", { timeout: 360_000 }, async () => {
      const port = await freePort();
      const settings = join(tmp, "lab-settings", "@jupyterlab", "apputils-extension");
      mkdirSync(settings, { recursive: true });
      writeFileSync(
        join(settings, "notification.jupyterlab-settings"),
        JSON.stringify({ fetchNews: "false", checkForUpdates: false }),
      );
      const args = [
        "lab",
        ...serverArgs(port),
        "--LabApp.expose_app_in_browser=True",
        `--LabApp.user_settings_dir=${join(tmp, "lab-settings")}`,
        `--LabApp.workspaces_dir=${join(tmp, "lab-workspaces")}`,
        "--LabApp.news_url=",
      ];
      const server = await startServer("jupyter", args, port, `/api/status?token=${token}`);
      try {
        await runAllAndWait(`${server.url}/lab/tree/01-live.ipynb?token=${token}`, "JupyterLab");
      } catch (e) {
        throw new Error(`${(e as Error).message}\n--- server log ---\n${server.log()}`);
      } finally {
        await server.stop();
      }
    });

    test("Notebook 7 from the venv renders notebook 01's widgets live", { timeout: 360_000 }, async () => {
      const port = await freePort();
      const args = ["notebook", ...serverArgs(port), "--JupyterNotebookApp.expose_app_in_browser=True"];
      const server = await startServer("jupyter", args, port, `/api/status?token=${token}`);
      try {
        await runAllAndWait(`${server.url}/notebooks/01-live.ipynb?token=${token}`, "Notebook 7");
      } catch (e) {
        throw new Error(`${(e as Error).message}\n--- server log ---\n${server.log()}`);
      } finally {
        await server.stop();
      }
    });

    test("Voila from the venv runs notebook 01 and renders its widgets", { timeout: 360_000 }, async () => {
      assert.ok(widgetCount > 0, "the nbclient run found no widgets to expect");
      const port = await freePort();
      const args = [
        "01-live.ipynb",
        "--no-browser",
        `--port=${port}`,
        "--Voila.port_retries=0",
        "--Voila.ip=127.0.0.1",
        `--token=${token}`,
      ];
      const server = await startServer("voila", args, port, `/?token=${token}`);
      try {
        browser ??= await openBrowser();
        // Voila streams the page while it runs the cells: "load" comes only after the last one
        await browser.page.goto(`${server.url}/?token=${token}`, { waitUntil: "commit", timeout: 120_000 });
        await waitForPaintedWidgets(browser.page, widgetCount, "Voila");
      } catch (e) {
        throw new Error(`${(e as Error).message}\n--- server log ---\n${server.log()}`);
      } finally {
        await server.stop();
      }
    });

    test(
      "uninstall --sys-prefix removes exactly what install wrote; doctor then says what is missing",
      { timeout: 120_000 },
      async () => {
        const r = ok(await npx(["uninstall", "--sys-prefix"]), "npx convlens uninstall --sys-prefix");
        assert.match(r.out, /removed the kernelspec/);
        assert.match(r.out, /removed the labextension/);
        assert.deepEqual(listing(share()), shareBefore);
        const doctor = await npx(["doctor"]);
        assert.equal(doctor.code, 1, doctor.out);
        assert.match(doctor.out, /MISSING no "convlens" kernelspec/);
      },
    );
  },
);
