// Entry point of the convlens kernel: `node launcher.js <connection file>`.
// Runs tslab's TypeScript executor behind its ZeroMQ server.
import { startKernel } from "tslab/dist/main";

function main(argv: string[]): void {
  const configPath = argv[2];
  if (!configPath) {
    console.error("usage: launcher <connection file>");
    process.exit(2);
  }
  startKernel({ configPath, enableFindLocal: false });
}

main(process.argv);
