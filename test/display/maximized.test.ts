// showMaximized against a recording kernel runtime: the progress a run sends, the final images,
// the PNG fallback, cancelling (a signal, or the kernel's interrupt), and the sample image's maps
// and the samples a click and the cards show.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-node";
import { kernelRuntime } from "../../kernel-helpers/src/runtime/runtime";
import type { JSONObject } from "../../kernel-helpers/src/runtime/messages";
import { ConvlensError } from "../../kernel-helpers/src/errors";
import { featureMaps } from "../../kernel-helpers/src/compute/featureMaps";
import type { LoadedImage } from "../../kernel-helpers/src/compute/images";
import { maximizeActivation } from "../../kernel-helpers/src/compute/maximize";
import { MAX_PROGRESS_UPDATES, showMaximized } from "../../kernel-helpers/src/display/maximized";
import type { MaximizedPanelState } from "../../kernel-helpers/src/display/maximized-wire";
import { montage, tileSize } from "../../kernel-helpers/src/display/montage";
import { tinyCnn } from "../helpers/fixtures";
import { recordKernel } from "../support/recording-runtime";

const kernel = recordKernel();

const model = tinyCnn(); // 16 × 16 input; conv_b: 6 channels of 8 × 8
const LAYER = "conv_b";
const CHANNELS = [0, 2, 5];

/** The panel of every state the kernel kernel.sent (comm_open, then each update carrying panels), in order. */
function sentPanels(): MaximizedPanelState[] {
  const states = kernel.sent.flatMap((m) => {
    const data = m.content.data as { state?: JSONObject; method?: string } | undefined;
    if (m.msgType === "comm_open" || (m.msgType === "comm_msg" && data?.method === "update")) return [data?.state];
    return [];
  });
  return states.filter((s) => s && Array.isArray(s.panels)).map((s) => (s!.panels as unknown as MaximizedPanelState[])[0]);
}

function kernelPanel(shown: { widget: { get(key: "panels"): unknown } }): MaximizedPanelState {
  return (shown.widget.get("panels") as MaximizedPanelState[])[0];
}

function image(seed: number, value?: number): LoadedImage {
  const size = 16 * 16 * 3;
  const rgb =
    value === undefined
      ? Uint8Array.from({ length: size }, (_, i) => (i * 37 + seed * 101) % 256)
      : new Uint8Array(size).fill(value);
  return { kind: "convlens.image", source: `/photos/sample-${seed}.png`, width: 16, height: 16, rgb };
}

test("a run sends several progress updates, never more than MAX_PROGRESS_UPDATES, then one image per channel", async () => {
  const steps = 120;
  const shown = await showMaximized(model, LAYER, CHANNELS, { steps, seed: 3, progressInterval: 0 });
  const panels = sentPanels();
  const running = panels.filter((p) => p.phase === "running");
  assert.equal(running[0].step, 0, "the widget opens at the first step, its bar at 0");
  const progress = running.slice(1).map((p) => p.step);
  assert.ok(progress.length >= 2 && progress.length <= MAX_PROGRESS_UPDATES, `${progress.length} progress updates`);
  assert.ok(progress.every((s, i) => s < steps && (i === 0 || s > progress[i - 1])), `steps ${progress.join(", ")}`);
  assert.deepEqual(running.map((p) => p.steps), running.map(() => steps));
  assert.equal(panels.at(-1)!.phase, "done");

  const done = kernelPanel(shown);
  assert.deepEqual([done.phase, done.step, done.steps, done.seed], ["done", steps, steps, 3]);
  assert.deepEqual(done.channels, CHANNELS);
  assert.deepEqual([done.height, done.width, done.total_channels], [16, 16, 6]);
  assert.equal(done.images.length, CHANNELS.length * 16 * 16 * 3);
  assert.equal(done.activations.length, CHANNELS.length);
  assert.equal(done.maps, null);
  // the same images maximizeActivation makes from the same seed, image after image
  const again = await maximizeActivation(model, LAYER, CHANNELS, { steps, seed: 3 });
  again.channels.forEach((c, i) => {
    const shownImage = done.images.subarray(i * 768, (i + 1) * 768);
    assert.deepEqual(Buffer.from(shownImage), Buffer.from(c.image.rgb), `channel ${c.channel}`);
    assert.equal(done.activations[i], Math.fround(c.activation));
  });
  // the images travel as one binary buffer, not as JSON numbers
  const final = kernel.sent.filter((m) => m.msgType === "comm_msg").at(-1)!;
  const paths = (final.content.data as { buffer_paths: unknown[] }).buffer_paths.map((p) => JSON.stringify(p));
  assert.ok(paths.includes('["panels",0,"images"]'), paths.join(" "));
  shown.close();
});

test("with a long interval, the bar moves no more than that: no update between opening and the images", async () => {
  await showMaximized(model, LAYER, [1], { steps: 30, seed: 1, progressInterval: 1e9 });
  assert.deepEqual(sentPanels().map((p) => [p.phase, p.step]), [["running", 0], ["done", 30]]);
});

test("the display shows the run at once and its fallback becomes a PNG montage of the images when done", async () => {
  const shown = await showMaximized(model, LAYER, CHANNELS, { steps: 6, seed: 2, columns: 2 });
  const first = kernel.sent.find((m) => m.msgType === "display_data")!;
  const last = kernel.sent.find((m) => m.msgType === "update_display_data")!;
  const id = (first.content.transient as { display_id: string }).display_id;
  assert.ok(id, "the display has an id");
  assert.equal((last.content.transient as { display_id: string }).display_id, id, "the update replaces that display");
  const data = last.content.data as Record<string, string>;
  const view = data["application/vnd.jupyter.widget-view+json"] as unknown as { model_id: string };
  assert.equal(view.model_id, shown.widget.commId);
  assert.match(data["text/plain"], /conv_b \(layer 3\) maximised activations: 3 of 6 channels, 16×16 images/);
  assert.match(data["text/plain"], /\(6 steps, seed 2\)$/);
  assert.match((first.content.data as Record<string, string>)["text/plain"], /running at step 0 of 6/);

  const panel = kernelPanel(shown);
  const expected = montage(panel.images, 3, 16, 16, { columns: 2, gap: 2, ...tileSize(16, 16, 96) }, 3);
  const decoded = tf.node.decodePng(Buffer.from(data["image/png"], "base64"), 3);
  assert.deepEqual(decoded.shape, [expected.height, expected.width, 3]);
  assert.deepEqual(Buffer.from(decoded.dataSync()), Buffer.from(expected.pixels));
  decoded.dispose();
});

test("aborting the signal mid-run: the widget says cancelled, the call rejects, no tensor is left", async () => {
  const controller = new AbortController();
  const before = tf.memory().numTensors;
  const onProgress = (step: number) => void (step === 5 && controller.abort());
  await assert.rejects(
    showMaximized(model, LAYER, CHANNELS, { steps: 200, seed: 1, signal: controller.signal, onProgress }),
    (error: unknown) => error instanceof ConvlensError && /cancelled after 5 of 200 steps/.test(error.message),
  );
  assert.equal(tf.memory().numTensors, before, "no tensor outlives the cancelled run");
  const widgetId = (kernel.sent.find((m) => m.msgType === "comm_open")!.content.comm_id as string);
  const widget = kernelRuntime().widgets.get(widgetId) as unknown as { get(key: string): unknown };
  assert.match(String(widget.get("status")), /^convlens: .*cancelled/);
  const panel = (widget.get("panels") as MaximizedPanelState[])[0];
  assert.deepEqual([panel.phase, panel.step, panel.images.length], ["cancelled", 5, 0]);
  assert.equal(kernel.sent.filter((m) => m.msgType === "comm_close").length, 0, "the widget stays, saying why it stopped");
});

test("the kernel's interrupt cancels the run: the running cell's signal is the default", async () => {
  const onProgress = (step: number) => void (step === 3 && kernelRuntime().interrupt());
  await assert.rejects(showMaximized(model, LAYER, [0], { steps: 200, onProgress }), /cancelled after 3 of 200 steps/);
  assert.equal(sentPanels().at(-1)!.phase, "cancelled");
});

test("bad arguments fail before any widget opens", async () => {
  await assert.rejects(showMaximized(model, "conv_z", [0], { steps: 2 }), (e: unknown) => e instanceof ConvlensError);
  await assert.rejects(showMaximized(model, LAYER, [0, 6], { steps: 2 }), /channel 6 is out of range/);
  await assert.rejects(
    showMaximized(model, LAYER, [0], { steps: 2, sample: [] } as never),
    /unknown maximizeActivation option "sample".*showMaximized also takes .*samples/,
  );
  const tensor = tf.zeros([16, 16, 3]);
  await assert.rejects(
    showMaximized(model, LAYER, [0], { steps: 2, image: tensor as never }),
    /image must be a path, URL, Buffer or loadImage\(\) result/,
  );
  tensor.dispose();
  await assert.rejects(showMaximized(model, LAYER, [0], { steps: 2, columns: 0 }), /columns must be an integer ≥ 1/);
  assert.deepEqual(kernel.sent.filter((m) => m.msgType === "comm_open"), []);
});

test("a sample image gives the shown channels' feature maps (exact values: the kernel's); samples ranked", async () => {
  const photo = image(1);
  const samples = [image(2, 0), image(3), image(4, 255), image(5)];
  const shown = await showMaximized(model, LAYER, CHANNELS, { steps: 3, seed: 1, image: photo, samples, topSamples: 2 });
  const panel = kernelPanel(shown);
  const [maps] = await featureMaps(model, photo, LAYER);
  const plane = 8 * 8;
  assert.deepEqual([panel.maps!.count, panel.maps!.height, panel.maps!.width], [3, 8, 8]);
  CHANNELS.forEach((c, i) => {
    const shownPlane = panel.maps!.exact!.subarray(i * plane, (i + 1) * plane);
    assert.deepEqual(Array.from(shownPlane), Array.from(maps.data.subarray(c * plane, (c + 1) * plane)));
  });
  assert.ok(panel.image && panel.image[0] === 0x89, "the sample image is PNG");
  assert.ok(panel.receptive_field, "hover boxes for the maps");

  // the value the page asks for, for plane 1 (channel 2) at (3, 4)
  kernel.sent = [];
  const content = { type: "value", request: 7, panel: 0, channel: 1, row: 3, col: 4 };
  kernelRuntime().comms.receiveMsg({ comm_id: shown.widget.commId, data: { method: "custom", content } }, []);
  const reply = kernel.sent.find((m) => m.msgType === "comm_msg")!.content.data as { content: { value: number } };
  assert.equal(reply.content.value, maps.data[2 * plane + 3 * 8 + 4]);

  const means = await Promise.all(samples.map(async (s) => (await featureMaps(model, s, LAYER))[0]));
  const meanOf = (s: number, c: number) =>
    means[s].data.subarray(c * plane, (c + 1) * plane).reduce((a, v) => a + v, 0) / plane;
  const ranked = panel.samples!;
  assert.equal(ranked.per_channel, 2);
  CHANNELS.forEach((c, i) => {
    const expected = [0, 1, 2, 3].sort((a, b) => meanOf(b, c) - meanOf(a, c) || a - b).slice(0, 2);
    const names = Array.from(ranked.top.subarray(i * 2, i * 2 + 2), (t) => ranked.names[t]);
    assert.deepEqual(names, expected.map((s) => `sample-${s + 2}.png`), `channel ${c}`);
    expected.forEach((s, rank) => assert.ok(Math.abs(ranked.means[i * 2 + rank] - meanOf(s, c)) < 1e-5));
  });
  assert.equal(ranked.thumbnails.length, ranked.names.length);
  assert.ok(ranked.thumbnails.every((t) => t[0] === 0x89));
});

test("a computed result is shown at once, images and all; its image needs the model", async () => {
  const result = await maximizeActivation(model, LAYER, [4, 1], { steps: 3, seed: 9 });
  const shown = await showMaximized(result);
  const open = kernel.sent.find((m) => m.msgType === "comm_open")!;
  const state = (open.content.data as { state: { panels: MaximizedPanelState[] } }).state;
  assert.deepEqual([state.panels[0].phase, state.panels[0].channels], ["done", [4, 1]]);
  assert.ok((kernel.sent.find((m) => m.msgType === "display_data")!.content.data as Record<string, string>)["image/png"]);
  shown.close();
  await assert.rejects(showMaximized(result, { image: image(1) }), /needs the model the result was computed on/);
  const withImage = await showMaximized(result, { model, image: image(1) });
  assert.equal(kernelPanel(withImage).maps!.count, 2);
});

test("the viewer's clicked channel is a choice the kernel takes, checked", async () => {
  const shown = await showMaximized(model, LAYER, [0], { steps: 2 });
  const update = (choices: unknown) =>
    kernelRuntime().comms.receiveMsg({ comm_id: shown.widget.commId, data: { method: "update", state: { choices } } }, []);
  update([{ maximized: { channel: 0 } }]);
  assert.deepEqual(shown.widget.get("choices"), [{ maximized: { channel: 0 } }]);
  update([{ maximized: { channel: -1 } }]);
  assert.deepEqual(shown.widget.get("choices"), [{ maximized: { channel: 0 } }]);
  assert.match(kernel.logged.join("\n"), /choices\[0\]\.maximized\.channel must be an integer ≥ 0/);
});
