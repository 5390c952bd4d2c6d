// A real JupyterLab 4 server from the project's venv, for browser tests.
// Its root is a fresh folder under test-artifacts/ (inside the checkout, so a
// notebook's kernel resolves `import "convlens"` through node_modules), with its
// own settings and workspaces folders so no user configuration leaks in.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";

export const ROOT = resolve(__dirname, "..", "..");
export const ARTIFACTS = join(ROOT, "test-artifacts");
const JUPYTER = join(ROOT, ".venv", "bin", "jupyter");

export interface JupyterLabServer {
  /** base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  token: string;
  /** the server's root folder (notebooks are written here) */
  rootDir: string;
  /** the server's log so far (stdout + stderr) */
  log(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => ok(port));
    });
  });
}

function writeQuietSettings(settingsDir: string): void {
  // No "receive Jupyter news?" toast or update checks over the test page.
  const dir = join(settingsDir, "@jupyterlab", "apputils-extension");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "notification.jupyterlab-settings"), JSON.stringify({ fetchNews: "false", checkForUpdates: false }));
}

export async function startJupyterLab(name = "lab"): Promise<JupyterLabServer> {
  const base = join(ARTIFACTS, `${name}-${Date.now()}-${randomBytes(3).toString("hex")}`);
  const rootDir = join(base, "notebooks");
  const settingsDir = join(base, "settings");
  mkdirSync(rootDir, { recursive: true });
  writeQuietSettings(settingsDir);
  const token = randomBytes(16).toString("hex");
  const port = await freePort();
  const args = [
    "lab",
    "--no-browser",
    "--ip=127.0.0.1",
    `--port=${port}`,
    `--IdentityProvider.token=${token}`,
    `--ServerApp.root_dir=${rootDir}`,
    `--LabApp.user_settings_dir=${settingsDir}`,
    `--LabApp.workspaces_dir=${join(base, "workspaces")}`,
    "--LabApp.news_url=",
    "--ServerApp.allow_root=True",
    ...(process.env.CONVLENS_LAB_DEBUG ? ["--debug"] : []),
  ];
  const env = { ...process.env, JUPYTER_CONFIG_DIR: join(base, "config"), TF_CPP_MIN_LOG_LEVEL: "3" };
  const child: ChildProcess = spawn(JUPYTER, args, { cwd: rootDir, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const server: JupyterLabServer = {
    url,
    token,
    rootDir,
    log: () => output,
    stop: () => stopProcess(child),
  };
  await waitForServer(server, child);
  return server;
}

async function waitForServer(server: JupyterLabServer, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`JupyterLab exited with ${child.exitCode}:\n${server.log()}`);
    try {
      const res = await fetch(`${server.url}/api/status?token=${server.token}`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await server.stop();
  throw new Error(`JupyterLab did not answer within 90 s:\n${server.log()}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(kill);
      ok();
    });
    // SIGINT twice is how `jupyter lab` shuts down without asking; SIGTERM also stops its kernels.
    child.kill("SIGTERM");
  });
}

/** Writes a notebook for the convlens kernel into the server's root; returns its path relative to the root. */
export function writeNotebook(server: JupyterLabServer, fileName: string, cells: string[]): string {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "convlens", display_name: "TypeScript (convlens)", language: "typescript" },
      language_info: { name: "typescript" },
    },
    cells: cells.map((source, i) => ({
      id: `cell-${i}`,
      cell_type: "code",
      metadata: {},
      execution_count: null,
      outputs: [],
      source,
    })),
  };
  writeFileSync(join(server.rootDir, fileName), JSON.stringify(nb, null, 1));
  return fileName;
}
