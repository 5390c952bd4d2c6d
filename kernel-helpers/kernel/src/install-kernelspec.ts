// Writes the convlens kernelspec (kernel.json) into the folder given on the
// command line: the set-up passes <venv>/share/jupyter/kernels/convlens.
import * as fs from "fs";
import * as path from "path";

export const KERNEL_NAME = "convlens";
export const DISPLAY_NAME = "TypeScript (convlens)";

/**
 * Node's flags for the kernel. A 4 MB semi-space instead of V8's default 16 MB: a kernel's young
 * objects are small and short-lived (a cell's compile, its messages), and the two idle halves
 * cost ~22 MB in each of a class's kernels; scavenges stay a few ms (README "Teach a class").
 */
export const KERNEL_NODE_FLAGS = ["--max-semi-space-size=4"];

/** The kernel's environment. */
export const KERNEL_ENV: Readonly<Record<string, string>> = {
  // TensorFlow's C++ logging would otherwise fill the notebook's stderr.
  TF_CPP_MIN_LOG_LEVEL: "3",
  // Memory a cell frees goes back to the system. With oneDNN, TensorFlow's CPU tensors come from a
  // BFC pool that keeps every block it ever grew to (a cell that decoded a 1411 px photo left
  // ~45 MB behind for good); this hands them to malloc instead, which returns large blocks (from
  // 128 KiB, glibc's default before its threshold drifts up to 32 MiB) to the system on free.
  // Neither changes a number TensorFlow computes.
  TF_ONEDNN_USE_SYSTEM_ALLOCATOR: "1",
  MALLOC_MMAP_THRESHOLD_: "131072",
};

export function kernelSpec(launcherPath: string, nodePath: string) {
  return {
    argv: [nodePath, ...KERNEL_NODE_FLAGS, launcherPath, "{connection_file}"],
    display_name: DISPLAY_NAME,
    language: "typescript",
    // tslab interrupts a running cell on SIGINT.
    interrupt_mode: "signal",
    env: { ...KERNEL_ENV },
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
