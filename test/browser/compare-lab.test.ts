// compare() (issue 16 item 5) in a real JupyterLab with the real kernel and Chromium: two photos of
// different sizes through a small seeded CNN in one widget of linked grids. Hovering a unit in the
// first grid marks that channel's tile and that unit in the second and boxes the unit's receptive
// field on both images; the shared scale gives a channel's tiles one range; paging pages both.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { ARTIFACTS, ROOT, startJupyterLab, writeNotebook, type JupyterLabServer } from "../support/jupyterlab";
import { cellOutput, hoverGridCell, openBrowser, openNotebook, runCell, type Browser } from "../support/browser";
import { pagePoints } from "../support/plotly";

const CAT = join(ROOT, "notebooks", "images", "cat.png"); // 451 × 300
const ASTRONAUT = join(ROOT, "notebooks", "images", "astronaut.png"); // 512 × 512
// channel 5 (tile 5 of the first page, in channel order), unit (10, 17) of c2's 24 × 24 maps
const TARGET = { tile: 5, channel: 5, row: 10, col: 17 };

const CELLS = [
  `import * as tf from "@tensorflow/tfjs-node";
import { compare, featureMaps, loadImage } from "convlens";
const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });
const cmpIn = tf.input({ shape: [48, 48, 3] });
let cmpX = tf.layers.conv2d({ name: "c1", filters: 8, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: seeded(1) }).apply(cmpIn) as tf.SymbolicTensor;
cmpX = tf.layers.maxPooling2d({ name: "p1", poolSize: 2 }).apply(cmpX) as tf.SymbolicTensor;
cmpX = tf.layers.conv2d({ name: "c2", filters: 16, kernelSize: 3, padding: "same", kernelInitializer: seeded(2) }).apply(cmpX) as tf.SymbolicTensor;
const cmpModel = tf.model({ inputs: cmpIn, outputs: cmpX });
const cat = await loadImage(${JSON.stringify(CAT)});
const cmpView = await compare(cmpModel, [cat, ${JSON.stringify(ASTRONAUT)}], "c2", { pageSize: 8 });`,
  // 1: the kernel's side of things: the target unit's values, and the viewer's saved choices
  `{
  const [a] = await featureMaps(cmpModel, cat, "c2");
  const [b] = await featureMaps(cmpModel, ${JSON.stringify(ASTRONAUT)}, "c2");
  const [channel, row, col] = ${JSON.stringify([TARGET.channel, TARGET.row, TARGET.col])};
  const at = (m: typeof a) => m.data[(channel * m.height + row) * m.width + col];
  const panels = cmpView.widget.get("panels") as { means: Float32Array }[];
  const order = (means: Float32Array) => Array.from(means.keys()).sort((x, y) => means[y] - means[x] || x - y);
  console.log("KERNEL " + JSON.stringify({ a: at(a), b: at(b), orderA: order(panels[0].means), orderB: order(panels[1].means), choices: cmpView.widget.get("choices") }));
}`,
];

let server: JupyterLabServer;
let browser: Browser;
let page: Page;

before(async () => {
  server = await startJupyterLab("compare");
  // widget state saved with the notebook (the last test reloads it without a kernel); no autosave
  // that could write it while the test shuts the kernel down
  const settings = join(server.rootDir, "..", "settings");
  mkdirSync(join(settings, "@jupyter-widgets", "jupyterlab-manager"), { recursive: true });
  writeFileSync(join(settings, "@jupyter-widgets", "jupyterlab-manager", "plugin.jupyterlab-settings"), JSON.stringify({ saveState: true }));
  mkdirSync(join(settings, "@jupyterlab", "docmanager-extension"), { recursive: true });
  writeFileSync(join(settings, "@jupyterlab", "docmanager-extension", "plugin.jupyterlab-settings"), JSON.stringify({ autosave: false }));
  browser = await openBrowser();
  page = browser.page;
  await page.addInitScript({ content: "window.__name = (f) => f;" }); // tsx keepNames in page.evaluate callbacks
  await openNotebook(page, server, writeNotebook(server, "compare.ipynb", CELLS));
  await runCell(page, 0, 300_000);
  try {
    await view().locator('.convlens-panels[data-painted="true"]').waitFor({ timeout: 120_000 });
  } catch (error) {
    const output = await cellOutput(page, 0).innerText().catch(() => "(no output)");
    throw new Error(`compare() did not paint; its output:\n${output.slice(0, 2000)}\nbrowser log:\n${browser.consoleLog().slice(-3000)}`, { cause: error });
  }
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

function view(): Locator {
  return cellOutput(page, 0).locator(".convlens-view").first();
}

function pane(image: number): Locator {
  return view().locator(`.convlens-linked-pane[data-image="${image}"]`);
}

async function kernelSays(): Promise<{ a: number; b: number; orderA: number[]; orderB: number[]; choices: unknown }> {
  await runCell(page, 1);
  const printed = await cellOutput(page, 1).innerText();
  if (!printed.includes("KERNEL ")) throw new Error(`cell 1 printed:\n${printed}`);
  return JSON.parse(printed.split("KERNEL ")[1].split("\n")[0]);
}

type Rect = { left: number; top: number; right: number; bottom: number };

/** Where a grid draws a cell and a tile, in page pixels, from its own geometry and Plotly's axes (as hoverGridCell). */
async function gridPlaces(grid: Locator, tile: number, row: number, col: number): Promise<{ cell: { x: number; y: number }; tile: Rect }> {
  const { cell, o, g } = await grid.evaluate(
    (gd, { tile, row, col }) => {
      type Geometry = { tileRows: number; tileCols: number; origin(t: number): { row: number; col: number }; cellOf(t: number, r: number, c: number): { x: number; y: number } };
      const geometry = (gd as unknown as { convlensGrid: { geometry: Geometry } }).convlensGrid.geometry;
      return { cell: geometry.cellOf(tile, row, col), o: geometry.origin(tile), g: { tileRows: geometry.tileRows, tileCols: geometry.tileCols } };
    },
    { tile, row, col },
  );
  // a cell spans ±0.5 around its coordinate
  const [at, topLeft, bottomRight] = await pagePoints(grid, [cell, { x: o.col - 0.5, y: o.row - 0.5 }, { x: o.col + g.tileCols - 0.5, y: o.row + g.tileRows - 0.5 }]);
  return { cell: at, tile: { left: topLeft.x, right: bottomRight.x, top: topLeft.y, bottom: bottomRight.y } };
}

/** The receptive-field box on one pane's image: its stated input rows and columns, checked to be drawn there. */
async function fieldBox(image: number): Promise<number[]> {
  const box = pane(image).locator(".convlens-rf-box");
  await box.waitFor({ state: "visible", timeout: 10_000 });
  return box.evaluate((el) => {
    const d = (el as HTMLElement).dataset;
    const [top, bottom, left, right] = [d.top, d.bottom, d.left, d.right].map(Number);
    const img = el.parentElement!.querySelector("img")!.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    // the model's 48 × 48 input, whatever size and shape the photo shown has
    const [px, py] = [img.width / 48, img.height / 48];
    const near = (a: number, b: number) => Math.abs(a - b) <= 1.5;
    if (!(near(r.left, img.left + left * px) && near(r.right, img.left + (right + 1) * px) && near(r.top, img.top + top * py) && near(r.bottom, img.top + (bottom + 1) * py))) {
      throw new Error(`the box [${top}…${bottom}] × [${left}…${right}] is drawn at ${JSON.stringify(r)} on an image at ${JSON.stringify(img)}`);
    }
    return [Number(d.row), Number(d.col), top, bottom, left, right];
  });
}

/** Each grid's per-tile [zmin, zmax] (null: one range for the page, then [[zmin, zmax]] of its trace). */
async function ranges(): Promise<([number, number][] | null)[]> {
  return view()
    .locator(".convlens-grid")
    .evaluateAll((grids) => grids.map((gd) => (gd as unknown as { convlensGrid: { scaled: [number, number][] | null } }).convlensGrid.scaled));
}

async function traceRanges(): Promise<number[][]> {
  return view()
    .locator(".convlens-grid")
    .evaluateAll((grids) => grids.map((gd) => {
      const [trace] = (gd as unknown as { data: { zmin: number; zmax: number }[] }).data;
      return [trace.zmin, trace.zmax];
    }));
}

test("one widget, one grid per image on the same channels, each beside its own photo", async () => {
  assert.equal(await view().locator(".convlens-linked").count(), 1);
  assert.equal(await view().locator(".convlens-linked-pane").count(), 2);
  assert.equal(await view().locator(".convlens-input-image").count(), 2);
  const channels = await view().locator(".convlens-grid").evaluateAll((grids) => grids.map((g) => (g as HTMLElement).dataset.channels));
  assert.deepEqual(channels, ["0,1,2,3,4,5,6,7", "0,1,2,3,4,5,6,7"]);
  assert.match((await view().locator(".convlens-panel-header").textContent()) ?? "", /3: c2 feature maps · 16 channels · 24×24 · 2 images, linked/);
  assert.equal(await view().locator(".convlens-controls").count(), 1, "one set of controls for both grids");
});

test("hovering channel c, unit (r, k) in the first grid marks tile c and unit (r, k) in the second, and boxes the unit's field on both photos", async () => {
  const { tile, channel, row, col } = TARGET;
  const grids = view().locator(".convlens-grid");
  await hoverGridCell(page, grids.nth(0), tile, row, col);
  const unit = pane(1).locator(`.convlens-link-unit[data-channel="${channel}"][data-row="${row}"][data-col="${col}"]`);
  await unit.waitFor({ state: "visible", timeout: 10_000 });
  const outline = pane(1).locator(`.convlens-link-tile[data-channel="${channel}"][data-tile="${tile}"]`);
  assert.ok(await outline.isVisible());
  // on the second grid's own cell (r, k) of tile c, and around that tile
  const where = await gridPlaces(grids.nth(1), tile, row, col);
  const u = (await unit.boundingBox())!;
  const [ux, uy] = [u.x + u.width / 2, u.y + u.height / 2];
  assert.ok(Math.abs(ux - where.cell.x) <= 1.5 && Math.abs(uy - where.cell.y) <= 1.5, `the unit marker at (${ux}, ${uy}), the cell at ${JSON.stringify(where.cell)}`);
  const o = (await outline.boundingBox())!;
  const near = (a: number, b: number) => Math.abs(a - b) <= 1.5;
  assert.ok(near(o.x, where.tile.left) && near(o.x + o.width, where.tile.right) && near(o.y, where.tile.top) && near(o.y + o.height, where.tile.bottom), `outline ${JSON.stringify(o)} vs tile ${JSON.stringify(where.tile)}`);
  assert.equal(await pane(0).locator(".convlens-link-tile:visible").count(), 0, "the grid under the mouse marks nothing");
  // the receptive field of the same unit, on both photos (one model input: the same input pixels)
  const [first, second] = [await fieldBox(0), await fieldBox(1)];
  assert.deepEqual(first.slice(0, 2), [row, col]);
  assert.deepEqual(second, first);
  // each pane reads out its own image's value of that unit (the kernel's float32)
  const kernel = await kernelSays();
  await hoverGridCell(page, grids.nth(0), tile, row, col);
  await unit.waitFor({ state: "visible", timeout: 10_000 });
  const readouts = await view().locator(".convlens-readout").evaluateAll((els) => els.map((e) => ({ ...(e as HTMLElement).dataset })));
  assert.deepEqual(readouts.map((r) => [r.channel, r.row, r.col]), [[String(channel), String(row), String(col)], [String(channel), String(row), String(col)]]);
  assert.deepEqual(readouts.map((r) => Math.fround(Number(r.value))), [Math.fround(kernel.a), Math.fround(kernel.b)]);
  mkdirSync(ARTIFACTS, { recursive: true });
  await view().screenshot({ path: join(ARTIFACTS, "lab-compare-linked-hover.png") });
  await page.mouse.move(1, 1);
  await unit.waitFor({ state: "hidden", timeout: 10_000 });
  await pane(1).locator(".convlens-rf-box").waitFor({ state: "hidden", timeout: 10_000 });
});

test("the shared scale: a channel's tiles get one range across both images (or the layer's), saved in choices", async () => {
  const own = await ranges();
  assert.ok(own[0] && own[1], "per channel per image: each tile scaled to its own range");
  await view().locator(".convlens-scale").selectOption("images");
  await page.waitForFunction(
    (grids) => {
      const s = grids.map((gd) => (gd as unknown as { convlensGrid?: { scaled: unknown } }).convlensGrid?.scaled);
      return JSON.stringify(s[0]) === JSON.stringify(s[1]);
    },
    await view().locator(".convlens-grid").elementHandles(),
    { timeout: 30_000 },
  );
  const [a, b] = (await ranges()) as [number, number][][];
  assert.deepEqual(a, b);
  a.forEach(([lo, hi], t) => {
    assert.equal(lo, Math.min(own[0]![t][0], own[1]![t][0]), `tile ${t}`);
    assert.equal(hi, Math.max(own[0]![t][1], own[1]![t][1]), `tile ${t}`);
  });
  await view().locator(".convlens-scale").selectOption("shared");
  await page.waitForFunction((grids) => grids.every((gd) => (gd as unknown as { convlensGrid?: { scaled: unknown } }).convlensGrid?.scaled === null), await view().locator(".convlens-grid").elementHandles(), { timeout: 30_000 });
  const [ta, tb] = await traceRanges();
  assert.deepEqual(ta, tb, "one range for the layer and both images");
  assert.ok(ta[0] <= Math.min(...a.map((r) => r[0])) && ta[1] >= Math.max(...a.map((r) => r[1])));
  await view().locator(".convlens-scale").selectOption("images");
  await page.waitForFunction((grids) => grids.every((gd) => (gd as unknown as { convlensGrid?: { scaled: unknown } }).convlensGrid?.scaled !== null), await view().locator(".convlens-grid").elementHandles(), { timeout: 30_000 });
  const kernel = await kernelSays();
  const choices = kernel.choices as { maps?: { scale_mode?: string } }[];
  assert.equal(choices.length, 1, "the group's choices are the first panel's");
  assert.equal(choices[0].maps?.scale_mode, "images", "the choice reached the kernel");
});

test("paging one pages both; sorting by mean follows the first image", async () => {
  await view().locator("button[title='next page']").click();
  await view().locator(".convlens-page-label", { hasText: "page 2 of 2" }).waitFor({ timeout: 10_000 });
  const channelsOf = () => view().locator(".convlens-grid").evaluateAll((grids) => grids.map((g) => (g as HTMLElement).dataset.channels));
  await page.waitForFunction(
    (grids) => grids.every((g) => (g as HTMLElement).dataset.channels === "8,9,10,11,12,13,14,15" && (g as HTMLElement).dataset.heatmaps === "8"),
    await view().locator(".convlens-grid").elementHandles(),
    { timeout: 30_000 },
  );
  assert.deepEqual(await channelsOf(), ["8,9,10,11,12,13,14,15", "8,9,10,11,12,13,14,15"]);
  // a unit on page 2 links too
  await hoverGridCell(page, view().locator(".convlens-grid").nth(1), 2, 3, 4);
  await pane(0).locator('.convlens-link-unit[data-channel="10"][data-row="3"][data-col="4"]').waitFor({ state: "visible", timeout: 10_000 });
  await page.mouse.move(1, 1);

  await view().locator(".convlens-sort").selectOption("mean");
  const { orderA, orderB } = await kernelSays();
  const firstPage = orderA.slice(0, 8).join(",");
  await page.waitForFunction(
    ({ grids, want }) => grids.every((g) => (g as HTMLElement).dataset.channels === want),
    { grids: await view().locator(".convlens-grid").elementHandles(), want: firstPage },
    { timeout: 30_000 },
  );
  assert.deepEqual(await channelsOf(), [firstPage, firstPage]);
  if (orderB.slice(0, 8).join(",") === firstPage) console.log("# the two images rank their channels alike; the sort's source is not told apart here");
  await view().screenshot({ path: join(ARTIFACTS, "lab-compare-sorted.png") });
});

test("saved with the notebook, the linked grids re-render without a kernel, with the choices made, and still link", async () => {
  const file = join(server.rootDir, "compare.ipynb");
  const savedBefore = statSync(file).mtimeMs;
  const hasState = () => {
    try {
      const nb = JSON.parse(readFileSync(file, "utf8")) as { metadata: { widgets?: Record<string, { state: Record<string, { state?: { linked?: boolean } }> }> } };
      const models = Object.values(nb.metadata.widgets?.["application/vnd.jupyter.widget-state+json"]?.state ?? {});
      return models.some((m) => m.state?.linked === true);
    } catch {
      return false; // being written
    }
  };
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+s");
  const deadline = Date.now() + 60_000;
  while (statSync(file).mtimeMs === savedBefore || !hasState()) {
    assert.ok(Date.now() < deadline, "the saved notebook holds no linked widget's state");
    await new Promise((r) => setTimeout(r, 250));
  }
  const kernels = (await (await fetch(`${server.url}/api/kernels?token=${server.token}`)).json()) as { id: string }[];
  for (const k of kernels) await fetch(`${server.url}/api/kernels/${k.id}?token=${server.token}`, { method: "DELETE" });
  await page.reload();
  await view().locator('.convlens-panels[data-painted="true"]').waitFor({ timeout: 60_000 });
  assert.equal(await view().locator(".convlens-linked-pane").count(), 2);
  assert.deepEqual([await view().locator(".convlens-scale").inputValue(), await view().locator(".convlens-sort").inputValue()], ["images", "mean"]);
  const channels = await view().locator(".convlens-grid").evaluateAll((grids) => grids.map((g) => (g as HTMLElement).dataset.channels));
  assert.equal(channels[0], channels[1]);
  await hoverGridCell(page, view().locator(".convlens-grid").nth(0), 1, 6, 6);
  await pane(1).locator('.convlens-link-unit[data-tile="1"][data-row="6"][data-col="6"]').waitFor({ state: "visible", timeout: 10_000 });
  await pane(1).locator('.convlens-rf-box[data-row="6"][data-col="6"]').waitFor({ state: "visible", timeout: 10_000 });
  await view().screenshot({ path: join(ARTIFACTS, "lab-compare-saved-state.png") });
});
