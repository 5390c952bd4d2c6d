import { test } from "node:test";
import assert from "node:assert/strict";
import { KERNEL_ENV, KERNEL_NODE_FLAGS, kernelSpec, KERNEL_NAME } from "../../kernel-helpers/kernel/src/install-kernelspec";

test("the kernelspec starts our launcher with the connection file", () => {
  const spec = kernelSpec("/x/launcher.js", "/usr/bin/node");
  assert.deepEqual(spec.argv, ["/usr/bin/node", ...KERNEL_NODE_FLAGS, "/x/launcher.js", "{connection_file}"]);
  assert.deepEqual(spec.env, KERNEL_ENV);
  assert.equal(spec.metadata.convlens.launcher, "/x/launcher.js");
  assert.equal(spec.language, "typescript");
  assert.equal(KERNEL_NAME, "convlens");
});
