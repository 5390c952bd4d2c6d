// The kernel's start-up run of convlens's paths (warm-up.ts): it runs the graph path as cells do,
// keeps no tensor, no graph session, no temp folder, and sends nothing (this process has no kernel
// runtime: a widget opened here would throw).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import * as tf from "@tensorflow/tfjs-node";
import { warmUpPaths } from "../../kernel-helpers/src/warm-up";
import { savedModelSessions } from "../../kernel-helpers/src/compute/tfjs-node-internals";

const convlensTemp = () => readdirSync(tmpdir()).filter((name) => name.startsWith("convlens-graph-"));

test("the warm-up runs featureMaps' graph and leaves no tensor, session or temp folder behind", async () => {
  const tempBefore = convlensTemp();
  const tensorsBefore = tf.memory().numTensors;
  const sessions = savedModelSessions();
  assert.ok(sessions, "tfjs-node's SavedModel sessions are not reachable: the graph path cannot run here");
  const sessionsBefore = sessions.openCount();
  const report = await warmUpPaths();
  assert.deepEqual(report, { graph: true });
  assert.equal(tf.memory().numTensors, tensorsBefore);
  assert.equal(sessions.openCount(), sessionsBefore);
  assert.deepEqual(convlensTemp(), tempBefore);
});
