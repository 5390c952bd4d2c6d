// showMaximized in a real JupyterLab with the real kernel and Chromium: the progress bar moves
// while maximizeActivation runs on the demo CNN, one image per channel appears when it is done,
// clicking one shows that channel's feature map for the sample image (the kernel's own values),
// and interrupting the kernel cancels a long run: the widget says so and the cell ends in an error.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { ARTIFACTS, ROOT, startJupyterLab, writeNotebook, type JupyterLabServer } from "../support/jupyterlab";
import { cell, cellOutput, openBrowser, openNotebook, runCell, waitForKernelIdle, type Browser } from "../support/browser";

const IMAGES = join(ROOT, "notebooks", "images");
const CHANNELS = [0, 1, 2, 3, 4, 5];
const CELLS = [
  `import { demoCnn, featureMaps, showMaximized } from "convlens";
const model = await demoCnn();
const photos = ["cat.png", "coffee.png", "astronaut.png", "rocket.jpg"].map((f) => ${JSON.stringify(IMAGES)} + "/" + f);`,
  // 1: a short run (a few seconds on the 2-core machine), with a sample image and samples to rank
  `await showMaximized(model, "block3_conv1", ${JSON.stringify(CHANNELS)},
  { steps: 60, seed: 1, image: photos[0], samples: photos });`,
  // 2: the kernel's own feature map of channel 2 for the sample image
  `const [sampleMaps] = await featureMaps(model, photos[0], "block3_conv1");
const planeSize = sampleMaps.height * sampleMaps.width;
const plane2 = sampleMaps.data.subarray(2 * planeSize, 3 * planeSize);
console.log("MAP " + JSON.stringify([sampleMaps.height, sampleMaps.width, ...plane2]));`,
  // 3: a run too long to wait for (minutes): the test interrupts it once its bar moves (every 60 steps)
  `await showMaximized(model, "block3_conv1", [0, 1], { steps: 3000, seed: 2 });`,
];

let server: JupyterLabServer;
let browser: Browser;
let page: Page;

before(async () => {
  server = await startJupyterLab("maximize");
  browser = await openBrowser();
  page = browser.page;
  await page.addInitScript({ content: "window.__name = (f) => f;" }); // tsx keepNames in page.evaluate callbacks
  await openNotebook(page, server, writeNotebook(server, "maximize.ipynb", CELLS));
  await runCell(page, 0, 300_000);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

function panel(index: number): Locator {
  return cellOutput(page, index).locator(".convlens-maximized").first();
}

/** Starts a cell without waiting for it to end. */
async function startCell(index: number): Promise<void> {
  await cell(page, index).locator(".jp-InputArea-prompt").click();
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+Enter");
}

/** Waits until the cell's progress bar has moved past step 0; returns its value then. */
async function movingBar(index: number, timeout: number): Promise<number> {
  const bar = panel(index).locator("progress.convlens-progress");
  await bar.waitFor({ timeout });
  const handle = await page.waitForFunction(
    (i) => {
      const cells = document.querySelectorAll(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell");
      const bar = cells[i]?.querySelector<HTMLProgressElement>(".convlens-maximized[data-phase='running'] progress");
      return bar && bar.value > 0 ? bar.value : null;
    },
    index,
    { timeout },
  );
  return (await handle.jsonValue()) as number;
}

test("the progress bar moves while it runs, then one image per channel appears", async () => {
  await startCell(1);
  const moved = await movingBar(1, 180_000);
  assert.ok(moved > 0 && moved < 60, `the bar stood at step ${moved} of 60 while running`);
  assert.match(await panel(1).locator(".convlens-progress-text").innerText(), /step \d+ of 60/);
  await cellOutput(page, 1).locator(".convlens-maximized[data-phase='done']").waitFor({ timeout: 300_000 });
  const cards = panel(1).locator(".convlens-max-card");
  assert.equal(await cards.count(), CHANNELS.length);
  assert.equal(await panel(1).locator("canvas.convlens-max-image").count(), CHANNELS.length);
  assert.deepEqual(await cards.locator(".convlens-max-label").allInnerTexts(), CHANNELS.map((c) => `channel ${c}`));
  // each image is the demo CNN's 32 × 32 input size, drawn in colour (not blank)
  const drawn = await panel(1).locator("canvas.convlens-max-image").evaluateAll((canvases) =>
    canvases.map((c) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 4) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return [canvas.width, canvas.height, colours.size];
    }),
  );
  for (const [width, height, colours] of drawn) {
    assert.deepEqual([width, height], [32, 32]);
    assert.ok(colours > 50, `${colours} colours in a synthesised image`);
  }
  // the samples that excite each channel most: three of the four photos, best first
  for (let i = 0; i < CHANNELS.length; i++) assert.equal(await cards.nth(i).locator("img.convlens-max-thumb").count(), 3);
  await runCell(page, 2);
});

test("clicking an image shows that channel's feature map for the sample image, as the kernel computes it", async () => {
  const printed = await cellOutput(page, 2).innerText();
  const [height, width, ...expected] = JSON.parse(printed.split("MAP ")[1].split("\n")[0]) as number[];
  await panel(1).locator(".convlens-max-card").nth(2).locator("button").click();
  const side = panel(1).locator(".convlens-side[data-channel='2']");
  await side.waitFor({ timeout: 10_000 });
  await side.locator(".convlens-large .main-svg").first().waitFor({ timeout: 30_000 });
  assert.match(await side.locator(".convlens-large-title").innerText(), /^channel 2 on the sample image/);
  assert.equal(await panel(1).locator(".convlens-max-pick[aria-pressed='true']").count(), 1);
  type Figure = { data: { z: number[][] }[] };
  const z = await side.locator(".convlens-large").evaluate((gd) => (gd as unknown as Figure).data[0].z);
  assert.deepEqual([z.length, z[0].length], [height, width]);
  const shown = z.flat();
  const near = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
  expected.forEach((v, i) => assert.ok(near(shown[i], v), `unit ${i}: ${shown[i]} vs ${v}`));
  assert.equal(await side.locator("img.convlens-input-image").count(), 1, "the sample image beside the map");
  mkdirSync(ARTIFACTS, { recursive: true });
  await panel(1).screenshot({ path: join(ARTIFACTS, "lab-maximized.png") });
});

test("interrupting the kernel cancels a long run: the widget says cancelled and the cell ends in an error", async () => {
  await startCell(3);
  await movingBar(3, 180_000);
  await page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) [data-command='notebook:interrupt-kernel']").first().click();
  await cellOutput(page, 3).locator(".convlens-maximized[data-phase='cancelled']").waitFor({ timeout: 60_000 });
  const status = await cellOutput(page, 3).locator(".convlens-status").first().innerText();
  assert.match(status, /cancelled after \d+ of 3000 steps/);
  assert.match(await panel(3).locator(".convlens-progress-text").innerText(), /^cancelled at step \d+ of 3000/);
  await waitForKernelIdle(page, 60_000);
  assert.match(await cellOutput(page, 3).innerText(), /Interrupted/);
  assert.match((await cell(page, 3).locator(".jp-InputArea-prompt").textContent()) ?? "", /\[\d+\]/);
  await panel(3).screenshot({ path: join(ARTIFACTS, "lab-maximized-cancelled.png") });
});
