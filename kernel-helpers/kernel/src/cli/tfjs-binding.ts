// tfjs-node's native binding, made to work without tfjs-node's install script (which downloads
// libtensorflow from a storage host): built with node-pre-gyp against the libtensorflow_cc.so.2 and
// headers that the tensorflow-cpu wheel ships. One place for the set-up (scripts/setup.sh) and
// `npx convlens install`; everything it writes is inside the tfjs-node package folder.
//
// The binding links -ltensorflow and -ltensorflow_framework from deps/lib and finds them at run time
// through rpath $ORIGIN/../../deps/lib by their sonames; the wheel's libtensorflow_cc.so.2 exports the
// same C API, so deps/ is staged as links into the wheel.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { onPath, probePython } from "./python";

/** The tfjs-node package that `from` (a package folder) loads. */
export function tfjsNodeDir(from: string): string {
  try {
    return dirname(require.resolve("@tensorflow/tfjs-node/package.json", { paths: [from] }));
  } catch {
    throw new Error(
      `convlens: @tensorflow/tfjs-node is not installed beside ${from}; reinstall the kernel (npm install convlens-kernel --ignore-scripts)`,
    );
  }
}

export function packageVersion(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
}

export interface BackendCheck {
  /** tf.getBackend() in a fresh node process: "tensorflow" when the native binding loads */
  backend: string | null;
  /** why it did not load (the child's last stderr lines) */
  problem?: string;
}

/**
 * Loads tfjs-node in a child process (a failing native load must not take this process down), with
 * the node the kernelspec starts if given.
 */
export function checkBackend(dir: string, node = process.execPath): BackendCheck {
  const code = `const tf = require(${JSON.stringify(dir)}); process.stdout.write(String(tf.getBackend()));`;
  const r = spawnSync(node, ["-e", code], {
    encoding: "utf8",
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "3" },
    timeout: 120_000,
  });
  if (r.status === 0) return { backend: r.stdout.trim() };
  const lines = `${r.stderr ?? ""}${r.error ? String(r.error) : ""}`.trim().split("\n");
  const reason = lines.find((l) => /Error:|error while loading/.test(l)) ?? lines.slice(-3).join(" ");
  return { backend: null, problem: reason.trim() || `node exited with ${r.status ?? r.signal}` };
}

/** Where the binding's deps/ links point, if it was built by convlens (for doctor). */
export function bindingTensorflow(dir: string): string | undefined {
  const link = join(dir, "deps", "lib", "libtensorflow_cc.so.2");
  try {
    return dirname(realpathSync(link));
  } catch {
    return undefined;
  }
}

/** Node.js's headers for node-gyp, so it does not download them: beside node, else /usr. */
function nodeHeaders(): string | undefined {
  for (const dir of [dirname(dirname(process.execPath)), "/usr"]) {
    if (existsSync(join(dir, "include", "node", "node_api.h"))) return dir;
  }
  return undefined;
}

/** Builds the binding against the wheel in tensorflowDir; throws a convlens error naming the fix. */
export function buildBinding(dir: string, tensorflowDir: string, log: (line: string) => void): void {
  const lib = join(tensorflowDir, "libtensorflow_cc.so.2");
  const framework = join(tensorflowDir, "libtensorflow_framework.so.2");
  for (const file of [lib, framework, join(tensorflowDir, "include")]) {
    if (!existsSync(file))
      throw new Error(
        `convlens: the tensorflow wheel in ${tensorflowDir} has no ${file}; reinstall it (pip install --force-reinstall tensorflow-cpu==2.21.0)`,
      );
  }
  for (const tool of ["g++", "make"]) {
    if (!onPath(tool))
      throw new Error(
        `convlens: building tfjs-node's binding needs ${tool}: install a C++ compiler and make (e.g. apt-get install g++ make)`,
      );
  }
  let nodePreGyp: string;
  try {
    nodePreGyp = join(
      dirname(require.resolve("@mapbox/node-pre-gyp/package.json", { paths: [dir] })),
      "bin",
      "node-pre-gyp",
    );
  } catch {
    throw new Error(
      `convlens: @mapbox/node-pre-gyp (a dependency of tfjs-node) is missing beside ${dir}; reinstall convlens`,
    );
  }
  log(`building tfjs-node's native binding against ${tensorflowDir} (about a minute)`);
  const built = existsSync(join(dir, "lib")) ? readdirSync(join(dir, "lib")).filter((n) => n.startsWith("napi-v")) : [];
  for (const old of ["deps", "build", ...built.map((n) => join("lib", n))]) {
    rmSync(join(dir, old), { recursive: true, force: true });
  }
  mkdirSync(join(dir, "deps", "lib"), { recursive: true });
  const links: [string, string][] = [
    [lib, "libtensorflow.so"],
    [lib, "libtensorflow_cc.so.2"],
    [framework, "libtensorflow_framework.so"],
    [framework, "libtensorflow_framework.so.2"],
  ];
  for (const [target, name] of links) symlinkSync(target, join(dir, "deps", "lib", name));
  symlinkSync(join(tensorflowDir, "include"), join(dir, "deps", "include"));
  const headers = nodeHeaders();
  const args = [nodePreGyp, "install", "--build-from-source", ...(headers ? [`--nodedir=${headers}`] : [])];
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) {
    const output = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-25).join("\n");
    throw new Error(
      `convlens: building tfjs-node's binding failed:\n${output}\n` +
        `convlens: rerun 'cd ${dir} && node ${args.join(" ")}' to see the whole compiler output`,
    );
  }
}

/**
 * Makes tfjs-node load its native backend: nothing if it already does (tfjs-node's own binary, or an
 * earlier build), else a build against tensorflowDir. Returns what it did.
 */
export function ensureBinding(
  dir: string,
  tensorflowDir: string | null,
  log: (line: string) => void,
): "works" | "built" {
  if (checkBackend(dir).backend === "tensorflow") return "works";
  if (!tensorflowDir) {
    throw new Error(
      "convlens: tfjs-node's native binding does not load and this Python has no tensorflow to build it against; install it (pip install tensorflow-cpu==2.21.0) and run again, or pass --python PATH",
    );
  }
  buildBinding(dir, tensorflowDir, log);
  const after = checkBackend(dir);
  if (after.backend !== "tensorflow") {
    throw new Error(
      `convlens: tfjs-node loaded the '${after.backend}' backend instead of 'tensorflow' after the build${after.problem ? `: ${after.problem}` : ""}`,
    );
  }
  return "built";
}

/** `node tfjs-binding.js <python>`: the set-up's step (scripts/setup.sh), for the tfjs-node beside this package. */
function main(argv: string[]): void {
  const python = argv[2];
  if (!python) {
    process.stderr.write("usage: tfjs-binding <python with tensorflow-cpu>\n");
    process.exit(2);
  }
  try {
    const done = ensureBinding(tfjsNodeDir(join(__dirname, "..", "..")), probePython(python).tensorflowDir, (line) =>
      process.stderr.write(`convlens: ${line}\n`),
    );
    if (done === "built") process.stderr.write("convlens: tfjs-node loads the tensorflow backend\n");
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
}

if (require.main === module) main(process.argv);
