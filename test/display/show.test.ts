// The show* calls against a recording kernel runtime: what a cell gets back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { installKernelRuntime, kernelRuntime, KernelRuntime } from "../../kernel-helpers/src/runtime/runtime";
import type { JSONObject, OutgoingMessage } from "../../kernel-helpers/src/runtime/messages";
import { showFeatureMaps, showLayers } from "../../kernel-helpers/src/display/show";
import type { ChannelStack } from "../../kernel-helpers/src/types";
import { recordKernel } from "../support/recording-runtime";

const kernel = recordKernel();

function stack(): ChannelStack {
  const data = Float32Array.from({ length: 2 * 4 * 4 }, (_, i) => i / 10);
  return { layer: { name: "block1_conv1", index: 1 }, height: 4, width: 4, channels: 2, data, min: 0, max: 3.1 };
}

test("a cell ending in `await showFeatureMaps(…)` prints one line, not the widget's insides", async () => {
  const shown = await showFeatureMaps(stack());
  const printed = inspect(shown);
  assert.equal(printed, `ConvLensWidget ${shown.widget.commId}`);
  assert.ok(kernel.sent.some((m) => m.msgType === "display_data"), "the widget was displayed");
  shown.close();
  assert.equal(inspect(shown), `ConvLensWidget ${shown.widget.commId} (closed)`);
});

test("comm_open goes out before the display_data that shows it, so the page unpacks planes while the kernel draws the PNG", async () => {
  await showFeatureMaps(stack());
  assert.deepEqual(
    kernel.sent.map((m) => m.msgType).filter((t) => t === "comm_open" || t === "display_data"),
    ["comm_open", "display_data"],
  );
});

test("a display that fails after comm_open closes the widget's comm: no widget is left without a display", async () => {
  const kept: OutgoingMessage[] = [];
  installKernelRuntime(
    new KernelRuntime((m) => {
      if (m.msgType === "display_data") throw new Error("the front end went away");
      kept.push(m);
    }, () => {}),
  );
  await assert.rejects(showFeatureMaps(stack()), /the front end went away/);
  assert.deepEqual(kept.map((m) => m.msgType), ["comm_open", "comm_close"]);
});

test("several layers open as tabs under `arrangement`, leaving ipywidgets' `layout` key alone", async () => {
  await showLayers([stack(), stack()]);
  const open = kernel.sent.find((m) => m.msgType === "comm_open")!;
  const state = (open.content.data as { state: JSONObject }).state;
  assert.equal(state.arrangement, "tabs");
  assert.equal(Object.hasOwn(state, "layout"), false);
});

test("the earlier option name `layout` still arranges panels", async () => {
  const arrangementOf = () => ((kernel.sent.filter((m) => m.msgType === "comm_open").at(-1)!.content.data as { state: JSONObject }).state).arrangement;
  await showFeatureMaps([stack(), stack()], { layout: "tabs" });
  assert.equal(arrangementOf(), "tabs");
  await showLayers([stack(), stack()], { layout: "stacked" });
  assert.equal(arrangementOf(), "stacked");
});

test("a displayed widget takes the viewer's choices from a front end, and nothing the kernel owns", async () => {
  const shown = await showFeatureMaps(stack());
  const choices = [{ maps: { colour_scale: "viridis" }, filters: {} }];
  kernel.sent = [];
  kernelRuntime().comms.receiveMsg({ comm_id: shown.widget.commId, data: { method: "update", state: { choices, status: "x" } } }, []);
  assert.deepEqual(shown.widget.get("choices"), choices);
  assert.equal(shown.widget.get("status"), "");
  assert.match(kernel.logged.join("\n"), /ignored a front-end change of status on ConvLensModel .*: a front end may change only/);
  shown.close();
});
