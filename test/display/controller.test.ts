// The kernel side of a convlens widget answering the front end, with real helpers on a small
// real tfjs model. The Widget here is an in-memory stand-in recording what would go over the comm
// (the comm itself is the kernel issue's and is tested there and in the browser tests).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-node";
import { DisplayController, clampFilterPage, type ExplorerSource, type ViewWidget } from "../../kernel-helpers/src/display/controller";
import { filterPages, modelExplorerSource } from "../../kernel-helpers/src/display/model-source";
import { filtersPanel, type FiltersPanelState, type MapsPanelState, type ViewState } from "../../kernel-helpers/src/display/state";
import { filters, featureMapsSync } from "../../kernel-helpers/src/compute";
import type { ChannelStack } from "../../kernel-helpers/src/types";

function smallCnn(): tf.LayersModel {
  const input = tf.input({ shape: [16, 16, 3] });
  const c1 = tf.layers.conv2d({ filters: 12, kernelSize: 3, padding: "same", activation: "relu", name: "block1_conv1" }).apply(input) as tf.SymbolicTensor;
  const p1 = tf.layers.maxPooling2d({ poolSize: 2, name: "block1_pool" }).apply(c1) as tf.SymbolicTensor;
  const conv = tf.layers.conv2d({ filters: 20, kernelSize: 3, padding: "same", activation: "relu", name: "block2_conv1" });
  const c2 = conv.apply(p1) as tf.SymbolicTensor;
  // tfjs refuses such a name when it creates the weights; a model file can still carry one.
  (conv as { name: string }).name = "<img src=x onerror=window.__pwned=1>";
  return tf.model({ inputs: input, outputs: c2 });
}

/** Records set() and send(), fires change handlers like the kernel's Widget does (for set() and for front-end updates). */
class RecordingWidget implements ViewWidget {
  state: ViewState;
  isOpen = true;
  sent: unknown[] = [];
  patches: Partial<ViewState>[] = [];
  private handlers = new Map<string, ((...args: never[]) => void)[]>();
  constructor(state: Partial<ViewState>) {
    this.state = { title: "", panels: [], arrangement: "stacked", layers: [], layer_index: -1, mode: "maps", status: "", choices: [], ...state };
  }
  get<K extends keyof ViewState>(key: K): ViewState[K] {
    return this.state[key];
  }
  set(patch: Partial<ViewState>): void {
    if (!this.isOpen) throw new Error("convlens: cannot set on ConvLensModel: the widget is closed"); // as the kernel's Widget does
    this.patches.push(patch);
    this.apply(patch);
  }
  on(event: "change:layer_index" | "change:mode" | "msg", handler: (...args: never[]) => void): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }
  send(content: unknown): void {
    this.sent.push(content);
  }
  /** what the comm does when the front end changes a key */
  frontEndSets(patch: Partial<ViewState>): void {
    this.apply(patch);
  }
  private apply(patch: Partial<ViewState>): void {
    const changed = Object.keys(patch).filter((key) => !Object.is(this.state[key as keyof ViewState], (patch as Record<string, unknown>)[key]));
    Object.assign(this.state, patch);
    for (const key of changed) for (const h of this.handlers.get(`change:${key}`) ?? []) (h as (v: unknown) => void)((patch as Record<string, unknown>)[key]);
  }
}

const image = () => tf.randomUniform([16, 16, 3], 0, 255, "float32", 7) as tf.Tensor3D;

test("a value request is answered with the kernel's exact float at (channel, row, col); out of range gives null", async () => {
  const model = smallCnn();
  const img = image();
  const [maps] = featureMapsSync(model, img, "block1_conv1");
  const widget = new RecordingWidget({});
  const controller = new DisplayController(widget, [{ kind: "maps", stack: maps, options: {} }]);
  await controller.onMessage({ type: "value", request: 4, panel: 0, channel: 11, row: 15, col: 3 });
  await controller.onMessage({ type: "value", request: 5, panel: 0, channel: 12, row: 0, col: 0 });
  await controller.onMessage({ type: "nonsense" });
  assert.deepEqual(widget.sent, [
    { type: "value", request: 4, panel: 0, channel: 11, row: 15, col: 3, value: maps.data[(11 * 16 + 15) * 16 + 3] },
    { type: "value", request: 5, panel: 0, channel: 12, row: 0, col: 0, value: null },
  ]);
  img.dispose();
});

test("a filters page request recomputes the panel from the model; pages align to the page size", async () => {
  const model = smallCnn();
  const layer = "<img src=x onerror=window.__pwned=1>";
  const compute = filterPages(model, 3);
  const first = await compute({ filterStart: 0, filters: 8, channelStart: 0, channels: 8 });
  const widget = new RecordingWidget({ panels: [filtersPanel(first)] });
  const controller = new DisplayController(widget, [{ kind: "filters", stack: first, compute, pageFilters: 8, pageChannels: 8, options: {} }]);
  await controller.onMessage({ type: "filters_page", panel: 0, filter_start: 13, channel_start: 9 });
  const panel = widget.state.panels[0] as FiltersPanelState;
  assert.equal(panel.kind, "filters");
  assert.deepEqual([panel.filter_start, panel.filters, panel.channel_start, panel.in_channels], [8, 8, 8, 4]);
  assert.equal(panel.layer.name, layer);
  const expected = filters(model, 3, { filters: [8, 16], channels: [8, 12] });
  assert.deepEqual(panel.planes.exact, expected.data);
  assert.equal(widget.state.status, "");
});

test("a fixed FilterStack cannot page: the status line says why, the kernel carries on", async () => {
  const model = smallCnn();
  const stack = filters(model, "block1_conv1", { filters: 6 });
  const widget = new RecordingWidget({});
  const controller = new DisplayController(widget, [{ kind: "filters", stack, compute: null, pageFilters: 8, pageChannels: 8, options: {} }]);
  await controller.onMessage({ type: "filters_page", panel: 0, filter_start: 6, channel_start: 0 });
  assert.match(widget.state.status, /^convlens: these filters cannot be paged/);
});

/** The status values a Backbone model would fire change:status for, given the kernel's updates in order. */
function statusChanges(patches: Partial<ViewState>[], initial = ""): string[] {
  const seen: string[] = [];
  let current = initial;
  for (const p of patches) {
    if (p.status === undefined || p.status === current) continue;
    current = p.status;
    seen.push(current);
  }
  return seen;
}

test("a page request that fails like the one before still changes the status, so the front end's loading line goes", async () => {
  const model = smallCnn();
  const stack = filters(model, "block1_conv1", { filters: 6 });
  const widget = new RecordingWidget({});
  const controller = new DisplayController(widget, [{ kind: "filters", stack, compute: null, pageFilters: 8, pageChannels: 8, options: {} }]);
  await controller.onMessage({ type: "filters_page", panel: 0, filter_start: 6, channel_start: 0 });
  const first = statusChanges(widget.patches).length;
  await controller.onMessage({ type: "filters_page", panel: 0, filter_start: 6, channel_start: 0 });
  const changes = statusChanges(widget.patches);
  assert.ok(changes.length > first, `the second failure fired no change:status (statuses: ${JSON.stringify(changes)})`);
  assert.match(changes.at(-1)!, /^convlens: these filters cannot be paged/);
});

test("the explorer recomputes on the front end's layer and mode changes, without leaking tensors", async () => {
  const model = smallCnn();
  const img = image();
  const source = await modelExplorerSource(model, img);
  assert.deepEqual(source.layers.map((l) => l.index), [1, 3]);
  const widget = new RecordingWidget({ layers: source.layers, layer_index: 1, mode: "maps" });
  const controller = new DisplayController(widget, [], source);
  const before = tf.memory().numTensors;
  widget.frontEndSets({ layer_index: 3 });
  await controller.showExplorerLayer(); // the change handler started one; this waits for a second, same answer
  const maps = widget.state.panels[0] as MapsPanelState;
  assert.equal(maps.kind, "maps");
  assert.equal(maps.layer.index, 3);
  assert.equal(maps.planes.count, 20);
  const [expected] = featureMapsSync(model, img, 3);
  assert.deepEqual(maps.planes.exact, expected.data);

  widget.frontEndSets({ mode: "filters" });
  await controller.showExplorerLayer();
  const f = widget.state.panels[0] as FiltersPanelState;
  assert.equal(f.kind, "filters");
  assert.deepEqual([f.filters, f.in_channels, f.total_filters, f.total_in_channels], [8, 8, 20, 12]);
  assert.equal(tf.memory().numTensors, before);

  widget.frontEndSets({ layer_index: 2 }); // refused at once, before any computing
  assert.match(widget.state.status, /no conv layer has index 2; choose one of 1, 3/);
  assert.deepEqual([widget.state.layer_index, widget.state.mode], [3, "filters"], "the dropdowns go back to what is shown");
  img.dispose();
});

test("a failed explorer choice puts the dropdowns back on the shown layer, so choosing it again asks again", async () => {
  const stackOf = (index: number): ChannelStack => ({ layer: { name: `conv${index}`, index }, channels: 1, height: 2, width: 2, data: new Float32Array(4).fill(index), min: index, max: index });
  const asked: number[] = [];
  const source: ExplorerSource = {
    layers: [{ name: "conv1", index: 1 }, { name: "conv3", index: 3 }],
    computeMaps: async (layerIndex) => {
      asked.push(layerIndex);
      if (layerIndex === 3) throw new Error("conv3 ran out of memory");
      return stackOf(layerIndex);
    },
    computeFilters: () => {
      throw new Error("not used");
    },
  };
  const widget = new RecordingWidget({ layers: source.layers, layer_index: 1, mode: "maps" });
  const controller = new DisplayController(widget, [], source);
  widget.frontEndSets({ layer_index: 3 });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(widget.state.status, "convlens: conv3 ran out of memory");
  assert.equal(widget.state.layer_index, 1, "the dropdown is back on the layer that is shown");
  assert.deepEqual(asked, [3], "putting the dropdown back is not a new choice");
  widget.frontEndSets({ layer_index: 3 });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(asked, [3, 3], "the same choice again is asked again");
  widget.frontEndSets({ layer_index: 1 });
  await controller.showExplorerLayer();
  assert.equal((widget.state.panels[0] as MapsPanelState).layer.name, "conv1");
  assert.equal(widget.state.status, "");
});

test("a refused layer index supersedes a choice still computing: the panel and the dropdown stay together", async () => {
  let finish: (stack: ChannelStack) => void = () => undefined;
  const source: ExplorerSource = {
    layers: [{ name: "conv1", index: 1 }, { name: "conv3", index: 3 }],
    computeMaps: () => new Promise<ChannelStack>((resolve) => (finish = resolve)),
    computeFilters: () => {
      throw new Error("not used");
    },
  };
  const widget = new RecordingWidget({ layers: source.layers, layer_index: 1, mode: "maps" });
  new DisplayController(widget, [], source);
  widget.frontEndSets({ layer_index: 3 }); // computing…
  widget.frontEndSets({ layer_index: 2 }); // no such conv layer: back to 1
  finish({ layer: { name: "conv3", index: 3 }, channels: 1, height: 1, width: 1, data: new Float32Array(1), min: 0, max: 0 });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(widget.state.layer_index, 1);
  assert.deepEqual(widget.state.panels, [], "conv3's late result is not shown under a dropdown that says conv1");
  assert.match(widget.state.status, /no conv layer has index 2/);
});

test("a widget closed while its layer computes takes no update and raises nothing", async () => {
  let finish: (stack: ChannelStack) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const source: ExplorerSource = {
    layers: [{ name: "conv1", index: 1 }, { name: "conv3", index: 3 }],
    computeMaps: (layerIndex) => new Promise<ChannelStack>((resolve, reject) => ((finish = resolve), (fail = reject), void layerIndex)),
    computeFilters: () => {
      throw new Error("not used");
    },
  };
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    for (const outcome of ["result", "error"] as const) {
      const widget = new RecordingWidget({ layers: source.layers, layer_index: 1, mode: "maps" });
      new DisplayController(widget, [], source);
      widget.frontEndSets({ layer_index: 3 });
      const patches = widget.patches.length;
      widget.isOpen = false; // the user re-ran the cell: the comm is closed
      if (outcome === "result") finish({ layer: { name: "conv3", index: 3 }, channels: 1, height: 1, width: 1, data: new Float32Array(1), min: 0, max: 0 });
      else fail(new Error("conv3 ran out of memory"));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(widget.patches.length, patches, `no update after the close (${outcome})`);
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(rejections, []);
  } finally {
    process.off("unhandledRejection", onRejection);
  }
});

test("an explorer choice that fails after a newer one was shown leaves the newer panel and no error", async () => {
  const stackOf = (index: number): ChannelStack => ({ layer: { name: `conv${index}`, index }, channels: 1, height: 2, width: 2, data: new Float32Array(4).fill(index), min: index, max: index });
  let failSlow: (error: Error) => void = () => undefined;
  const source: ExplorerSource = {
    layers: [{ name: "conv1", index: 1 }, { name: "conv3", index: 3 }],
    computeMaps: (layerIndex) => (layerIndex === 1 ? new Promise<ChannelStack>((_, reject) => (failSlow = reject)) : stackOf(layerIndex)),
    computeFilters: () => {
      throw new Error("not used");
    },
  };
  const widget = new RecordingWidget({ layers: source.layers, layer_index: 3, mode: "maps" });
  const controller = new DisplayController(widget, [], source);
  widget.frontEndSets({ layer_index: 1 }); // slow, will fail
  widget.frontEndSets({ layer_index: 3 }); // fast, shown
  await controller.showExplorerLayer(); // the newest choice: conv3
  assert.equal((widget.state.panels[0] as MapsPanelState).layer.name, "conv3");
  failSlow(new Error("conv1 ran out of memory"));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(widget.state.status, "", "the stale failure does not cover the panel that is shown");
  assert.equal((widget.state.panels[0] as MapsPanelState).layer.name, "conv3");
});

test("page clamping", () => {
  const stack = { totalFilters: 64, totalInChannels: 3 } as Parameters<typeof clampFilterPage>[0];
  assert.deepEqual(clampFilterPage(stack, 70, 0, 8, 8), { filterStart: 56, filters: 8, channelStart: 0, channels: 3 });
  assert.deepEqual(clampFilterPage(stack, -5, 2, 8, 8), { filterStart: 0, filters: 8, channelStart: 0, channels: 3 });
  assert.deepEqual(clampFilterPage(stack, 5, 0, 8, 8), { filterStart: 0, filters: 8, channelStart: 0, channels: 3 });
});
