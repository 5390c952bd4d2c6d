// showAttribution against a recording kernel runtime, on a small seeded classifier: the panel state
// built from a gradCam / occlusion result, the class-change request recomputing the map, bad requests
// as the status line, the PNG fallback in the widget's colours, and no tensor left behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import * as tf from "@tensorflow/tfjs-node";
import { kernelRuntime } from "../../kernel-helpers/src/runtime/runtime";
import type { JSONObject } from "../../kernel-helpers/src/runtime/messages";
import { gradCam, loadImage, occlusion, predict, setPreprocessing } from "../../kernel-helpers/src/compute";
import type { LoadedImage } from "../../kernel-helpers/src/compute";
import { showAttribution, type AttributionWidget } from "../../kernel-helpers/src/display/attribution";
import {
  attributionMontage,
  attributionPanel,
  colourAt as kernelColourAt,
  colourRange,
} from "../../kernel-helpers/src/display/attribution-state";
import { describePanel, type AttributionPanelState, type ViewState } from "../../kernel-helpers/src/display/state";
import { colourAt as widgetColourAt } from "../../widgets/src/colours";
import { ROOT } from "../support/jupyterlab";
import { join } from "node:path";
import { recordKernel } from "../support/recording-runtime";

const LABELS = ["<img src=x onerror=window.__pwned=1>", "cat", "dog", "bird"];

const kernel = recordKernel();

/** Four classes over a 32 px input, seeded: on the cat photo classes 2 and 0 lead and both Grad-CAMs are non-zero. */
function classifier(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const same = { kernelSize: 3, padding: "same", activation: "relu" } as const;
  const conv = (name: string, filters: number, seed: number) =>
    tf.layers.conv2d({ name, filters, ...same, kernelInitializer: init(seed) });
  const input = tf.input({ shape: [32, 32, 3] });
  let x = conv("conv1", 8, 1).apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ name: "pool1", poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = conv("conv2", 16, 2).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: "flatten" }).apply(x) as tf.SymbolicTensor;
  const head = tf.layers.dense({ name: "head", units: 4, activation: "softmax", kernelInitializer: init(3) });
  const model = tf.model({ inputs: input, outputs: head.apply(x) as tf.SymbolicTensor });
  setPreprocessing(model, "unit");
  return model;
}

const model = classifier();
let photo: LoadedImage;
const cat = async () => (photo ??= await loadImage(join(ROOT, "notebooks", "images", "cat.png")));

const openState = (): ViewState =>
  (kernel.sent.find((m) => m.msgType === "comm_open")!.content.data as { state: ViewState }).state;
const shownPanel = (shown: AttributionWidget) => shown.widget.get("panels")[0] as AttributionPanelState;
const custom = (shown: AttributionWidget, content: JSONObject) =>
  kernelRuntime().comms.receiveMsg({ comm_id: shown.widget.commId, data: { method: "custom", content } }, []);

test("the panel state from a gradCam result: the map as uint8 codes, its class and layer, the top k", async () => {
  const result = await gradCam(model, await cat());
  const predictions = await predict(model, await cat(), { k: 4, labels: LABELS });
  const panel = attributionPanel({ result, predictions, k: 2, image: Uint8Array.of(1, 2, 3) });
  assert.equal(panel.kind, "attribution");
  assert.equal(panel.method, "gradcam");
  assert.equal(panel.class_index, 2);
  assert.equal(panel.class_label, "dog");
  assert.deepEqual(panel.layer, { name: "conv2", index: 3 });
  assert.equal(panel.signed, false);
  assert.equal(panel.colour_scale, "viridis");
  assert.equal(panel.opacity, 0.5);
  assert.deepEqual(panel.colour_range, [0, 1]);
  const m = panel.map;
  assert.deepEqual([m.count, m.height, m.width, m.codes.length, m.exact], [1, 32, 32, 32 * 32, null]);
  assert.ok(m.codes instanceof Uint8Array && m.scale instanceof Float32Array && m.offset instanceof Float32Array);
  const worst = result.data.reduce((w, v, i) => Math.max(w, Math.abs(m.offset[0] + m.scale[0] * m.codes[i] - v)), 0);
  assert.ok(worst <= m.scale[0] / 2 + 1e-7, `codes within half a step of the map (${worst})`);
  assert.equal(m.codes[result.data.indexOf(1)], 255);
  assert.deepEqual(
    panel.classes.map((c) => [c.rank, c.class_index, c.label]),
    [[1, 2, "dog"], [2, 0, LABELS[0]]],
  );
  assert.ok(Math.abs(panel.classes[0].probability - predictions[0].probability) < 1e-7);
  const line = /^Grad-CAM of "dog" \(class 2\) at conv2 \(layer 3\), 32×32; top classes: dog \d+\.\d %, /;
  assert.match(describePanel(panel), line);
});

test("an occlusion map is signed: a diverging scale by default, its colour range symmetric about 0", async () => {
  const result = await occlusion(model, await cat());
  assert.ok(result.min < 0 && result.max > 0, "this image's occlusion map has both signs");
  const predictions = await predict(model, await cat(), { k: 4 });
  const panel = attributionPanel({ result, predictions, k: 4, image: new Uint8Array(0) });
  assert.equal(panel.signed, true);
  assert.equal(panel.colour_scale, "diverging");
  assert.equal(panel.layer, null);
  const most = Math.max(-result.min, result.max);
  assert.deepEqual(panel.colour_range, [-most, most]);
  assert.match(panel.measure, /drop in probability/);
  assert.deepEqual(colourRange(0, 0, false), [0, 1], "an all-zero map has a range");
  assert.deepEqual(colourRange(0, 0, true), [-1, 1]);
});

test("showAttribution opens one widget: the map as binary buffers, a PNG fallback and a text line", async () => {
  const shown = await showAttribution(model, await cat(), { labels: LABELS, k: 3, title: "why dog?" });
  assert.equal(inspect(shown), `ConvLensWidget ${shown.widget.commId}`);
  const order = kernel.sent.map((m) => m.msgType).filter((t) => t === "comm_open" || t === "display_data");
  assert.deepEqual(order, ["comm_open", "display_data"]);
  const open = kernel.sent.find((m) => m.msgType === "comm_open")!;
  const paths = (open.content.data as { buffer_paths: (string | number)[][] }).buffer_paths.map((p) => p.join("."));
  for (const key of ["map.codes", "map.scale", "map.offset", "image"]) {
    assert.ok(paths.includes(`panels.0.${key}`), `${key} travels as a buffer`);
  }
  const state = openState();
  assert.equal(state.title, "why dog?");
  assert.equal((state.panels[0] as AttributionPanelState).class_label, "dog");
  assert.equal((state.panels[0] as AttributionPanelState).classes.length, 3);
  const data = kernel.sent.find((m) => m.msgType === "display_data")!.content.data as Record<string, string>;
  assert.match(data["text/plain"], /^convlens: why dog\?: Grad-CAM of "dog" \(class 2\) at conv2 \(layer 3\)/);
  assert.equal(Buffer.from(data["image/png"], "base64").subarray(1, 4).toString(), "PNG");
  assert.deepEqual(Array.from(shown.result.data), Array.from((await gradCam(model, await cat())).data));
  shown.close();
});

test("clicking another class: the kernel says what it computes, then shows that class's map", async () => {
  const shown = await showAttribution(model, await cat(), { labels: LABELS });
  kernel.sent = [];
  custom(shown, { type: "attribution_class", panel: 0, class_index: 1 });
  await shown.controller.settled;
  const updates = kernel.sent
    .filter((m) => m.msgType === "comm_msg")
    .map((m) => (m.content.data as { state: Partial<ViewState> }).state);
  assert.deepEqual(updates[0], { status: "computing Grad-CAM for cat…" });
  assert.equal(updates.at(-1)!.status, "");
  const panel = shownPanel(shown);
  assert.equal(panel.class_index, 1);
  assert.equal(panel.class_label, "cat");
  assert.equal(panel.classes.find((c) => c.class_index === 1)?.label, "cat");
  const expected = await gradCam(model, await cat(), { classIndex: 1 });
  assert.deepEqual(Array.from(shown.result.data), Array.from(expected.data));
  assert.equal(shown.widget.get("status"), "");
  shown.close();
});

test("a bad class index or panel in a request becomes the status line; the map stays, the kernel goes on", async () => {
  const shown = await showAttribution(model, await cat(), { labels: LABELS });
  const before = shownPanel(shown);
  const bad: [unknown, unknown, RegExp][] = [
    [4, 0, /^convlens: cannot explain class 4: this model's classes are 0 to 3$/],
    [-1, 0, /cannot explain class -1/],
    [1.5, 0, /cannot explain class 1\.5/],
    ["2", 0, /cannot explain class "2"/],
    [null, 0, /cannot explain class null/],
    [1, 3, /panel 3 of this widget is not an attribution map/],
    [1, "x", /panel "x" of this widget/],
  ];
  for (const [classIndex, panel, status] of bad) {
    custom(shown, { type: "attribution_class", panel, class_index: classIndex } as JSONObject);
    await shown.controller.settled;
    assert.match(shown.widget.get("status"), status);
    assert.equal(shownPanel(shown), before, "the panel is not replaced");
  }
  custom(shown, { type: "attribution_class", panel: 0, class_index: 0 });
  await shown.controller.settled;
  assert.equal(shownPanel(shown).class_index, 0, "a good request after bad ones is answered");
  assert.equal(shown.widget.get("status"), "");
  shown.close();
});

test("a failing recomputation (the model disposed meanwhile) becomes the status line", async () => {
  const own = classifier();
  const shown = await showAttribution(own, await cat());
  own.dispose();
  await shown.controller.explainClass(1);
  assert.match(shown.widget.get("status"), /^convlens: /);
  assert.equal(shownPanel(shown).class_index, 2);
  shown.close();
});

test("when clicks overlap, the last one wins: an earlier, slower result is dropped", async () => {
  const shown = await showAttribution(model, await cat(), { labels: LABELS });
  const first = shown.controller.explainClass(1);
  const second = shown.controller.explainClass(3);
  await Promise.all([first, second]);
  assert.equal(shownPanel(shown).class_index, 3);
  assert.equal(shown.result.classIndex, 3);
  shown.close();
});

test("no tensor is left behind over 20 class changes, nor by a tensor image once the widget closes", async () => {
  const loaded = await cat();
  const pixels = () => tf.tensor3d(loaded.rgb, [loaded.height, loaded.width, 3], "int32").toFloat();
  const image = tf.tidy(() => tf.image.resizeBilinear(pixels(), [32, 32]).div(255)) as tf.Tensor3D;
  const start = tf.memory().numTensors;
  const shown = await showAttribution(model, image, { method: "saliency", smoothSamples: 3, seed: 7 });
  image.dispose(); // the cell's tensor may go: the widget keeps its own copy
  const during = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) {
    custom(shown, { type: "attribution_class", panel: 0, class_index: i % 4 });
    await shown.controller.settled;
    assert.equal(shown.widget.get("status"), "", `request ${i}`);
  }
  custom(shown, { type: "attribution_class", panel: 0, class_index: 99 });
  await shown.controller.settled;
  assert.equal(tf.memory().numTensors, during, "20 recomputations and a refused one leave no tensor");
  assert.equal(shown.result.method, "smoothgrad");
  assert.equal((shown.result as { seed: number }).seed, 7, "every class's SmoothGrad uses the same noise");
  shown.close();
  assert.equal(tf.memory().numTensors, start - 1, "closing frees the widget's copy of the image");
});

test("a class asked for outside the top k gets its own bar, after them", async () => {
  const options = { k: 1, classIndex: 3, labels: LABELS, method: "occlusion", patch: 8 } as const;
  const shown = await showAttribution(model, await cat(), options);
  const panel = shownPanel(shown);
  assert.deepEqual(panel.classes.map((c) => [c.rank, c.class_index]), [[1, 2], [4, 3]]);
  assert.equal(panel.class_label, "bird");
  assert.equal(panel.colour_scale, "diverging");
  shown.close();
});

test("bad options are convlens errors before any widget opens", async () => {
  const image = await cat();
  const cases: [unknown, RegExp][] = [
    [{ method: "lime" }, /method is one of "gradcam", "saliency", "occlusion", not "lime"/],
    [{ k: 0 }, /k \(how many classes the chart shows\) is an integer from 1 to 4, not 0/],
    [{ opacity: 2 }, /opacity is a number from 0 to 1/],
    [{ colourScale: "jet" }, /colourScale is one of "grey", "viridis", "diverging"/],
    [{ patch: 8 }, /gradCam\(\) has no option "patch"/],
    [{ classIndex: 9 }, /classIndex 9 is not a class of this model/],
    [{ labels: ["a", "b"] }, /has 4 classes but 2 labels were given/],
  ];
  for (const [options, message] of cases) {
    await assert.rejects(showAttribution(model, image, options as never), message);
  }
  await assert.rejects(showAttribution(model, undefined as never), /needs an image/);
  assert.equal(kernel.sent.filter((m) => m.msgType === "comm_open").length, 0, "no comm was opened");
});

test("the viewer's colour scale and opacity are choices a front end may set, and only valid ones", async () => {
  const shown = await showAttribution(model, await cat());
  const update = (choices: JSONObject[]) =>
    kernelRuntime().comms.receiveMsg({ comm_id: shown.widget.commId, data: { method: "update", state: { choices } } }, []);
  const good = [{ attribution: { colour_scale: "grey", opacity: 0.25 } }];
  update(good);
  assert.deepEqual(shown.widget.get("choices"), good);
  update([{ attribution: { opacity: 1.5 } }]);
  update([{ attribution: { colour_scale: "<b>" } }]);
  assert.deepEqual(shown.widget.get("choices"), good);
  assert.match(kernel.logged.join("\n"), /choices\[0\]\.attribution\.opacity must be a number from 0 to 1/);
  shown.close();
});

test("the PNG fallback blends the map in the widget's own colours: where the map is 1, the top colour", async () => {
  for (const scale of ["grey", "viridis", "diverging"] as const) {
    for (let i = 0; i <= 100; i++) {
      assert.deepEqual(kernelColourAt(scale, i / 100), widgetColourAt(scale, i / 100), `${scale} at ${i / 100}`);
    }
    assert.deepEqual(kernelColourAt(scale, NaN), widgetColourAt(scale, NaN));
  }
  // a 4 × 4 map that is 1 in its top-left quarter, over a 2 × 2 black image at full opacity
  const data = new Float32Array(16);
  for (const i of [0, 1, 4, 5]) data[i] = 1;
  const png = await tf.node.encodePng(tf.zeros([2, 2, 3], "int32") as tf.Tensor3D);
  const result = { ...(await gradCam(model, await cat())), height: 4, width: 4, data, min: 0, max: 1 };
  const predictions = await predict(model, await cat(), 4);
  const panel = attributionPanel({ result, predictions, k: 4, image: png, opacity: 1 });
  const picture = attributionMontage(panel);
  assert.deepEqual([picture.height, picture.width, picture.channels], [2, 2, 3]);
  assert.deepEqual(Array.from(picture.pixels.subarray(0, 3)), widgetColourAt("viridis", 1));
  assert.deepEqual(Array.from(picture.pixels.subarray(9, 12)), widgetColourAt("viridis", 0));
});
