// Issue 5's acceptance in a real JupyterLab 4 with the real convlens kernel and headless Chromium:
// feature maps, the layer explorer, the seed's filter figure, an HTML layer name, several layers.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { ARTIFACTS, ROOT, startJupyterLab, writeNotebook, type JupyterLabServer } from "../support/jupyterlab";
import { cellOutput, hoverGridCell, openBrowser, openNotebook, runCell, type Browser } from "../support/browser";

const IMAGE = join(ROOT, "notebooks", "images", "cat.png");
const EVIL = "<img src=x onerror=window.__pwned=1>";
const TARGET = { channel: 37, row: 100, col: 50 };

// Cells; the test runs them one by one and looks at each output.
const CELLS = [
  `import * as tf from "@tensorflow/tfjs-node";
import { vgg16, loadImage, featureMaps, filters, showFeatureMaps, showFilters, showLayers, explore } from "convlens";
const model = await vgg16({ weights: null });
const image = await loadImage(${JSON.stringify(IMAGE)});
console.log("ready", model.layers.length);`,
  // 1: block1_conv1's 64 maps
  `const [maps] = await featureMaps(model, image, "block1_conv1");
await showFeatureMaps(maps, { image: image }); // not { image }: tslab does not rewrite shorthand properties naming earlier cells' variables`,
  // 2: the kernel's values around the hover target, for the test to compare with
  `{
  const { channel, row, col } = ${JSON.stringify(TARGET)};
  const around: number[][] = [];
  for (let r = row - 5; r <= row + 5; r++) around.push(Array.from(maps.data.subarray((channel * 224 + r) * 224 + col - 5, (channel * 224 + r) * 224 + col + 6)));
  console.log("VALUES " + JSON.stringify(around));
}`,
  // 3: the explorer, starting on block1_conv1
  `await explore(model, image, { layer: "block1_conv1" });`,
  // 4: the seed's figure: 6 filters × 3 channels, min-max normalised
  `const seedFilters = filters(model, "block1_conv1", { filters: 6, channels: 3 });
await showFilters(seedFilters);
console.log("FILTERS " + JSON.stringify(Array.from(seedFilters.data)));`,
  // 5: a model whose layer name is HTML
  // (tfjs refuses such a name while creating weights, so it is given after the build, as a model file could)
  `const evilIn = tf.input({ shape: [8, 8, 3] });
const evilConv = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: "evil_conv" });
const evilOut = evilConv.apply(evilIn) as tf.SymbolicTensor;
(evilConv as { name: string }).name = ${JSON.stringify(EVIL)};
await explore(tf.model({ inputs: evilIn, outputs: evilOut }), tf.ones([8, 8, 3]));`,
  // 6: the seed's five blocks at once
  `await showLayers(await featureMaps(model, image, [2, 5, 9, 13, 17]), { title: "VGG16 blocks 1–5" });`,
];

let server: JupyterLabServer;
let browser: Browser;
let page: Page;

before(async () => {
  server = await startJupyterLab("widgets");
  // Save widget state into the notebook on save (ipywidgets' "Save Widget State Automatically").
  const settings = join(server.rootDir, "..", "settings", "@jupyter-widgets", "jupyterlab-manager");
  mkdirSync(settings, { recursive: true });
  writeFileSync(join(settings, "plugin.jupyterlab-settings"), JSON.stringify({ saveState: true }));
  // No autosave (every 120 s): the saved-state test saves by hand, and a save that lands after it
  // shut the kernel down would store no widget at all (ipywidgets saves only models with a live comm).
  const docmanager = join(server.rootDir, "..", "settings", "@jupyterlab", "docmanager-extension");
  mkdirSync(docmanager, { recursive: true });
  writeFileSync(join(docmanager, "plugin.jupyterlab-settings"), JSON.stringify({ autosave: false }));
  browser = await openBrowser();
  page = browser.page;
  await page.addInitScript({ content: "window.__name = (f) => f;" }); // tsx keepNames in page.evaluate callbacks
  await openNotebook(page, server, writeNotebook(server, "widgets.ipynb", CELLS));
  await runCell(page, 0, 300_000);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

function view(cell: number): Locator {
  return cellOutput(page, cell).locator(".convlens-view").first();
}

async function outputText(cell: number): Promise<string> {
  return (await cellOutput(page, cell).innerText()).trim();
}

/** Waits until the view's panels are painted with `heatmaps` heatmaps in its first grid. */
async function painted(cell: number, heatmaps: number): Promise<void> {
  const v = view(cell);
  try {
    await v.locator(`.convlens-panels[data-painted="true"] .convlens-grid[data-heatmaps="${heatmaps}"]`).first().waitFor({ timeout: 120_000 });
  } catch (error) {
    const output = await cellOutput(page, cell).innerText().catch(() => "(no output)");
    throw new Error(`cell ${cell} did not paint ${heatmaps} heatmaps; its output:\n${output.slice(0, 2000)}\nbrowser log:\n${browser.consoleLog().slice(-3000)}`, { cause: error });
  }
}

/** The widget views a saved notebook's outputs show, and those whose model its widget state lacks. */
function savedWidgets(file: string): { shown: string[]; missing: string[] } {
  type Output = { data?: Record<string, { model_id?: string }> };
  let notebook: { cells: { outputs?: Output[] }[]; metadata: { widgets?: Record<string, { state: Record<string, unknown> }> } };
  try {
    notebook = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return { shown: [], missing: ["(the file is being written)"] };
  }
  const shown = notebook.cells.flatMap((c) => c.outputs ?? []).map((o) => o.data?.["application/vnd.jupyter.widget-view+json"]?.model_id);
  const state = notebook.metadata.widgets?.["application/vnd.jupyter.widget-state+json"]?.state ?? {};
  const ids = shown.filter((id): id is string => id !== undefined);
  return { shown: ids, missing: ids.filter((id) => !(id in state)) };
}

async function shoot(cell: number, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await view(cell).screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** Moves the mouse onto source (row, col) of tile `tile` in the view's first grid. */
async function hover(cell: number, tile: number, row: number, col: number): Promise<void> {
  await hoverGridCell(page, view(cell).locator(".convlens-grid").first(), tile, row, col);
}

test("block1_conv1: 64 heatmaps; the hover value equals the kernel's value at that channel/row/col", async () => {
  await runCell(page, 1);
  await painted(1, 64);
  assert.equal(await view(1).locator(".convlens-layer-name").textContent(), "1: block1_conv1");
  assert.equal(await view(1).locator(".convlens-input-image").count(), 1);
  await hover(1, TARGET.channel, TARGET.row, TARGET.col);
  const readout = view(1).locator(".convlens-readout");
  await page.waitForFunction(
    (el) => el?.getAttribute("data-exact") === "true",
    await readout.elementHandle(),
    { timeout: 30_000 },
  );
  const shown = await readout.evaluate((el) => ({ ...(el as HTMLElement).dataset, text: el.textContent ?? "" }) as Record<string, string>);
  assert.equal(shown.channel, String(TARGET.channel));
  const dr = Number(shown.row) - TARGET.row;
  const dc = Number(shown.col) - TARGET.col;
  assert.ok(Math.abs(dr) <= 5 && Math.abs(dc) <= 5, `hover landed at row ${shown.row}, col ${shown.col}`);
  await runCell(page, 2);
  const around = JSON.parse((await outputText(2)).replace(/^VALUES /, "")) as number[][];
  const kernelValue = around[dr + 5][dc + 5];
  assert.equal(Math.fround(Number(shown.value)), Math.fround(kernelValue));
  assert.equal(Math.fround(Number(shown.text.split(": ")[1])), Math.fround(kernelValue), `readout: ${shown.text}`);
  await shoot(1, "lab-block1_conv1-feature-maps");
});

test("the explorer switches to block3_conv3 without re-running the cell, and pages to channel 255", async () => {
  await runCell(page, 3);
  await painted(3, 64);
  const prompt = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(3).locator(".jp-InputArea-prompt");
  const promptBefore = await prompt.textContent();
  await view(3).locator(".convlens-layer-select").selectOption({ label: "9: block3_conv3" });
  await view(3).locator(".convlens-layer-name", { hasText: "block3_conv3" }).waitFor({ timeout: 120_000 });
  await painted(3, 64);
  assert.match((await view(3).locator(".convlens-panel-header").textContent()) ?? "", /256 channels · 56×56/);
  for (let i = 0; i < 3; i++) {
    await view(3).locator("button[title='next page']").click();
    await view(3).locator(".convlens-page-label", { hasText: `page ${i + 2} of 4` }).waitFor();
    await painted(3, 64);
  }
  const channels = (await view(3).locator(".convlens-grid").getAttribute("data-channels"))!.split(",").map(Number);
  assert.equal(channels.at(-1), 255);
  await shoot(3, "lab-explorer-block3_conv3-page4");
  assert.equal(await prompt.textContent(), promptBefore, "the cell was not run again");

  await view(3).locator(".convlens-mode-select").selectOption("filters");
  await view(3).locator(".convlens-filters").waitFor({ timeout: 60_000 });
  await painted(3, 64);
  await view(3).locator("button[title='next filters']").click();
  await view(3).locator(".convlens-filter-page", { hasText: "filters 8–15 of 256" }).waitFor({ timeout: 60_000 });
  await shoot(3, "lab-explorer-block3_conv3-filters");
});

test("the seed's 6 × 3 filter figure: 18 heatmaps with the normalised weights as values", async () => {
  await runCell(page, 4);
  await painted(4, 18);
  const weights = JSON.parse((await outputText(4)).split("FILTERS ")[1].split("\n")[0]) as number[];
  assert.equal(weights.length, 6 * 3 * 9);
  const z = await view(4)
    .locator(".convlens-grid")
    .evaluate((gd) => {
      // the page's one heatmap holds the 18 tiles (one shared range: the weights as they are)
      type Geometry = { tileRows: number; tileCols: number; repY: number; repX: number; origin(t: number): { row: number; col: number } };
      const { data, convlensGrid } = gd as unknown as { data: { z: ArrayLike<number>[] }[]; convlensGrid: { geometry: Geometry; scaled: unknown } };
      if (convlensGrid.scaled !== null) throw new Error("the filter page was drawn scaled, not as the weights");
      const g = convlensGrid.geometry;
      return Array.from({ length: 18 }, (_, t) => {
        const o = g.origin(t);
        // one value per kernel cell (each repeated repY × repX times in the mosaic)
        return Array.from({ length: g.tileRows / g.repY }, (_, y) => Array.from({ length: g.tileCols / g.repX }, (_, x) => data[0].z[o.row + y * g.repY][o.col + x * g.repX]));
      });
    });
  assert.equal(z.length, 18);
  z.forEach((plane, p) => plane.forEach((row, y) => row.forEach((v, x) => assert.equal(v, Math.fround(weights[(p * 3 + y) * 3 + x])))));
  await shoot(4, "lab-seed-filters-6x3");
});

test("an HTML layer name is rendered as text and never runs", async () => {
  await runCell(page, 5);
  await painted(5, 4);
  assert.equal(await view(5).locator(".convlens-layer-name").textContent(), `1: ${EVIL}`);
  assert.equal(await view(5).locator(".convlens-layer-select option").first().textContent(), `1: ${EVIL}`);
  assert.equal(await page.locator(".convlens-view img[src='x']").count(), 0);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined);
  await shoot(5, "lab-html-layer-name");
});

test("the seed's five blocks in one call, as tabs", async () => {
  await runCell(page, 6);
  await painted(6, 64);
  const tabs = await view(6).locator(".convlens-tab").allTextContents();
  assert.deepEqual(tabs, ["2: block1_conv2", "5: block2_conv2", "9: block3_conv3", "13: block4_conv3", "17: block5_conv3"]);
  await view(6).locator(".convlens-tab", { hasText: "block5_conv3" }).click();
  await view(6).locator(".convlens-layer-name", { hasText: "block5_conv3" }).waitFor();
  await painted(6, 64);
  await shoot(6, "lab-five-blocks-tabs");
});

test("saved widget state re-renders after a reload, without the kernel that made the widgets", async () => {
  // The viewer's choices are widget state too: a saved notebook shows them again.
  await view(1).locator(".convlens-colour").selectOption("viridis");
  await view(1).locator(".convlens-sort").selectOption("mean");
  await painted(1, 64);
  // and the page a grid was on: block5_conv3's tab (the one shown since the tabs test) on page 3 of 8
  await view(6).locator("button[title='next page']").click();
  await view(6).locator("button[title='next page']").click();
  await view(6).locator(".convlens-page-label", { hasText: "page 3 of 8" }).waitFor();
  await painted(6, 64);
  // Wait on this save itself: an autosave written earlier holds widget state too, but maybe not
  // every widget's (one saved while a cell's widget was still being created lacks its model).
  const file = join(server.rootDir, "widgets.ipynb");
  const savedBefore = statSync(file).mtimeMs;
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+s");
  const deadline = Date.now() + 60_000;
  let saved = savedWidgets(file);
  while (statSync(file).mtimeMs === savedBefore || saved.missing.length > 0 || saved.shown.length < 5) {
    assert.ok(Date.now() < deadline, `the saved notebook lacks widget models: ${JSON.stringify(saved)}`);
    await new Promise((r) => setTimeout(r, 250));
    saved = savedWidgets(file);
  }
  // Shut the kernel down: after the reload a fresh kernel knows nothing of these widgets.
  const kernels = (await (await fetch(`${server.url}/api/kernels?token=${server.token}`)).json()) as { id: string }[];
  for (const k of kernels) await fetch(`${server.url}/api/kernels/${k.id}?token=${server.token}`, { method: "DELETE" });
  await page.reload();
  await page.locator(".jp-NotebookPanel .jp-Cell").first().waitFor({ timeout: 60_000 });
  await painted(1, 64);
  await painted(4, 18);
  assert.equal(await view(1).locator(".convlens-layer-name").textContent(), "1: block1_conv1");
  assert.deepEqual([await view(1).locator(".convlens-colour").inputValue(), await view(1).locator(".convlens-sort").inputValue()], ["viridis", "mean"], "the choices made before saving");
  await view(6).locator(".convlens-tab", { hasText: "block5_conv3" }).click();
  await view(6).locator(".convlens-page-label", { hasText: "page 3 of 8 (channels 128–191 of 512)" }).waitFor({ timeout: 10_000 });
  assert.equal(await view(5).locator(".convlens-layer-name").textContent(), `1: ${EVIL}`);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined);
  await shoot(1, "lab-saved-state-block1_conv1");
  // Nothing answers a saved widget: paging or switching layers says so instead of "loading…" for ever.
  await view(4).locator("button[title='next filters']").click();
  await view(4).locator(".convlens-status", { hasText: "no kernel is connected" }).waitFor({ timeout: 10_000 });
  await view(3).locator(".convlens-layer-select").selectOption({ label: "1: block1_conv1" });
  await view(3).locator(".convlens-status", { hasText: "no kernel is connected" }).waitFor({ timeout: 10_000 });
  assert.equal(await view(3).locator(".convlens-layer-select").inputValue(), "9", "the dropdown goes back to the layer shown");
});
