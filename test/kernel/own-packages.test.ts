// own-packages.ts on package layouts built in a temp folder: the checkout's (convlens linked into
// node_modules beside its dependencies) and an installed one (convlens inside a node_modules, one
// dependency nested under it, others hoisted, one in two versions). The real kernel in a folder
// without node_modules is test_any_folder.py.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  compilerPaths,
  ownPackageOf,
  ownPackages,
  findPackage,
  resolveOwnPackages,
} from "../../kernel-helpers/kernel/src/own-packages";
import { ROOT } from "../support/jupyterlab";

const base = realpathSync(mkdtempSync(join(tmpdir(), "convlens-own-packages-")));
after(() => rmSync(base, { recursive: true, force: true }));

function writePackage(dir: string, name: string, dependencies: Record<string, string> = {}, main = "index.js"): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", main, dependencies }));
  writeFileSync(join(dir, main), `module.exports = { name: ${JSON.stringify(name)}, file: __filename };`);
  return dir;
}

// an installed convlens: fflate hoisted, tfjs-node nested, tfjs-node's @tensorflow/tfjs hoisted,
// and tfjs's tfjs-core nested under it while another tfjs-core is hoisted (a version conflict)
const app = join(base, "app", "node_modules");
const convlens = writePackage(join(app, "convlens"), "convlens", {
  "@tensorflow/tfjs-node": "1",
  fflate: "1",
  tslab: "1",
  missing: "1",
});
const tfjsNode = writePackage(join(convlens, "node_modules", "@tensorflow", "tfjs-node"), "@tensorflow/tfjs-node", {
  "@tensorflow/tfjs": "1",
  tar: "1",
});
const tfjs = writePackage(join(app, "@tensorflow", "tfjs"), "@tensorflow/tfjs", { "@tensorflow/tfjs-core": "2" });
const tfjsCore = writePackage(join(tfjs, "node_modules", "@tensorflow", "tfjs-core"), "@tensorflow/tfjs-core");
const otherTfjsCore = writePackage(join(app, "@tensorflow", "tfjs-core"), "@tensorflow/tfjs-core");
const fflate = writePackage(join(app, "fflate"), "fflate");
writePackage(join(app, "tar"), "tar");
writePackage(join(app, "tslab"), "tslab");
// a notebook's folder with its own, other copy of one of them
const notebook = join(base, "home", "student");
const otherFflate = writePackage(join(notebook, "node_modules", "fflate"), "fflate");
writePackage(join(notebook, "node_modules", "leftpad"), "leftpad");

test("findPackage finds the nearest node_modules/<name> above a folder, scoped names too", () => {
  assert.deepEqual(findPackage("@tensorflow/tfjs-node", convlens), { dir: tfjsNode, base: convlens });
  assert.deepEqual(findPackage("@tensorflow/tfjs", tfjsNode), { dir: tfjs, base: join(base, "app") });
  assert.deepEqual(findPackage("fflate", notebook), { dir: otherFflate, base: notebook });
  assert.equal(findPackage("nothing-here", notebook), undefined);
});

test("own packages: convlens, its dependencies, and the @tensorflow packages below them; not tslab, not the rest", () => {
  const own = ownPackages(convlens);
  const dirs = Object.fromEntries([...own].map(([name, where]) => [name, where.dir]));
  assert.deepEqual(dirs, {
    convlens,
    "@tensorflow/tfjs-node": tfjsNode,
    fflate,
    "@tensorflow/tfjs": tfjs,
    "@tensorflow/tfjs-core": tfjsCore, // the copy tfjs uses, not the hoisted one
  });
  assert.equal(ownPackageOf(own, "convlens"), "convlens");
  assert.equal(ownPackageOf(own, "convlens/dist/x"), "convlens");
  assert.equal(ownPackageOf(own, "@tensorflow/tfjs-node/dist/index.js"), "@tensorflow/tfjs-node");
  assert.equal(ownPackageOf(own, "@tensorflow/tfjs-data"), undefined);
  assert.equal(ownPackageOf(own, "convlens-widgets"), undefined);
  assert.equal(ownPackageOf(own, "./convlens"), undefined);
  assert.deepEqual(compilerPaths(own)["@tensorflow/tfjs-node/*"], [`${tfjsNode}/*`]);
  assert.deepEqual(compilerPaths(own).convlens, [convlens]);
});

test("the checkout's own packages include the TensorFlow.js packages cells import", () => {
  const own = ownPackages(join(ROOT, "kernel-helpers"));
  assert.equal(own.get("convlens")?.dir, realpathSync(join(ROOT, "kernel-helpers")));
  for (const name of [
    "@tensorflow/tfjs-node",
    "@tensorflow/tfjs",
    "@tensorflow/tfjs-core",
    "@tensorflow/tfjs-layers",
  ]) {
    assert.equal(own.get(name)?.dir, realpathSync(join(ROOT, "node_modules", name)), name);
  }
  assert.equal(own.has("tslab"), false);
});

test("require from any folder gets the own copies, before the folder's own ones; other packages as before", () => {
  const fromNotebook = createRequire(join(notebook, "cell.js"));
  assert.throws(() => fromNotebook("convlens"), /Cannot find module 'convlens'/);
  resolveOwnPackages(convlens, ownPackages(convlens));
  const elsewhere = createRequire(join(base, "nowhere", "cell.js"));
  assert.equal(elsewhere("convlens").file, join(convlens, "index.js"));
  assert.equal(elsewhere.resolve("convlens/index.js"), join(convlens, "index.js"));
  assert.equal(elsewhere("@tensorflow/tfjs-node").file, join(tfjsNode, "index.js"));
  assert.equal(fromNotebook("fflate").file, join(fflate, "index.js"));
  assert.equal(fromNotebook("leftpad").name, "leftpad");
  assert.throws(() => elsewhere("leftpad"), /Cannot find module 'leftpad'/);
  // hoisted: @tensorflow/tfjs is found from convlens's folder as Node would
  assert.equal(elsewhere("@tensorflow/tfjs").file, join(tfjs, "index.js"));
  // in two versions: the one tfjs uses, as at compile time, not the hoisted one
  assert.equal(elsewhere("@tensorflow/tfjs-core").file, join(tfjsCore, "index.js"));
  assert.notEqual(tfjsCore, otherTfjsCore);
});
