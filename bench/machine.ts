// What the numbers were measured on: the machine and every component's version.
import { execFileSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import { libtensorflowVersion } from "../kernel-helpers/src/compute/tfjs-node-internals";
import { CHROMIUM } from "../test/support/browser";

export interface Machine {
  cores: number;
  cpuModel: string;
  ramGB: number;
  loadAverage: number[];
  versions: Record<string, string>;
}

function quiet(run: () => string): string {
  try {
    return run().trim();
  } catch (error) {
    return `unknown (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`;
  }
}

export function machine(root: string): Machine {
  const python = join(root, ".venv", "bin", "python");
  // importlib.metadata reads versions without importing TensorFlow (seconds on a busy machine).
  const py = quiet(() =>
    execFileSync(python, ["-c", "from importlib.metadata import version as v; print(v('tensorflow-cpu'), v('jupyterlab'), v('matplotlib'))"], { encoding: "utf8" }),
  ).split(" ");
  const chromium = quiet(() => execFileSync(CHROMIUM, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })).replace(/^Chromium\s+/, "").split(" ")[0];
  const wasm = quiet(() => (require("@tensorflow/tfjs-backend-wasm/package.json") as { version: string }).version);
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    ramGB: totalmem() / 2 ** 30,
    loadAverage: loadavg(),
    versions: {
      node: process.version,
      "tfjs-node": `${tf.version["tfjs-node"]} (libtensorflow ${libtensorflowVersion() ?? "?"})`,
      "tfjs-backend-wasm": wasm,
      "TensorFlow (Python)": py[0] ?? "?",
      JupyterLab: py[1] ?? "?",
      matplotlib: py[2] ?? "?",
      Chromium: chromium,
    },
  };
}

/** The 1-minute load average before and after a row's runs: absolute times on a shared machine move with it. */
export function loadNote([before, after]: number[]): string {
  return `1-min load average ${before.toFixed(1)} → ${after.toFixed(1)} on ${cpus().length} cores`;
}
