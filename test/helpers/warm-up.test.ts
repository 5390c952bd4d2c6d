// The kernel's start-up run of convlens's paths (warm-up.ts): it runs the graph path as cells do,
// keeps no tensor and no temp folder, and of graph sessions only the shapes CNN's (idle, for the cells' shapes CNN), and sends nothing (this process has no kernel
// runtime: a widget opened here would throw).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import * as tf from "@tensorflow/tfjs-node";
import { warmUpPaths } from "../../kernel-helpers/src/warm-up";
import { savedModelSessions } from "../../kernel-helpers/src/compute/tfjs-node-internals";
import { closeIdleSessions, releaseGraph } from "../../kernel-helpers/src/compute/graph/per-model";
import { featureMaps, loadImage, shapesCnn } from "../../kernel-helpers/src/index";

const convlensTemp = () => readdirSync(tmpdir()).filter((name) => name.startsWith("convlens-graph-"));

test("the warm-up runs featureMaps' graph and leaves no tensor or temp folder, and of sessions only the shapes CNN's, idle", async () => {
  const tempBefore = convlensTemp();
  const tensorsBefore = tf.memory().numTensors;
  const sessions = savedModelSessions();
  assert.ok(sessions, "tfjs-node's SavedModel sessions are not reachable: the graph path cannot run here");
  closeIdleSessions();
  const sessionsBefore = sessions.openCount();
  const report = await warmUpPaths();
  assert.deepEqual(report, { graph: true, demoGraph: true, samples: true });
  assert.equal(tf.memory().numTensors, tensorsBefore);
  assert.equal(sessions.openCount(), sessionsBefore + 1, "the shapes CNN's session, kept idle");
  assert.deepEqual(convlensTemp(), tempBefore);
  // a notebook's first shapes CNN runs in it: no new session
  const model = await shapesCnn();
  const image = await loadImage("notebooks/images/cat.png");
  await featureMaps(model, image, 0);
  assert.equal(sessions.openCount(), sessionsBefore + 1, "the cell's model runs in the warm-up's session");
  releaseGraph(model);
  model.dispose();
  assert.equal(closeIdleSessions(), 1);
  assert.equal(sessions.openCount(), sessionsBefore);
  assert.equal(tf.memory().numTensors, tensorsBefore);
});
