// The kernel and the front end agree on the widget module: the name and semver range the kernel's
// comm_open names are those JupyterLab's widget manager looks up among registered modules (it
// takes semver's maxSatisfying of the registered versions), and the front end registers
// widgets/package.json's name and version (widgets/src/version.ts, inlined at bundle time).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { WIDGET_MODULE, WIDGET_MODULE_VERSION, viewWidgetSpec } from "../../kernel-helpers/src/display/front-end";
import type { ViewState } from "../../kernel-helpers/src/display/wire";
import { MODULE_NAME, MODULE_VERSION } from "../../widgets/src/version";

// semver is the package the widget manager bundles; here it comes with tslab and @jupyter/builder.
const semver = require("semver") as { satisfies(v: string, range: string): boolean; valid(v: string): string | null };

const root = join(__dirname, "..", "..");
const readPackage = (dir: string): { name: string; version: string } =>
  JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8"));

test("the kernel opens the module the front end registers, with a range its version satisfies", () => {
  const front = readPackage("widgets");
  assert.deepEqual([MODULE_NAME, MODULE_VERSION], [front.name, front.version], "version.ts reads widgets/package.json");
  assert.equal(WIDGET_MODULE, MODULE_NAME);
  assert.ok(semver.valid(MODULE_VERSION), `${MODULE_VERSION} is a version`);
  assert.ok(semver.satisfies(MODULE_VERSION, WIDGET_MODULE_VERSION), `${MODULE_VERSION} in ${WIDGET_MODULE_VERSION}`);
  const spec = viewWidgetSpec({} as ViewState);
  assert.deepEqual(
    [spec.modelModule, spec.modelModuleVersion, spec.viewModule, spec.viewModuleVersion],
    [MODULE_NAME, WIDGET_MODULE_VERSION, MODULE_NAME, WIDGET_MODULE_VERSION],
  );
});

test("convlens's version is kernel-helpers/package.json's", async () => {
  const { version } = await import("../../kernel-helpers/src/index");
  assert.equal(version, readPackage("kernel-helpers").version);
});
