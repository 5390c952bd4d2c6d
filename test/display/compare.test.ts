// compare(model, images, layer) against a recording kernel runtime: one widget of linked grids, one
// maps panel per image, every image's own maps; bad input is a convlens error and opens nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import { kernelRuntime } from "../../kernel-helpers/src/runtime/runtime";
import type { JSONObject } from "../../kernel-helpers/src/runtime/messages";
import { compare, COMPARE_DEFAULTS, linkedRange } from "../../kernel-helpers/src/display/compare";
import type { MapsPanelState, ViewState } from "../../kernel-helpers/src/display/state";
import { featureMaps, loadImage, type LoadedImage } from "../../kernel-helpers/src/compute";
import { recordKernel } from "../support/recording-runtime";

const CAT = join(__dirname, "..", "..", "notebooks", "images", "cat.png");

const kernel = recordKernel();

/** A small seeded CNN with a fixed input size (it resizes any image) or any input size. */
function smallCnn(size: number | null = 16): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3] });
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  let x = tf.layers.conv2d({ name: "c1", filters: 4, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ name: "p1", poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ name: "c2", filters: 6, kernelSize: 3, padding: "same", kernelInitializer: init(2) }).apply(x) as tf.SymbolicTensor;
  if (size === null) return tf.model({ inputs: input, outputs: x });
  const flat = tf.layers.flatten({ name: "flat" }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: "out", units: 3, kernelInitializer: init(3) }).apply(flat) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function picture(height: number, width: number, seed: number): LoadedImage {
  const rgb = Uint8Array.from({ length: height * width * 3 }, (_, i) => (i * 37 + seed * 101) % 256);
  return { kind: "convlens.image", source: "buffer", height, width, rgb };
}

function opened(): { state: ViewState } | undefined {
  const open = kernel.sent.filter((m) => m.msgType === "comm_open").at(-1);
  return open && { state: (open.content.data as { state: JSONObject }).state as unknown as ViewState };
}

test("compare() opens ONE widget of linked grids: a maps panel of the same layer per image, each with its image, and a PNG and a text line", async () => {
  const model = smallCnn();
  const tensor = tf.tidy(() => tf.randomUniform([16, 16, 3], 0, 255, "float32", 7));
  const png = Buffer.from(await tf.node.encodePng(tf.tidy(() => tf.randomUniform([20, 30, 3], 0, 255, "int32", 8) as tf.Tensor3D)));
  // a path, a Buffer, a loaded image and a tensor, of four sizes: the model resizes each to 16 × 16
  const shown = await compare(model, [CAT, png, picture(40, 24, 1), tensor], "c2", { title: "four inputs" });
  const { state } = opened()!;
  assert.equal(kernel.sent.filter((m) => m.msgType === "comm_open").length, 1);
  assert.equal(state.linked, true);
  assert.equal(state.arrangement, "side");
  assert.equal(state.panels.length, 4);
  for (const panel of shown.widget.get("panels") as MapsPanelState[]) {
    assert.equal(panel.kind, "maps");
    assert.deepEqual(panel.layer, { name: "c2", index: 3 });
    assert.deepEqual([panel.planes.count, panel.planes.height, panel.planes.width], [6, 8, 8]);
    assert.deepEqual([panel.page_size, panel.columns], [COMPARE_DEFAULTS.pageSize, COMPARE_DEFAULTS.columns]);
    assert.ok(panel.image && panel.image.length > 0, "each grid has its input image beside it");
    assert.ok(panel.receptive_field, "and the receptive fields its hover box needs");
  }
  const display = kernel.sent.find((m) => m.msgType === "display_data")!;
  const data = display.content.data as Record<string, string>;
  assert.equal(data["text/plain"], "convlens: four inputs: compare 4 images at c2 (layer 3): 6 channels of 8×8 each");
  const fallback = tf.node.decodePng(Buffer.from(data["image/png"], "base64"), 3);
  // four rows, each an image (up to 224 px) beside its montage
  assert.ok(fallback.shape[0] > 4 * 16 && fallback.shape[1] > 224, `fallback ${fallback.shape}`);
  fallback.dispose();
  tensor.dispose();
  shown.close();
});

test("each grid holds its own image's maps (as featureMaps gives them), and the kernel answers a hover on any grid from that image", async () => {
  const model = smallCnn();
  const images = [picture(16, 16, 1), picture(32, 32, 2), picture(24, 40, 3)];
  const shown = await compare(model, images, "c1", { pageSize: 2 });
  const panels = shown.widget.get("panels") as MapsPanelState[];
  for (const [i, image] of images.entries()) {
    const [maps] = await featureMaps(model, image, "c1");
    assert.deepEqual(Array.from(panels[i].planes.exact!), Array.from(maps.data), `image ${i + 1}`);
    const reply = shown.controller.valueAt({ type: "value", request: i, panel: i, channel: 3, row: 5, col: 7 });
    assert.equal(reply.value, maps.data[(3 * 16 + 5) * 16 + 7]);
  }
  assert.equal(panels[0].page_size, 2);
  shown.close();
});

test("the shared scale across images is a viewer's choice the kernel takes, and the linked ranges are what it says", async () => {
  const model = smallCnn();
  const shown = await compare(model, [picture(16, 16, 1), picture(16, 16, 5)], "c2", { scaleMode: "images" });
  const panels = shown.widget.get("panels") as MapsPanelState[];
  assert.equal(panels[0].scale_mode, "images");
  const choices = [{ maps: { scale_mode: "shared", sort: "mean", page: { layer: 3, page: 0 } } }];
  kernelRuntime().comms.receiveMsg({ comm_id: shown.widget.commId, data: { method: "update", state: { choices } } }, []);
  assert.deepEqual(shown.widget.get("choices"), choices);
  kernelRuntime().comms.receiveMsg({ comm_id: shown.widget.commId, data: { method: "update", state: { choices: [{ maps: { scale_mode: "all" } }] } } }, []);
  assert.deepEqual(shown.widget.get("choices"), choices, "an unknown scale mode is refused");
  const own = (i: number, c: number) => [panels[i].planes.offset[c], panels[i].planes.offset[c] + 255 * panels[i].planes.scale[c]];
  assert.deepEqual(linkedRange(panels, 1, 2, "channel"), own(1, 2));
  assert.deepEqual(linkedRange(panels, 1, 2, "images"), [Math.min(own(0, 2)[0], own(1, 2)[0]), Math.max(own(0, 2)[1], own(1, 2)[1])]);
  const all = [0, 1].flatMap((i) => [0, 1, 2, 3, 4, 5].map((c) => own(i, c)));
  assert.deepEqual(linkedRange(panels, 0, 4, "shared"), [Math.min(...all.map((r) => r[0])), Math.max(...all.map((r) => r[1]))]);
  shown.close();
});

test("bad input is a convlens error naming the fix, and opens no widget", async () => {
  const model = smallCnn();
  const two = [picture(16, 16, 1), picture(16, 16, 2)];
  const cases: [() => Promise<unknown>, RegExp][] = [
    [() => compare(model, [two[0]], "c2"), /^convlens: compare\(\) takes 2 to 4 images, got 1; for one image use showFeatureMaps/],
    [() => compare(model, [...two, ...two, two[0]], "c2"), /^convlens: compare\(\) takes 2 to 4 images, got 5; compare them in groups/],
    [() => compare(model, two[0] as never, "c2"), /^convlens: compare\(model, images, layer\) takes a list of 2 to 4 images, not a Object/],
    [() => compare(model, [two[0], null as never], "c2"), /^convlens: compare\(\): image 2 of 2 is null/],
    [() => compare(model, two, "flat"), /^convlens: layer 4 "flat" \(Flatten\) has output shape \[null, 384\], not feature maps/],
    [() => compare(model, two, "out"), /not feature maps .*pick a convolution or pooling layer/],
    [() => compare(model, two, "c3"), /^convlens: .*c3/],
    [() => compare(model, two, ["c1", "c2"] as never), /^convlens: compare\(\) shows one layer/],
    [() => compare(model, [two[0], "/nowhere/photo.png"], "c2"), /^convlens: compare\(\): image 2 of 2: image file \/nowhere\/photo.png does not exist/],
    [() => compare(model, [two[0], tf.zeros([5, 5, 3])], "c2"), /^convlens: compare\(\): image 2 of 2: an input tensor must have shape \[16, 16, 3\]/],
    [() => compare(smallCnn(null), [picture(16, 16, 1), picture(20, 16, 2)], "c2"), /image 1 gives 6 maps of 8×8 and image 2 gives 6 maps of 10×8; .*give images of one size/],
    [() => compare(model, two, "c2", { arrangement: "tabs" as never }), /arrangement is "side" or "stacked"/],
    [() => compare({} as never, two, "c2"), /^convlens: compare\(\) needs a model/],
  ];
  for (const [call, message] of cases) {
    await assert.rejects(call(), (error: Error) => {
      assert.match(error.message, message);
      return true;
    });
  }
  assert.equal(kernel.sent.filter((m) => m.msgType === "comm_open").length, 0);
});

test("no tensor outlives compare(), whether it shows the images or refuses them", async () => {
  const model = smallCnn();
  const anySize = smallCnn(null);
  const cat = await loadImage(CAT);
  const tensor = tf.tidy(() => tf.randomUniform([1, 16, 16, 3], -2, 2, "float32", 3)); // a preprocessed one: shown stretched
  // each model's graph is built on its first call
  (await compare(model, [cat, tensor], "c2")).close();
  (await compare(anySize, [picture(16, 16, 1), picture(16, 16, 2)], "c2")).close();
  const before = tf.memory().numTensors;
  (await compare(model, [cat, tensor, picture(9, 9, 4)], "c2")).close();
  await assert.rejects(compare(model, [cat, tensor], "flat"));
  await assert.rejects(compare(model, [cat, tf.zeros([1, 5, 5, 3])], "c2"));
  await assert.rejects(compare(anySize, [picture(16, 16, 1), picture(20, 16, 2)], "c2"));
  assert.equal(tf.memory().numTensors, before + 1, "only the test's own zeros tensor is left");
  tensor.dispose();
});
