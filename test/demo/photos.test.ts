// Where the demo photos' Python packages are: found on disk in the venv's site-packages (no Python
// started), the same folder Python's own import machinery names (the reference), and left to
// Python when the venv's layout does not say it clearly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convlensRoot, pythonPackageDir, venvPackageDir } from "../../kernel-helpers/src/demo/photos";

const PYTHON = join(convlensRoot(), ".venv", "bin", "python");

test("the venv's scikit-image and scikit-learn are found on disk where Python's import finds them", () => {
  for (const pkg of ["skimage", "sklearn"] as const) {
    const python = execFileSync(
      PYTHON,
      ["-c", "import importlib.util as u, sys; print(u.find_spec(sys.argv[1]).submodule_search_locations[0])", pkg],
      { encoding: "utf8" },
    ).trim();
    const found = venvPackageDir(pkg, PYTHON);
    assert.ok(found, `${pkg}: not found on disk in ${PYTHON}'s venv`);
    assert.equal(realpathSync(found), realpathSync(python));
    assert.equal(realpathSync(pythonPackageDir(pkg)), realpathSync(python));
  }
});

test("a venv whose lib does not say which Python it is, or without the package, is left to Python", () => {
  const venv = mkdtempSync(join(tmpdir(), "convlens-venv-"));
  try {
    const python = join(venv, "bin", "python");
    const site = (version: string) => join(venv, "lib", `python3.${version}`, "site-packages", "skimage");
    assert.equal(venvPackageDir("skimage", python), undefined); // no lib at all
    mkdirSync(site("11"), { recursive: true });
    assert.equal(venvPackageDir("skimage", python), undefined); // a folder, not a package
    writeFileSync(join(site("11"), "__init__.py"), "");
    assert.equal(venvPackageDir("skimage", python), site("11"));
    mkdirSync(site("12"), { recursive: true });
    assert.equal(venvPackageDir("skimage", python), undefined); // two Pythons' folders
  } finally {
    rmSync(venv, { recursive: true, force: true });
  }
});
