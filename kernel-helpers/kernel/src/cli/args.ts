// The command line of `npx convlens`: which command, which Jupyter data folder, which Python.
// Parsing only; nothing here touches the disk, so every rule is tested directly.

export type Command = "install" | "uninstall" | "doctor" | "help" | "version";

/** Where the kernelspec and the labextension go, named as `python -m ipykernel install` names it. */
export type Location = { kind: "user" } | { kind: "sys-prefix" } | { kind: "prefix"; path: string };

export interface CliArgs {
  command: Command;
  location: Location;
  /** whether a location flag was given (doctor takes none) */
  locationGiven: boolean;
  /** the Python whose tensorflow-cpu wheel tfjs-node's binding is built against */
  python?: string;
}

/** A mistake on the command line: exit code 2, and the message names the fix. */
export class UsageError extends Error {}

export const USAGE = `usage: npx convlens <command> [options]

commands:
  install     register the convlens kernel and the widgets' prebuilt JupyterLab extension with a
              Jupyter, and make tfjs-node's native TensorFlow binding work
  uninstall   remove the kernelspec and the labextension that install wrote (nothing else)
  doctor      show what is installed where, the versions, the kernel's tfjs backend, and the
              command that fixes whatever is missing
  help        this text
  version     convlens's version

where (install, uninstall; one of):
  --user          the user's Jupyter data folder, ~/.local/share/jupyter (the default)
  --sys-prefix    the data folder of the Python environment that runs \`jupyter\` on PATH
                  (<sys.prefix>/share/jupyter): a venv or conda environment
  --prefix PATH   PATH/share/jupyter

  --python PATH   the Python with tensorflow-cpu, for tfjs-node's binding (default: PATH/bin/python
                  with --prefix, else the one that runs \`jupyter\` on PATH)

exit codes: 0 done / all in place, 1 failed / something missing (doctor says what), 2 bad command line`;

const COMMANDS: readonly Command[] = ["install", "uninstall", "doctor", "help", "version"];

export function parseArgs(argv: readonly string[]): CliArgs {
  const [first, ...rest] = argv;
  if (first === undefined)
    throw new UsageError(
      "no command given; run 'npx convlens install --sys-prefix', or 'npx convlens help' for all commands",
    );
  const command = first === "--help" || first === "-h" ? "help" : first === "--version" ? "version" : first;
  if (!COMMANDS.includes(command as Command)) {
    throw new UsageError(`unknown command '${first}'; the commands are ${COMMANDS.join(", ")} (npx convlens help)`);
  }
  const args: CliArgs = { command: command as Command, location: { kind: "user" }, locationGiven: false };
  const locations: string[] = [];
  const setLocation = (flag: string, location: Location) => {
    locations.push(flag);
    args.location = location;
  };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg, undefined];
    const value = (): string => {
      const v = inline ?? rest[++i];
      if (v === undefined || v === "" || (inline === undefined && v.startsWith("--"))) {
        throw new UsageError(
          `${flag} needs a path, e.g. ${flag} ${flag === "--python" ? "/opt/venv/bin/python" : "/opt/venv"}`,
        );
      }
      return v;
    };
    if (flag === "--user" && inline === undefined) setLocation(flag, { kind: "user" });
    else if (flag === "--sys-prefix" && inline === undefined) setLocation(flag, { kind: "sys-prefix" });
    else if (flag === "--prefix") setLocation(flag, { kind: "prefix", path: value() });
    else if (flag === "--python") args.python = value();
    else if (flag === "--help" || flag === "-h") args.command = "help";
    else throw new UsageError(`unknown option '${arg}' for ${command}; see npx convlens help`);
  }
  if (locations.length > 1) {
    throw new UsageError(
      `${locations.join(" and ")} name different places; give one of --user, --sys-prefix, --prefix PATH`,
    );
  }
  args.locationGiven = locations.length === 1;
  if ((args.command === "doctor" || args.command === "version") && (args.locationGiven || args.python)) {
    throw new UsageError(`${args.command} takes no options: it looks at the Jupyter on PATH`);
  }
  return args;
}
