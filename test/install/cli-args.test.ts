// The command line of `npx convlens`: each mistake is a usage error (exit 2) that names the fix.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseArgs, UsageError } from "../../kernel-helpers/kernel/src/cli/args";

test("install takes one place: --user (the default), --sys-prefix or --prefix PATH, and --python", () => {
  assert.deepEqual(parseArgs(["install"]).location, { kind: "user" });
  assert.equal(parseArgs(["install"]).locationGiven, false);
  assert.deepEqual(parseArgs(["install", "--sys-prefix"]).location, { kind: "sys-prefix" });
  assert.deepEqual(parseArgs(["install", "--prefix", "/opt/v"]).location, { kind: "prefix", path: "/opt/v" });
  assert.deepEqual(parseArgs(["uninstall", "--prefix=/opt/v"]).location, { kind: "prefix", path: "/opt/v" });
  assert.equal(parseArgs(["install", "--user", "--python", "/x/python3"]).python, "/x/python3");
  assert.equal(parseArgs(["doctor"]).command, "doctor");
  assert.equal(parseArgs(["--help"]).command, "help");
});

test("bad command lines are usage errors that say what to do", () => {
  const cases: [string[], RegExp][] = [
    [[], /no command given; run 'npx convlens install --sys-prefix'/],
    [["instal"], /unknown command 'instal'; the commands are install, uninstall, doctor/],
    [["install", "--user", "--sys-prefix"], /--user and --sys-prefix name different places; give one of/],
    [["install", "--prefix"], /--prefix needs a path, e.g. --prefix \/opt\/venv/],
    [["install", "--prefix", "--user"], /--prefix needs a path/],
    [["install", "--python="], /--python needs a path/],
    [["install", "--sys-prefix=yes"], /unknown option '--sys-prefix=yes' for install/],
    [["install", "--force"], /unknown option '--force' for install; see npx convlens help/],
    [["doctor", "--user"], /doctor takes no options: it looks at the Jupyter on PATH/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parseArgs(argv),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
      argv.join(" "),
    );
  }
});
