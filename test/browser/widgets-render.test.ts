// The widget's panel renderers in real Chromium with real plotly.js, fed by the kernel side's
// real state builders through the front end's deserialiser (the comm is left out here; the
// JupyterLab tests in widgets-lab.test.ts cover the whole path with a kernel).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { build } from "esbuild";
import type { Page } from "playwright-core";
import { filtersPanel, mapsPanel, type PanelState } from "../../kernel-helpers/src/display/state";
import { removeBuffers } from "../../kernel-helpers/src/runtime/buffers";
import type { ChannelStack, FilterStack } from "../../kernel-helpers/src/types";
import { openBundledPage, screenshot, type Browser } from "../support/browser";
import { pagePoints, plotlyListeners, type Point } from "../support/plotly";
import { ROOT } from "../support/jupyterlab";

let browser: Browser;
let page: Page;

// The renderers bundled with plotly for a blank page, exposed as window.convlensTest.
const ENTRY = `
import { renderMapsPanel } from "./widgets/src/maps-panel";
import { renderFiltersPanel } from "./widgets/src/filters-panel";
import { panelsFrom } from "./widgets/src/state";
import { ensureStyles } from "./widgets/src/styles";
import { measureSince } from "./widgets/src/timing";
// The test sends wire state as JSON with binary buffers as { __bytes: base64 }; back to DataViews here.
const reviveWire = (v) => {
  if (v && typeof v === "object" && "__bytes" in v) return new DataView(Uint8Array.from(atob(v.__bytes), (c) => c.charCodeAt(0)).buffer);
  if (Array.isArray(v)) return v.map(reviveWire);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reviveWire(x)]));
  return v;
};
// A grid page is one heatmap (a mosaic of its tiles); the values Plotly holds for tile t, back in
// the tile's own units when the mosaic scaled them to 0..1, with the tile's thinning.
const tileValues = (t) => {
  const gd = document.querySelector(".convlens-grid");
  const { geometry: g, scaled } = gd.convlensGrid;
  const { row, col } = g.origin(t);
  const z = gd.data[0].z;
  const [lo, hi] = scaled ? scaled[t] : [0, 1];
  // one value per drawn cell: a small kernel's cells are repeated repY × repX times in the mosaic
  const at = (y, x) => z[row + y * g.repY][col + x * g.repX];
  const values = Array.from({ length: g.tileRows / g.repY }, (_, y) => Array.from({ length: g.tileCols / g.repX }, (_, x) => (scaled ? lo + at(y, x) * (hi - lo) : at(y, x))));
  return { values, dy: g.dy, dx: g.dx, scaled: scaled !== null };
};
const traceTypes = () => document.querySelector(".convlens-grid").data.map((d) => d.type);
window.convlensTest = { renderMapsPanel, renderFiltersPanel, panelsFrom, ensureStyles, reviveWire, tileValues, traceTypes, measureSince };
`;

before(async () => {
  browser = await openBundledPage(ENTRY, "<body style='margin:8px;background:#fff'></body>");
  page = browser.page;
});
after(async () => {
  await browser?.close();
});

/** Sends panel state the way the wire does: every typed array becomes a DataView over its own bytes. */
function toWire(panel: PanelState): unknown {
  const walk = (v: unknown): unknown => {
    if (ArrayBuffer.isView(v)) return { __bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(panel);
}

interface Mounted {
  heatmaps: number;
  paintMs: number;
}

/** What a kernel would answer for one channel: its exact plane. */
interface Answers {
  channel: number;
  width: number;
  values: number[];
}

/**
 * Mounts one panel in a fresh host; exactValue answers from `answers` (else null, like no kernel).
 * With `viewWidth`, inside a widget view box that wide (as an output area would make it).
 */
async function mount(panel: PanelState, answers: Answers | null = null, viewWidth: number | null = null): Promise<Mounted> {
  return page.evaluate(
    async ({ wire, answers, viewWidth }) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const t = (window as any).convlensTest;
      (window as any).__current?.dispose();
      document.body.replaceChildren();
      t.ensureStyles();
      const [panel] = t.panelsFrom([t.reviveWire(wire)]);
      const controller = new AbortController();
      const ctx = {
        index: 0,
        signal: controller.signal,
        exactValue: async (c: number, r: number, x: number) => (answers && c === answers.channel ? answers.values[r * answers.width + x] : null),
        requestFilterPage: (f: number, c: number) => ((window as any).__pageRequest = [f, c]),
        choices: {},
        choose: (patch: unknown) => ((window as any).__chosen = [...((window as any).__chosen ?? []), patch]),
      };
      const handle = panel.kind === "maps" ? t.renderMapsPanel(panel, ctx) : t.renderFiltersPanel(panel, ctx);
      if (viewWidth === null) document.body.append(handle.element);
      else {
        const view = document.createElement("div");
        view.className = "convlens-view";
        view.style.width = `${viewWidth}px`;
        view.append(handle.element);
        document.body.append(view);
      }
      const started = performance.now();
      await handle.ready;
      const paintMs = Math.round(performance.now() - started);
      (window as any).__current = { dispose: () => (handle.dispose(), controller.abort()) };
      return { heatmaps: Number(document.querySelector<HTMLElement>(".convlens-grid")!.dataset.heatmaps), paintMs };
    },
    { wire: toWire(panel), answers, viewWidth },
  );
}

/** Moves the mouse over source (row, col) of the grid's tile number `tile`, through Plotly's own axes. */
async function hover(tile: number, row: number, col: number): Promise<void> {
  const grid = page.locator(".convlens-grid").first();
  const cell = await grid.evaluate(
    (gd, { tile, row, col }) => (gd as HTMLElement & { convlensGrid: any }).convlensGrid.geometry.cellOf(tile, row, col) as Point,
    { tile, row, col },
  );
  const [{ x, y }] = await pagePoints(grid, [cell]);
  // One jump, no intermediate moves: Plotly throttles hover events, and a late one would win. To
  // the whole pixel nearest the cell's middle: the page sees whole-pixel mouse positions, and a
  // 224-row map has a cell every ~1.2 px.
  await page.mouse.move(Math.round(x) + 0.5, Math.round(y) + 0.5);
}

/** Plotly's values for tile t (see tileValues in the page bundle). */
async function tileValues(t: number): Promise<{ values: number[][]; dy: number; dx: number; scaled: boolean }> {
  return page.evaluate((t) => (window as any).convlensTest.tileValues(t), t);
}

async function traceTypes(): Promise<string[]> {
  return page.evaluate(() => (window as any).convlensTest.traceTypes());
}

async function readout(): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const r = document.querySelector<HTMLElement>(".convlens-readout")!;
    return { text: r.textContent ?? "", ...r.dataset } as Record<string, string>;
  });
}

function stack(name: string, channels: number, height: number, width: number): ChannelStack {
  const data = new Float32Array(channels * height * width);
  for (let i = 0; i < data.length; i++) data[i] = Math.fround(Math.sin(i * 0.001) * ((i % 97) / 13) + (i % 5) * 0.01);
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) [min, max] = [Math.min(min, v), Math.max(max, v)];
  return { layer: { name, index: 1 }, channels, height, width, data, min, max };
}

// A 224-row map drawn 88 px high has ~2.5 rows per screen pixel, so a hover lands near, not on, a
// chosen pixel: the tests read the (channel, row, col) the readout reports and check the value there.
test("64 feature maps of 224×224 render as 64 heatmaps; hover shows the kernel's exact value at the channel/row/col under the mouse", async (t) => {
  const maps = stack("block1_conv1", 64, 224, 224);
  const c = 37;
  const plane = Array.from(maps.data.subarray(c * 224 * 224, (c + 1) * 224 * 224));
  const mounted = await mount(mapsPanel(maps, null), { channel: c, width: 224, values: plane });
  t.diagnostic(`64 heatmaps of 224×224 painted in ${mounted.paintMs} ms`);
  assert.equal(mounted.heatmaps, 64);
  assert.deepEqual(await traceTypes(), ["heatmap"], "one heatmap mosaic of the 64 tiles");
  const titles = await page.evaluate(() => Array.from(document.querySelectorAll(".convlens-grid .convlens-tile-title"), (t) => t.textContent));
  assert.deepEqual(titles, Array.from({ length: 64 }, (_, i) => String(i)));
  // each title is centred over its own tile, in the band just above it
  const placed = await page.evaluate((tile) => {
    const grid = document.querySelector(".convlens-grid") as HTMLElement & { convlensGrid: { geometry: { rows: number; cols: number; width: number; height: number; tileCols: number; titleRows: number; origin(i: number): { row: number; col: number } } } };
    const g = grid.convlensGrid.geometry;
    const box = grid.getBoundingClientRect();
    const label = grid.querySelectorAll(".convlens-tile-title")[tile].getBoundingClientRect();
    const o = g.origin(tile);
    const [cw, ch] = [g.width / g.cols, g.height / g.rows];
    return { labelX: (label.left + label.right) / 2 - box.left, tileX: (o.col + g.tileCols / 2) * cw, labelTop: label.top - box.top, labelBottom: label.bottom - box.top, bandTop: (o.row - g.titleRows) * ch, tileTop: o.row * ch };
  }, c);
  assert.ok(Math.abs(placed.labelX - placed.tileX) <= 2, `title ${c} is centred over its tile: ${JSON.stringify(placed)}`);
  assert.ok(placed.labelTop >= placed.bandTop - 1 && placed.labelBottom <= placed.tileTop + 1, `title ${c} sits in the band above its tile: ${JSON.stringify(placed)}`);
  const drawn = await tileValues(c);
  assert.equal(drawn.values.length, 75);
  for (const [y, x] of [[0, 0], [33, 17], [74, 74]]) {
    const want = maps.data[(c * 224 + y * 3) * 224 + x * 3];
    assert.ok(Math.abs(drawn.values[y][x] - want) <= 0.003 * (maps.max - maps.min), `tile ${c} cell (${y}, ${x}) is drawn from source (${y * 3}, ${x * 3})`);
  }
  await hover(c, 100, 50);
  await page.waitForFunction(() => {
    const r = document.querySelector<HTMLElement>(".convlens-readout")?.dataset;
    return r?.exact === "true" && Math.abs(Number(r.row) - 100) <= 3 && Math.abs(Number(r.col) - 50) <= 3;
  });
  const shown = await readout();
  const [row, col] = [Number(shown.row), Number(shown.col)];
  assert.equal(shown.channel, String(c));
  assert.ok(Math.abs(row - 100) <= 3 && Math.abs(col - 50) <= 3, `hover landed at (${row}, ${col})`);
  const value = maps.data[(c * 224 + row) * 224 + col];
  assert.equal(Math.fround(Number(shown.value)), value);
  assert.match(shown.text, new RegExp(`^channel ${c}, row ${row}, col ${col}: -?\\d`));
  assert.equal(Math.fround(Number(shown.text.split(": ")[1])), value, "the printed number reads back as the same float32");
  const tooltip = page.locator(".convlens-grid .convlens-tooltip");
  assert.ok(await tooltip.isVisible(), "a tooltip by the mouse shows the same reading");
  assert.equal(await tooltip.textContent(), shown.text);
  await screenshot(page, "widgets-feature-maps-64");
  await page.mouse.move(2, 2);
  await page.waitForFunction(() => document.querySelector<HTMLElement>(".convlens-tooltip")?.hidden === true);
});

test("without a kernel the hover keeps the uint8 approximation, within half a quantisation step", async () => {
  const maps = stack("block1_conv1", 64, 224, 224);
  const panel = mapsPanel(maps, null);
  await mount(panel);
  await hover(5, 7, 9);
  await page.waitForFunction(() => document.querySelector<HTMLElement>(".convlens-readout")?.dataset.channel === "5");
  const shown = await readout();
  assert.equal(shown.exact, "false");
  assert.match(shown.text, /^channel 5, row \d+, col \d+: ≈ /);
  const error = Math.abs(Number(shown.value) - maps.data[(5 * 224 + Number(shown.row)) * 224 + Number(shown.col)]);
  assert.ok(error <= panel.planes.scale[5] / 2 + 1e-6, `approximation off by ${error}`);
});

test("a 224×224 map is drawn thinned to its 88 px tile at original coordinates; hover and the enlarged view keep full resolution", async () => {
  const maps = stack("block1_conv1", 64, 224, 224);
  const c = 12;
  const plane = Array.from(maps.data.subarray(c * 224 * 224, (c + 1) * 224 * 224));
  const panel = mapsPanel(maps, null);
  await mount(panel, { channel: c, width: 224, values: plane });
  const trace = await tileValues(c);
  assert.deepEqual([trace.values.length, trace.values[0].length, trace.dy, trace.dx], [75, 75, 3, 3], "every 3rd row and column of 224, at most 88 per side");
  await hover(c, 100, 50);
  await page.waitForFunction(() => document.querySelector<HTMLElement>(".convlens-readout")?.dataset.exact === "true");
  const shown = await readout();
  const [row, col] = [Number(shown.row), Number(shown.col)];
  assert.equal(shown.channel, String(c));
  assert.deepEqual([row % 3, col % 3], [0, 0], `hover reports source coordinates (${row}, ${col}), not display cells`);
  assert.ok(Math.abs(row - 100) <= 3 && Math.abs(col - 50) <= 3, `hover landed at (${row}, ${col})`);
  assert.equal(Math.fround(Number(shown.value)), maps.data[(c * 224 + row) * 224 + col], "the readout is the kernel's value at that source pixel");
  const size = 224 * 224;
  const drawn = trace.values[row / 3][col / 3];
  const approx = panel.planes.offset[c] + panel.planes.scale[c] * panel.planes.codes[c * size + row * 224 + col];
  assert.ok(Math.abs(drawn - approx) <= 1e-5 * (maps.max - maps.min), `the cell under the mouse is drawn with that pixel's value (${drawn} vs ${approx})`);
  await page.mouse.down();
  await page.mouse.up();
  await page.waitForFunction(() => (document.querySelector(".convlens-large") as unknown as { data?: unknown[] })?.data?.length === 1);
  const large = await page.evaluate(() => {
    const z = (document.querySelector(".convlens-large") as unknown as { data: { z: ArrayLike<number>[] }[] }).data[0].z;
    return [z.length, z[0].length];
  });
  assert.deepEqual(large, [224, 224], "the enlarged channel is not thinned");
  const small = stack("block3_conv3", 4, 56, 56);
  await mount(mapsPanel(small, null));
  const whole = await tileValues(0);
  assert.deepEqual([whole.values.length, whole.dy], [56, 1], "a map that fits its tile is drawn whole");
});

test("paging a 256-channel layer reaches channel 255; sorting by mean puts the highest mean first", async () => {
  const maps = stack("block3_conv3", 256, 56, 56);
  const panel = mapsPanel(maps, null);
  await mount(panel);
  for (let i = 0; i < 3; i++) {
    await page.locator("button[title='next page']").click();
    await page.waitForFunction(() => document.querySelector<HTMLElement>(".convlens-grid")?.dataset.heatmaps !== "0");
  }
  await page.waitForFunction(() => document.querySelector(".convlens-page-label")?.textContent?.includes("page 4 of 4"));
  const channels = await page.evaluate(() => document.querySelector<HTMLElement>(".convlens-grid")!.dataset.channels!.split(",").map(Number));
  assert.equal(channels.length, 64);
  assert.equal(channels.at(-1), 255);
  const titles = await page.evaluate(() => Array.from(document.querySelectorAll(".convlens-grid .convlens-tile-title")).map((t) => t.textContent));
  assert.ok(titles.includes("255"), "channel 255 is titled on the last page");
  assert.ok(await page.locator("button[title='next page']").isDisabled());
  assert.deepEqual(await page.evaluate(() => (window as any).__chosen.at(-1)), { maps: { page: { layer: panel.layer.index, page: 3 } } }, "the page goes to the widget state");
  await screenshot(page, "widgets-feature-maps-last-page");

  await page.selectOption(".convlens-sort", "mean");
  await page.waitForFunction(() => document.querySelector(".convlens-page-label")?.textContent?.includes("page 1 of 4"));
  await page.waitForFunction(() => document.querySelector<HTMLElement>(".convlens-grid")?.dataset.heatmaps === "64");
  const sorted = await page.evaluate(() => document.querySelector<HTMLElement>(".convlens-grid")!.dataset.channels!.split(",").map(Number));
  const best = Array.from(panel.means.keys()).sort((a, b) => panel.means[b] - panel.means[a] || a - b);
  assert.deepEqual(sorted, best.slice(0, 64));
  assert.deepEqual(await page.evaluate(() => (window as any).__chosen.at(-1)), { maps: { sort: "mean", page: { layer: panel.layer.index, page: 0 } } }, "the choice goes to the widget state, and sorting starts again at the first page");
});

test("the seed's 6 filters × 3 channels are 18 heatmaps whose values are the normalised weights", async () => {
  const weights = Float32Array.from({ length: 6 * 3 * 9 }, (_, i) => Math.fround(((i * 53) % 89) / 88));
  const filters: FilterStack = {
    layer: { name: "block1_conv1", index: 1 }, kernelHeight: 3, kernelWidth: 3, filterStart: 0, filters: 6, channelStart: 0, inChannels: 3,
    totalFilters: 64, totalInChannels: 3, normalisation: "minmax", data: weights, rawMin: -0.67, rawMax: 0.61,
  };
  const mounted = await mount(filtersPanel(filters));
  assert.equal(mounted.heatmaps, 18);
  const z = await Promise.all(Array.from({ length: 18 }, async (_, t) => (await tileValues(t)).values));
  assert.equal((await tileValues(0)).scaled, false, "the page shares one range: the mosaic holds the weights themselves");
  z.forEach((plane, p) => plane.forEach((row, y) => row.forEach((v, x) => assert.equal(v, weights[(p * 3 + y) * 3 + x], `filter ${Math.floor(p / 3)} channel ${p % 3} (${y}, ${x})`))));
  await screenshot(page, "widgets-filters-6x3");

  await page.locator("button[title='next filters']").click();
  assert.deepEqual(await page.evaluate(() => (window as any).__pageRequest), [6, 0], "next filters asks the kernel for the page after filter 5");

  await page.locator(".convlens-rgb").check();
  await page.waitForFunction(() => document.querySelector<HTMLElement>(".convlens-grid")?.dataset.heatmaps === "6");
  assert.deepEqual(await traceTypes(), ["image"]);
  await hover(4, 1, 2);
  await page.waitForFunction(() => document.querySelector(".convlens-readout")?.textContent?.startsWith("filter 4, row 1, col 2: R "));
  const [r, g, b] = [0, 1, 2].map((c) => weights[(4 * 3 + c) * 9 + 1 * 3 + 2]);
  const shown = /^filter 4, row 1, col 2: R (\S+), G (\S+), B (\S+)$/.exec((await page.locator(".convlens-readout").textContent()) ?? "");
  assert.ok(shown, "the readout gives the composite's three weights");
  assert.deepEqual(shown.slice(1).map((v) => Math.fround(Number(v))), [r, g, b]);
  assert.ok(await page.locator(".convlens-tooltip").isVisible());
  await screenshot(page, "widgets-filters-rgb");
  // Between two tiles Plotly still reports the image's transparent cells: the tooltip goes.
  const grid = page.locator(".convlens-grid").first();
  const between = await grid.evaluate((gd) => {
    const g = (gd as unknown as { convlensGrid: any }).convlensGrid.geometry;
    const o = g.origin(1);
    return { x: o.col - g.gapCols / 2, y: o.row + 1 } as Point;
  });
  const [gap] = await pagePoints(grid, [between]);
  await page.mouse.move(gap.x, gap.y);
  await page.waitForFunction(() => document.querySelector<HTMLElement>(".convlens-tooltip")?.hidden === true);
});

test("the tooltip stays inside the widget's box: over the rightmost tile of a narrow view it opens to the left", async () => {
  const weights = Float32Array.from({ length: 6 * 3 * 9 }, (_, i) => i / 161);
  const filters: FilterStack = {
    layer: { name: "block1_conv1", index: 1 }, kernelHeight: 3, kernelWidth: 3, filterStart: 0, filters: 6, channelStart: 0, inChannels: 3,
    totalFilters: 64, totalInChannels: 3, normalisation: "minmax", data: weights, rawMin: 0, rawMax: 1,
  };
  await mount(filtersPanel(filters), null, 400);
  await hover(2, 1, 2); // filter 0, channel 2: the top right tile
  await page.waitForFunction(() => document.querySelector<HTMLElement>(".convlens-tooltip")?.hidden === false);
  const [tip, view] = await page.evaluate(() =>
    [".convlens-tooltip", ".convlens-view"].map((selector) => {
      const box = document.querySelector(selector)!.getBoundingClientRect();
      return { left: box.left, right: box.right };
    }),
  );
  assert.ok(tip.right <= view.right + 0.5, `tooltip ${JSON.stringify(tip)} ends inside the view ${JSON.stringify(view)}`);
  assert.ok(tip.left >= view.left - 0.5, `tooltip ${JSON.stringify(tip)} starts inside the view ${JSON.stringify(view)}`);
});

test("in a view narrower than the tooltip's text, the tooltip wraps to the view's width", async () => {
  const weights = Float32Array.from({ length: 6 * 3 * 9 }, (_, i) => i / 161);
  const filters: FilterStack = {
    layer: { name: "block1_conv1", index: 1 }, kernelHeight: 3, kernelWidth: 3, filterStart: 0, filters: 6, channelStart: 0, inChannels: 3,
    totalFilters: 64, totalInChannels: 3, normalisation: "minmax", data: weights, rawMin: 0, rawMax: 1,
  };
  const tooltipAndView = async (viewWidth: number) => {
    await mount(filtersPanel(filters), null, viewWidth);
    await hover(2, 1, 2); // filter 0, channel 2: the top right tile
    await page.waitForFunction(() => document.querySelector<HTMLElement>(".convlens-tooltip")?.hidden === false);
    return page.evaluate(() =>
      [".convlens-tooltip", ".convlens-view"].map((selector) => {
        const box = document.querySelector(selector)!.getBoundingClientRect();
        return { left: box.left, right: box.right, width: box.width, height: box.height };
      }),
    );
  };
  const [oneLine] = await tooltipAndView(400);
  const [tip, view] = await tooltipAndView(Math.round(oneLine.width * 0.7));
  assert.ok(view.width < oneLine.width, `the view (${view.width} px) is narrower than the text on one line (${oneLine.width} px)`);
  assert.ok(tip.right <= view.right + 0.5 && tip.left >= view.left - 0.5, `tooltip ${JSON.stringify(tip)} inside the view ${JSON.stringify(view)}`);
  assert.ok(tip.height > oneLine.height, `the text wraps onto more lines (${tip.height} px high, one line ${oneLine.height} px)`);
});

test("no RGB composite for the last 3 input channels of a deeper layer's 11 (only a first layer's 3 are an RGB image)", async () => {
  const filters: FilterStack = {
    layer: { name: "block2_conv1", index: 4 }, kernelHeight: 3, kernelWidth: 3, filterStart: 0, filters: 2, channelStart: 8, inChannels: 3,
    totalFilters: 2, totalInChannels: 11, normalisation: "minmax", data: Float32Array.from({ length: 2 * 3 * 9 }, (_, i) => i / 53), rawMin: 0, rawMax: 1,
  };
  await mount(filtersPanel(filters, { rgb: true }));
  assert.ok(await page.locator(".convlens-rgb").isDisabled(), "channels 8–10 are not an RGB image");
  assert.deepEqual(await traceTypes(), ["heatmap"]);
  assert.equal(await page.locator(".convlens-grid").getAttribute("data-heatmaps"), "6");
});

test("a layer name that is HTML is shown as text and never runs", async () => {
  const evil = "<img src=x onerror=window.__pwned=1>";
  await mount(mapsPanel({ ...stack(evil, 4, 8, 8), layer: { name: evil, index: 3 } }, null));
  assert.equal(await page.locator(".convlens-layer-name").textContent(), `3: ${evil}`);
  assert.equal(await page.locator(".convlens-panel img[src='x']").count(), 0);
  await page.waitForTimeout(200); // give a would-be onerror its chance to fire
  assert.equal(await page.evaluate(() => (window as any).__pwned), undefined);
  await screenshot(page, "widgets-html-layer-name");
});

test("dispose purges the Plotly figure", async () => {
  await mount(mapsPanel(stack("c", 4, 8, 8), null));
  const left = await page.evaluate(() => {
    (window as any).__current.dispose();
    const gd = document.querySelector(".convlens-grid") as unknown as { data?: unknown; layout?: unknown };
    return { data: gd.data === undefined, layout: gd.layout === undefined };
  });
  assert.deepEqual(left, { data: true, layout: true });
});

test("a panel disposed while its next page paints does not throw, and leaves no Plotly listeners", async () => {
  await mount(mapsPanel(stack("c", 70, 4, 4), null)); // two pages
  const grid = (await page.locator(".convlens-grid").first().elementHandle())!;
  const error = await page.evaluate(() => {
    document.querySelector<HTMLButtonElement>("button[title='next page']")!.click(); // purges page 1, draws page 2
    try {
      (window as any).__current.dispose(); // the view goes before page 2 is painted
      (window as any).__current.dispose();
      return "";
    } catch (e) {
      return String(e);
    }
  });
  assert.equal(error, "");
  assert.deepEqual(await plotlyListeners(grid), { on: false, emitter: false });
});

test("a panel disposed while Plotly paints purges its grid and its enlarged channel once they are drawn", async () => {
  const weights = Float32Array.from({ length: 2 * 3 * 9 }, (_, i) => i / 53);
  const filters: FilterStack = {
    layer: { name: "c", index: 1 }, kernelHeight: 3, kernelWidth: 3, filterStart: 0, filters: 2, channelStart: 0, inChannels: 3,
    totalFilters: 2, totalInChannels: 3, normalisation: "minmax", data: weights, rawMin: 0, rawMax: 1,
  };
  const wires = [toWire(mapsPanel(stack("c", 4, 8, 8), null)), toWire(filtersPanel(filters))];
  const left = await page.evaluate(async (wires) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const t = (window as any).convlensTest;
    (window as any).__current?.dispose();
    document.body.replaceChildren();
    const [panel, filterPanel] = t.panelsFrom(wires.map(t.reviveWire));
    const controller = new AbortController();
    const ctx = { index: 0, signal: controller.signal, exactValue: async () => null, requestFilterPage: () => undefined, choices: {}, choose: () => undefined };
    const figures = (handle: { element: HTMLElement }) => ({
      grid: handle.element.querySelector(".convlens-grid") as unknown as { data?: unknown; layout?: unknown },
      large: handle.element.querySelector(".convlens-large") as unknown as { data?: unknown; layout?: unknown },
    });
    // The view re-renders (a new page of panels from the kernel) before the first paint is done.
    const first = t.renderMapsPanel(panel, ctx);
    document.body.append(first.element);
    first.dispose();
    await first.ready;
    const filterGrid = t.renderFiltersPanel(filterPanel, ctx);
    document.body.append(filterGrid.element);
    filterGrid.dispose();
    await filterGrid.ready;
    // A click enlarges a channel; the panel goes before that heatmap is drawn.
    const second = t.renderMapsPanel(panel, ctx);
    document.body.append(second.element);
    await second.ready;
    const { grid } = figures(second);
    const tile1 = (grid as unknown as { convlensGrid: { geometry: { origin(t: number): { row: number; col: number } } } }).convlensGrid.geometry.origin(1);
    (grid as unknown as { emit(event: string, data: unknown): void }).emit("plotly_click", { points: [{ curveNumber: 0, x: tile1.col, y: tile1.row }] });
    second.dispose();
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the enlarged channel's newPlot settle
    controller.abort();
    const a = figures(first);
    const b = figures(second);
    return {
      firstGrid: a.grid.data === undefined && a.grid.layout === undefined,
      filterGrid: figures(filterGrid).grid.data === undefined && figures(filterGrid).grid.layout === undefined,
      enlarged: b.large.data === undefined && b.large.layout === undefined,
      largeTitle: second.element.querySelector(".convlens-large-title")?.textContent,
    };
  }, wires);
  assert.equal(left.largeTitle, "channel 1", "the click did reach the panel");
  assert.deepEqual({ firstGrid: left.firstGrid, filterGrid: left.filterGrid, enlarged: left.enlarged }, { firstGrid: true, filterGrid: true, enlarged: true });
});

// The widget's model and view as JupyterLab's widget manager makes them from a notebook's saved
// widget state: buffers decoded from base64 and put back, the state through the model's
// _deserialize_state, then the view rendered and displayed.
const VIEW_ENTRY = `
import { put_buffers } from "@jupyter-widgets/base";
import { ConvLensModel, ConvLensView } from "./widgets/src/widget";
window.convlensView = { ConvLensModel, ConvLensView, put_buffers };
`;

test("a notebook saved with the old `layout: \"tabs\"` key opens as tabs, and ipywidgets makes no Layout view of it", async () => {
  const bundle = await build({ stdin: { contents: VIEW_ENTRY, resolveDir: ROOT, loader: "ts" }, bundle: true, write: false, format: "iife", logLevel: "silent" });
  await page.addScriptTag({ content: bundle.outputFiles[0].text });
  const panels = [mapsPanel({ ...stack("block1_conv2", 4, 8, 8), layer: { name: "block1_conv2", index: 1 } }, null),
    mapsPanel({ ...stack("block2_conv2", 4, 8, 8), layer: { name: "block2_conv2", index: 4 } }, null)];
  // what the notebook metadata of a widget shown by showLayers before the rename holds
  const old = { _model_name: "ConvLensModel", _model_module: "convlens-widgets", _model_module_version: "^0.1.0",
    _view_name: "ConvLensView", _view_module: "convlens-widgets", _view_module_version: "^0.1.0",
    title: "", panels, layout: "tabs", layers: [], layer_index: -1, mode: "maps", status: "", choices: [] };
  const split = removeBuffers(old);
  const saved = { state: split.state, buffers: split.buffer_paths.map((path, i) => {
    const b = split.buffers[i];
    return { path, encoding: "base64", data: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64") };
  }) };
  const logBefore = browser.consoleLog().length;
  const shown = await page.evaluate(async (saved) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const v = (window as any).convlensView;
    (window as any).__current?.dispose();
    document.body.replaceChildren();
    const state = saved.state as Record<string, unknown>;
    const bytes = (data: string) => new DataView(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)).buffer);
    v.put_buffers(state, saved.buffers.map((b) => b.path), saved.buffers.map((b) => bytes(b.data)));
    // Like the widget manager's create_view, which cannot make a view of a string (no state_change).
    const manager = { create_view: (model: { state_change: Promise<void> }) => model.state_change.then(() => null) };
    const attributes = await v.ConvLensModel._deserialize_state(state, manager);
    const model = new v.ConvLensModel(attributes, { model_id: "saved", widget_manager: manager });
    const view = new v.ConvLensView({ model });
    view.render();
    document.body.append(view.el);
    view.trigger("displayed");
    await view.painted;
    (window as any).__current = { dispose: () => view.remove() };
    const layoutView = await view.layoutPromise.then(() => "none", (e: unknown) => `failed: ${String(e)}`);
    return {
      tabs: Array.from(document.querySelectorAll(".convlens-tab"), (t) => t.textContent),
      panels: document.querySelectorAll(".convlens-panel").length,
      painted: document.querySelector<HTMLElement>(".convlens-panels")?.dataset.painted,
      layout: model.get("layout") ?? null,
      arrangement: model.get("arrangement"),
      saves: model.get_state(true).arrangement,
      layoutView,
    };
  }, saved);
  const log = browser.consoleLog().slice(logBefore);
  assert.deepEqual(shown.tabs, ["1: block1_conv2", "4: block2_conv2"], log);
  assert.deepEqual([shown.panels, shown.painted], [1, "true"], "one tab's panel is shown and painted");
  assert.deepEqual([shown.layout, shown.arrangement, shown.saves], [null, "tabs", "tabs"], "saved again under the new key");
  assert.equal(shown.layoutView, "none", "no Layout view was attempted from the string");
  assert.doesNotMatch(log, /\[error\]|\[pageerror\]/, log);
  await screenshot(page, "widgets-old-layout-key-tabs");
});

test("drawing a grid records its steps as User Timing measures (the bench reads them), and a long session keeps at most 2000", async () => {
  await mount(mapsPanel(stack("block2_conv1", 8, 16, 16), null));
  const counts = await page.evaluate(() => ["mosaic", "plotly"].map((n) => performance.getEntriesByName(`convlens:${n}`, "measure").length));
  assert.ok(counts.every((n) => n >= 1), `measures of the mosaic and of Plotly.newPlot: ${counts}`);
  const kept = await page.evaluate(() => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    for (let i = 0; i < 2100; i++) (window as any).convlensTest.measureSince("mosaic", performance.now());
    return performance.getEntriesByType("measure").filter((m) => m.name.startsWith("convlens:")).length;
  });
  assert.ok(kept <= 2000, `${kept} measures kept`);
});
