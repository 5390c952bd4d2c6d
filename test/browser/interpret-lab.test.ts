// Issue 16 in a real JupyterLab with the real kernel and Chromium: hovering a unit draws its
// receptive field on the input image where a brute force says it is (the pixels whose gradient
// reaches that unit), on the grid and on the enlarged channel; a channel laid over the image.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { ARTIFACTS, startJupyterLab, writeNotebook, type JupyterLabServer } from "../support/jupyterlab";
import { cellOutput, hoverGridCell, openBrowser, openNotebook, runCell, type Browser } from "../support/browser";
import { pagePoints } from "../support/plotly";

// A model whose every weight is positive, with no bias and linear layers: a unit is non-zero for an
// image with one lit pixel exactly when that pixel reaches it (the brute force).
const CELLS = [
  `import * as tf from "@tensorflow/tfjs-node";
import { featureMaps, showFeatureMaps } from "convlens";
const positive = (seed: number) => tf.initializers.randomUniform({ minval: 0.1, maxval: 1, seed });
const rfIn = tf.input({ shape: [48, 48, 3] });
let rfX = tf.layers.conv2d({ name: "valid_s2", filters: 4, kernelSize: 3, strides: 2, padding: "valid", kernelInitializer: positive(1) }).apply(rfIn) as tf.SymbolicTensor;
rfX = tf.layers.averagePooling2d({ name: "avg", poolSize: 2 }).apply(rfX) as tf.SymbolicTensor;
rfX = tf.layers.conv2d({ name: "dilated", filters: 4, kernelSize: 3, dilationRate: 2, padding: "same", kernelInitializer: positive(2) }).apply(rfX) as tf.SymbolicTensor;
const rfModel = tf.model({ inputs: rfIn, outputs: rfX });
const rfImage = tf.randomUniform([48, 48, 3], 0, 255, "float32", 3) as tf.Tensor3D;
const [rfMaps] = await featureMaps(rfModel, rfImage, "dilated");
await showFeatureMaps(rfMaps, { image: rfImage });`,
  // 1: the brute force: light one input pixel at a time (zero elsewhere; the layers have no bias) and
  // see which units of channel 0 turn non-zero
  `const units = [[0, 0], [5, 7], [10, 3], [10, 10]];
const boxes = units.map(() => [Infinity, -Infinity, Infinity, -Infinity]);
for (let first = 0; first < 48 * 48; first += 256) {
  const count = Math.min(256, 48 * 48 - first);
  const outputs = tf.tidy(() => {
    const lit = tf.oneHot(tf.range(first, first + count, 1, "int32"), 48 * 48).reshape([count, 48, 48, 1]).tile([1, 1, 1, 3]);
    return rfModel.predict(lit.toFloat()) as tf.Tensor;
  });
  const out = outputs.arraySync() as number[][][][];
  outputs.dispose();
  out.forEach((maps, i) => {
    const [y, x] = [Math.floor((first + i) / 48), (first + i) % 48];
    units.forEach(([r, c], u) => {
      if (maps[r][c][0] <= 0) return;
      const b = boxes[u];
      [b[0], b[1], b[2], b[3]] = [Math.min(b[0], y), Math.max(b[1], y), Math.min(b[2], x), Math.max(b[3], x)];
    });
  });
}
console.log("BRUTE " + JSON.stringify(boxes));
const plane = rfMaps.data.subarray(0, rfMaps.height * rfMaps.width);
console.log("EXTREMES " + JSON.stringify([plane.indexOf(Math.max(...plane)), plane.indexOf(Math.min(...plane)), rfMaps.width]));`,
];
const UNITS = [[0, 0], [5, 7], [10, 3], [10, 10]];

let server: JupyterLabServer;
let browser: Browser;
let page: Page;
let brute: number[][];

before(async () => {
  server = await startJupyterLab("interpret");
  browser = await openBrowser();
  page = browser.page;
  await page.addInitScript({ content: "window.__name = (f) => f;" }); // tsx keepNames in page.evaluate callbacks
  await openNotebook(page, server, writeNotebook(server, "interpret.ipynb", CELLS));
  await runCell(page, 0, 300_000);
  await runCell(page, 1);
  const printed = await cellOutput(page, 1).innerText();
  if (!printed.includes("BRUTE ")) throw new Error(`the brute-force cell printed:\n${printed}\nand cell 0:\n${await cellOutput(page, 0).innerText()}`);
  brute = JSON.parse(printed.split("BRUTE ")[1].split("\n")[0]) as number[][];
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

function view(cell: number): Locator {
  return cellOutput(page, cell).locator(".convlens-view").first();
}

/** The box's input rows and columns as the widget states them, and whether it sits there on the image. */
async function shownBox(): Promise<number[]> {
  const box = view(0).locator(".convlens-rf-box");
  await box.waitFor({ state: "visible", timeout: 10_000 });
  return box.evaluate((el) => {
    const d = (el as HTMLElement).dataset;
    const [top, bottom, left, right] = [d.top, d.bottom, d.left, d.right].map(Number);
    // drawn over those pixels of the 48 × 48 input, whatever size the image is shown at
    const img = el.parentElement!.querySelector("img")!.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    const px = img.width / 48;
    const near = (a: number, b: number) => Math.abs(a - b) <= 1.5;
    if (!(near(r.left, img.left + left * px) && near(r.right, img.left + (right + 1) * px) && near(r.top, img.top + top * px) && near(r.bottom, img.top + (bottom + 1) * px))) {
      throw new Error(`the box [${top}…${bottom}] × [${left}…${right}] is drawn at ${JSON.stringify(r)} on an image at ${JSON.stringify(img)}`);
    }
    return [top, bottom, left, right];
  });
}

test("hovering a unit of a deep layer draws its receptive field on the image where the brute force says", async () => {
  await view(0).locator('.convlens-panels[data-painted="true"]').waitFor({ timeout: 120_000 });
  const grid = view(0).locator(".convlens-grid").first();
  for (const [i, [row, col]] of UNITS.entries()) {
    await hoverGridCell(page, grid, 0, row, col);
    await view(0).locator(`.convlens-rf-box[data-row="${row}"][data-col="${col}"]`).waitFor({ timeout: 10_000 });
    assert.deepEqual(await shownBox(), brute[i], `unit (${row}, ${col})`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  await view(0).screenshot({ path: join(ARTIFACTS, "lab-receptive-field.png") });
  await page.mouse.move(1, 1);
  await view(0).locator(".convlens-rf-box").waitFor({ state: "hidden", timeout: 10_000 });
});

test("the enlarged channel draws the same boxes on hover", async () => {
  const grid = view(0).locator(".convlens-grid").first();
  await hoverGridCell(page, grid, 0, 5, 5);
  await page.mouse.down();
  await page.mouse.up();
  const large = view(0).locator(".convlens-large");
  await large.locator(".main-svg").first().waitFor({ timeout: 30_000 });
  const [row, col] = UNITS[1];
  const [{ x, y }] = await pagePoints(large, [{ x: col, y: row }]);
  await page.mouse.move(Math.round(x) + 0.5, Math.round(y) + 0.5);
  await view(0).locator(`.convlens-rf-box[data-row="${row}"][data-col="${col}"]`).waitFor({ timeout: 10_000 });
  assert.deepEqual(await shownBox(), brute[1]);
  await page.mouse.move(1, 1);
});

test("a channel laid over the image: the colour scale's ends where the channel is largest and smallest, at the chosen opacity", async () => {
  const [maxAt, minAt, width] = JSON.parse((await cellOutput(page, 1).innerText()).split("EXTREMES ")[1].split("\n")[0]) as number[];
  await view(0).locator(".convlens-overlay-toggle").check();
  const canvas = view(0).locator("canvas.convlens-overlay");
  await canvas.waitFor({ state: "visible", timeout: 10_000 });
  await view(0).locator(".convlens-opacity").fill("0.3");
  const shown = await canvas.evaluate((el, at) => {
    const c = el as HTMLCanvasElement;
    const pixel = (i: number) => Array.from(c.getContext("2d")!.getImageData(i % at.width, Math.floor(i / at.width), 1, 1).data);
    return { size: [c.width, c.height], max: pixel(at.maxAt), min: pixel(at.minAt), opacity: getComputedStyle(c).opacity, box: c.getBoundingClientRect().width };
  }, { maxAt, minAt, width });
  // the enlarged channel 0 (clicked above), on the grey scale: white at its maximum, black at its minimum
  assert.deepEqual(shown.size, [width, width]);
  assert.deepEqual(shown.max, [255, 255, 255, 255]);
  assert.deepEqual(shown.min, [0, 0, 0, 255]);
  assert.equal(shown.opacity, "0.3");
  const img = await view(0).locator(".convlens-input-image").evaluate((el) => el.getBoundingClientRect().width);
  assert.ok(Math.abs(shown.box - img) < 1, `the overlay covers the image (${shown.box} vs ${img} px)`);
  await view(0).screenshot({ path: join(ARTIFACTS, "lab-overlay.png") });
});
