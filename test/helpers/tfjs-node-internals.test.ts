// Canary of the tfjs-node seam (kernel-helpers/src/compute/tfjs-node-internals.ts): every internal
// of tfjs-node that convlens uses is still there with the shape it is used with. After an upgrade
// of @tensorflow/tfjs-node this is the one test that fails, and its message names what moved.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import {
  BACKEND_METHODS,
  PROTO_METHODS,
  libtensorflowVersion,
  loadProtosModule,
  missingBackendMethods,
  missingProtos,
  savedModelSessions,
} from "../../kernel-helpers/src/compute/tfjs-node-internals";
import { GraphWriter, SERVING_TAG } from "../../kernel-helpers/src/compute/graph/tf-protos";

const tfjsNode = `@tensorflow/tfjs-node ${tf.version["tfjs-node"]}`;

test("tfjs-node's backend has every SavedModel session method the adapter calls", () => {
  assert.equal(tf.getBackend(), "tensorflow", `${tfjsNode}: the native backend is not the active one`);
  const missing = missingBackendMethods(tf.backend());
  assert.deepEqual(missing, [], `${tfjsNode}: NodeJSKernelBackend no longer has ${missing.join(", ")}`);
  assert.ok(savedModelSessions(), "savedModelSessions() refuses this backend");
});

test("tfjs-node's dist/proto/api_pb has every protobuf class and method the graph writer uses", () => {
  const moved = missingProtos(loadProtosModule());
  assert.deepEqual(moved, [], `${tfjsNode}:\n${moved.join("\n")}`);
});

test("tfjs-node's binding reports its libtensorflow version", () => {
  assert.match(
    libtensorflowVersion() ?? "(none)",
    /^2\.\d+\.\d+/,
    `${tfjsNode}: binding.TF_Version is not a TF 2.x version`,
  );
});

test("a TF session runs a written graph with the arguments featureMaps passes, and closes", () => {
  const sessions = savedModelSessions();
  assert.ok(sessions);
  const writer = new GraphWriter();
  const x = writer.placeholder("x", [null, 3]);
  writer.node("y", "Relu", [x], { T: { type: "float32" } });
  const dir = mkdtempSync(join(tmpdir(), "convlens-canary-"));
  const before = sessions.openCount();
  let id: number;
  try {
    writeFileSync(join(dir, "saved_model.pb"), writer.savedModel());
    id = sessions.load(dir, SERVING_TAG);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(sessions.openCount(), before + 1, "load opens one session");
  const input = tf.tensor2d([[-1, 0, 2]]);
  const [y] = sessions.run(id, [input], [{ name: "x:0" }], ["y:0"]);
  assert.ok(y instanceof tf.Tensor, "runSavedModel returns tensors");
  assert.deepEqual(Array.from(y.dataSync()), [0, 0, 2]);
  tf.dispose([input, y]);
  sessions.close(id);
  assert.equal(sessions.openCount(), before, "deleteSavedModel closes it");
});

// The checks themselves can fail, and say which internal moved.
test("the canary names exactly what moved", () => {
  assert.deepEqual(missingBackendMethods({ runSavedModel() {}, loadSavedModelMetaGraph: 1 }), [
    "loadSavedModelMetaGraph",
    "deleteSavedModel",
    "getNumOfSavedModels",
  ]);
  assert.equal(BACKEND_METHODS.length, 4);
  // api_pb as it is, but NodeDef lost setOp and the nested MetaGraphDef.MetaInfoDef is gone
  const real = loadProtosModule() as Record<string, unknown>;
  class NodeDef {
    setName() {}
    setInputList() {}
    getAttrMap() {}
  }
  const MetaGraphDef = class {
    setMetaInfoDef() {}
    setGraphDef() {}
  };
  assert.deepEqual(missingProtos({ ...real, NodeDef, MetaGraphDef }), [
    "@tensorflow/tfjs-node/dist/proto/api_pb's NodeDef has no method setOp",
    "@tensorflow/tfjs-node/dist/proto/api_pb exports no class MetaGraphDef.MetaInfoDef",
  ]);
  assert.equal(missingProtos({}).length, Object.keys(PROTO_METHODS).length);
});
