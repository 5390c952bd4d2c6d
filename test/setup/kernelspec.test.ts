import { test } from "node:test";
import assert from "node:assert/strict";
import { kernelSpec, KERNEL_NAME } from "../../kernel-helpers/kernel/src/install-kernelspec";

test("the kernelspec starts our launcher with the connection file", () => {
  const spec = kernelSpec("/x/launcher.js", "/usr/bin/node");
  assert.deepEqual(spec.argv, ["/usr/bin/node", "/x/launcher.js", "{connection_file}"]);
  assert.equal(spec.language, "typescript");
  assert.equal(KERNEL_NAME, "convlens");
});
