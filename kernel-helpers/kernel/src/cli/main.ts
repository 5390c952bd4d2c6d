#!/usr/bin/env node
// `npx convlens <command>`: install, uninstall, doctor (see args.ts for the command line).
import { parseArgs, USAGE, UsageError } from "./args";
import { diagnose, formatReport } from "./doctor";
import { install, PACKAGE_ROOT, uninstall } from "./install";
import { packageVersion } from "./tfjs-binding";

const log = (line: string) => void process.stdout.write(`convlens: ${line}\n`);

function fail(message: string, code: number): never {
  process.stderr.write(`${message.startsWith("convlens:") ? "" : "convlens: "}${message}\n`);
  process.exit(code);
}

function main(argv: string[]): number {
  let args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) fail(e.message, 2);
    throw e;
  }
  switch (args.command) {
    case "help":
      process.stdout.write(USAGE + "\n");
      return 0;
    case "version":
      process.stdout.write(packageVersion(PACKAGE_ROOT) + "\n");
      return 0;
    case "install":
      install(args, log);
      return 0;
    case "uninstall":
      uninstall(args, log);
      return 0;
    case "doctor": {
      const report = diagnose();
      process.stdout.write(formatReport(report) + "\n");
      return report.findings.every((f) => f.ok) ? 0 : 1;
    }
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  fail(e instanceof Error ? e.message : String(e), 1);
}
