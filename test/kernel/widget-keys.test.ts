// Which keys of a front end's update reach the kernel's widget state, observed at the runtime's one
// outlet and its log (the harness of widget-protocol.test.ts). A front end's JSON arrives parsed by
// JSON.parse, so "__proto__" in it is an own key, as the updates below make it.
import { afterEach, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { installKernelRuntime, KernelRuntime } from "../../kernel-helpers/src/runtime/runtime";
import { Widget } from "../../kernel-helpers/src/runtime/widget";
import type { Header, JSONObject, OutgoingMessage } from "../../kernel-helpers/src/runtime/messages";
import { viewWidgetSpec } from "../../kernel-helpers/src/display/front-end";
import type { ViewState } from "../../kernel-helpers/src/display/wire";

let sent: OutgoingMessage[];
let logged: string[];
let runtime: KernelRuntime;

beforeEach(() => {
  sent = [];
  logged = [];
  runtime = new KernelRuntime((m) => sent.push(m), (t) => logged.push(t));
  installKernelRuntime(runtime);
});
afterEach(() => installKernelRuntime(undefined));

function header(msgType: string, id: string): Header {
  return { msg_id: id, session: "front", username: "u", date: "2026-01-01T00:00:00Z", msg_type: msgType, version: "5.3" };
}

/** A front end's `update`, given as the JSON text the wire carries. */
function frontEndUpdate(commId: string, stateJson: string): void {
  const data = JSON.parse(`{"method": "update", "state": ${stateJson}, "buffer_paths": []}`) as JSONObject;
  runtime.withParent(header("comm_msg", "front-msg"), () => runtime.comms.receiveMsg({ comm_id: commId, data }, []));
}

/** The state of each message the kernel sent back, by method. */
function replies(): [string, JSONObject][] {
  return sent.map((m) => {
    const data = m.content.data as JSONObject;
    return [String(data.method), data.state as JSONObject];
  });
}

function slider() {
  return new Widget<{ value: number } & JSONObject>({
    modelName: "IntSliderModel",
    modelModule: "@jupyter-widgets/controls",
    modelModuleVersion: "2.0.0",
    state: { value: 3 },
  });
}

function explorer() {
  const state: ViewState = {
    title: "t",
    panels: [],
    arrangement: "stacked",
    layers: [{ name: "conv1", index: 1 }, { name: "conv2", index: 2 }],
    layer_index: 1,
    mode: "maps",
    status: "",
    choices: [],
  };
  return new Widget<ViewState>(viewWidgetSpec(state));
}

const noPollution = () => assert.equal(({} as Record<string, unknown>).polluted, undefined, "no Object.prototype pollution");

/** Any key of a widget's state, declared or not. */
const anyKey = (w: Widget<never> | Widget, key: string) => (w as unknown as { get(k: string): unknown }).get(key);

function assertIgnored(keys: string[], model: string): void {
  for (const key of keys) {
    const line = `ignored a front-end change of ${key} on ${model}`;
    assert.ok(logged.some((l) => l.includes(line)), `${key}: ${logged.join("\n")}`);
  }
}

test("a widget without declared keys drops __proto__, constructor and prototype, logs them, and keeps the rest", () => {
  const w = slider();
  const seen: number[] = [];
  w.on("change:value", (v) => seen.push(v));
  sent = [];
  const update = '{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}, "prototype": 3, "value": 4}';
  frontEndUpdate(w.commId, update);
  assert.deepEqual(replies(), [["echo_update", { value: 4 }]], "only the value is echoed; the kernel holds no other");
  assert.deepEqual(seen, [4]);
  noPollution();
  const state = w.splitState().state;
  assert.equal(Object.getPrototypeOf(state), Object.prototype);
  assert.deepEqual(["__proto__", "constructor", "prototype"].filter((k) => Object.hasOwn(state, k)), []);
  assert.equal(anyKey(w, "polluted"), undefined, "the widget's state got no prototype");
  assertIgnored(["__proto__", "constructor", "prototype"], "IntSliderModel");
});

test("a widget without declared keys still takes any other key, as a generic ipywidgets model needs", () => {
  const w = slider();
  sent = [];
  frontEndUpdate(w.commId, '{"description": "level"}');
  assert.deepEqual(replies(), [["echo_update", { description: "level" }]]);
  assert.equal(w.splitState().state.description, "level");
  assert.deepEqual(logged, []);
});

test("the kernel never sends a prototype name as a state key either", () => {
  const w = slider();
  assert.throws(() => w.set(JSON.parse('{"__proto__": {"polluted": 1}}')), /IntSliderModel cannot have a state key named __proto__/);
  assert.throws(
    () => new Widget({ modelName: "M", modelModule: "m", modelModuleVersion: "1", state: { constructor: 1 } }),
    /convlens: M cannot have a state key named constructor/,
  );
  noPollution();
});

test("a convlens widget takes a valid layer, mode and choices from a front end and fires their change handlers", () => {
  const w = explorer();
  const seen: unknown[] = [];
  w.on("change:layer_index", (v, old) => seen.push(["layer_index", v, old]));
  w.on("change:mode", (v) => seen.push(["mode", v]));
  w.on("change:choices", (v) => seen.push(["choices", v]));
  sent = [];
  const maps = { colour_scale: "viridis", scale_mode: "shared", sort: "mean", page: { layer: 2, page: 1 } };
  const choices = [{ maps, filters: { rgb: true } }, {}];
  frontEndUpdate(w.commId, JSON.stringify({ layer_index: 2, mode: "filters", choices }));
  assert.deepEqual(replies(), [["echo_update", { layer_index: 2, mode: "filters", choices }]]);
  assert.deepEqual(seen, [["layer_index", 2, 1], ["mode", "filters"], ["choices", choices]]);
  assert.deepEqual([w.get("layer_index"), w.get("mode"), w.get("choices")], [2, "filters", choices]);
  assert.deepEqual(logged, []);
});

test("a convlens widget drops __proto__, constructor and keys a front end may not change, and logs each", () => {
  const w = explorer();
  const seen: unknown[] = [];
  w.on("change:title", (v) => seen.push(v));
  w.on("change:mode", (v) => seen.push(v));
  sent = [];
  const update = '{"__proto__": {"polluted": 1}, "constructor": 1, "title": "hacked", "panels": [], "evil": 1, "mode": "filters"}';
  frontEndUpdate(w.commId, update);
  // title and panels are the kernel's: it says their value again, so the sender shows it too
  assert.deepEqual(replies(), [
    ["echo_update", { mode: "filters" }],
    ["update", { title: "t", panels: [] }],
  ]);
  assert.deepEqual(seen, ["filters"], "only the mode changed");
  assert.equal(w.get("title"), "t");
  noPollution();
  assert.equal(anyKey(w, "polluted"), undefined);
  assert.equal(Object.hasOwn(w.splitState().state, "evil"), false);
  assertIgnored(["__proto__", "constructor", "title", "panels", "evil"], "ConvLensModel");
  assert.match(logged.find((l) => l.includes(" evil "))!, /a front end may change only layer_index, mode, choices/);
});

test("a declared key with a value of the wrong type is dropped, logged with what was expected, and set back", () => {
  const w = explorer();
  let changes = 0;
  w.on("change:layer_index", () => changes++);
  w.on("change:mode", () => changes++);
  for (const [update, expected] of [
    ['{"layer_index": "2"}', /layer_index must be an integer, got "2"/],
    ['{"layer_index": 1.5}', /layer_index must be an integer, got 1.5/],
    ['{"layer_index": null}', /layer_index must be an integer, got null/],
    ['{"mode": "pictures"}', /mode must be one of "maps", "filters", got "pictures"/],
    ['{"mode": ["maps"]}', /mode must be one of/],
  ] as const) {
    sent = [];
    logged = [];
    frontEndUpdate(w.commId, update);
    const key = Object.keys(JSON.parse(update))[0] as "layer_index" | "mode";
    assert.deepEqual(replies(), [["echo_update", {}], ["update", { [key]: w.get(key) }]], update);
    assert.match(logged.join("\n"), expected);
  }
  assert.equal(changes, 0);
  assert.deepEqual([w.get("layer_index"), w.get("mode")], [1, "maps"]);
});

test("malformed choices are dropped whole and logged with where they are wrong", () => {
  const w = explorer();
  let changes = 0;
  w.on("change:choices", () => changes++);
  const cases: [string, RegExp][] = [
    ['{"maps": {}}', /choices must be a list, got/],
    // the panel kinds' own keys follow maps and filters (attribution, maximized, …)
    ["[null]", /choices\[0\] must be an object with keys among maps, filters\b.*, got null/],
    ['[["maps"]]', /choices\[0\] must be an object/],
    ['[{"labels": true}]', /choices\[0\]\.labels must be absent \(the keys are maps, filters\b/],
    [
      '[{}, {"maps": {"colour_scale": "pink"}}]',
      /choices\[1\]\.maps\.colour_scale must be one of "grey", "viridis", "diverging", got "pink"/,
    ],
    ['[{"maps": {"scale_mode": 1}}]', /choices\[0\]\.maps\.scale_mode must be one of "channel", "shared"/],
    ['[{"maps": {"sort": "name"}}]', /choices\[0\]\.maps\.sort must be one of "index", "mean"/],
    ['[{"maps": {"page": {"layer": 2}}}]', /choices\[0\]\.maps\.page must be an object with layer and page/],
    ['[{"maps": {"page": {"layer": 2, "page": -1}}}]', /maps\.page\.page must be an integer ≥ 0, got -1/],
    ['[{"maps": {"page": {"layer": 2, "page": 0, "extra": 1}}}]', /choices\[0\]\.maps\.page\.extra must be absent/],
    ['[{"filters": {"rgb": "yes"}}]', /choices\[0\]\.filters\.rgb must be true or false, got "yes"/],
    ['[{"filters": {"sort": "mean"}}]', /filters\.sort must be absent \(the keys are colour_scale, rgb\)/],
    ['[{"maps": {"__proto__": {"polluted": 1}}}]', /choices\[0\]\.maps\.__proto__ must be absent/],
    ['[{"constructor": {"prototype": {"polluted": 1}}}]', /choices\[0\]\.constructor must be absent/],
  ];
  for (const [choices, expected] of cases) {
    sent = [];
    logged = [];
    frontEndUpdate(w.commId, `{"choices": ${choices}}`);
    assert.deepEqual(replies(), [["echo_update", {}], ["update", { choices: [] }]], choices);
    assert.match(logged.join("\n"), expected, choices);
  }
  assert.equal(changes, 0);
  assert.deepEqual(w.get("choices"), []);
  noPollution();
});
