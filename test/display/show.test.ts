// The show* calls against a recording kernel runtime: what a cell gets back.
import { afterEach, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { installKernelRuntime, KernelRuntime } from "../../kernel-helpers/src/kernel/runtime";
import type { OutgoingMessage } from "../../kernel-helpers/src/kernel/messages";
import { showFeatureMaps } from "../../kernel-helpers/src/display/show";
import type { ChannelStack } from "../../kernel-helpers/src/types";

let sent: OutgoingMessage[] = [];
beforeEach(() => {
  sent = [];
  installKernelRuntime(new KernelRuntime((m) => sent.push(m), () => {}));
});
afterEach(() => installKernelRuntime(undefined));

function stack(): ChannelStack {
  const data = Float32Array.from({ length: 2 * 4 * 4 }, (_, i) => i / 10);
  return { layer: { name: "block1_conv1", index: 1 }, height: 4, width: 4, channels: 2, data, min: 0, max: 3.1 };
}

test("a cell ending in `await showFeatureMaps(…)` prints one line, not the widget's insides", async () => {
  const shown = await showFeatureMaps(stack());
  const printed = inspect(shown);
  assert.equal(printed, `ConvLensWidget ${shown.widget.commId}`);
  assert.ok(sent.some((m) => m.msgType === "display_data"), "the widget was displayed");
  shown.close();
  assert.equal(inspect(shown), `ConvLensWidget ${shown.widget.commId} (closed)`);
});
