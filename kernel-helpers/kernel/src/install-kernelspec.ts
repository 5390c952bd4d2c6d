// Writes the convlens kernelspec (kernel.json) into the folder given on the
// command line: the set-up passes <venv>/share/jupyter/kernels/convlens.
import * as fs from "fs";
import * as path from "path";

export const KERNEL_NAME = "convlens";
export const DISPLAY_NAME = "TypeScript (convlens)";

export function kernelSpec(launcherPath: string, nodePath: string) {
  return {
    argv: [nodePath, launcherPath, "{connection_file}"],
    display_name: DISPLAY_NAME,
    language: "typescript",
    // tslab interrupts a running cell on SIGINT.
    interrupt_mode: "signal",
    // TensorFlow's C++ logging would otherwise fill the notebook's stderr.
    env: { TF_CPP_MIN_LOG_LEVEL: "3" },
    metadata: { convlens: { launcher: launcherPath } },
  };
}

function main(argv: string[]): void {
  const dir = argv[2];
  if (!dir) {
    console.error("usage: install-kernelspec <kernelspec folder>");
    process.exit(2);
  }
  fs.mkdirSync(dir, { recursive: true });
  const spec = kernelSpec(path.join(__dirname, "launcher.js"), process.execPath);
  fs.writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(spec, null, 2) + "\n");
}

if (require.main === module) main(process.argv);
