// Canary of the plotly.js seam of the browser tests (test/support/plotly.ts): the internals it reads
// are still there and mean what the tests take them to mean, on a real figure of the plotly.js the
// widgets bundle. After a plotly.js upgrade this is the one test that fails, naming what moved.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { openBundledPage, type Browser } from "../support/browser";
import { missingPlotlyInternals, pagePoints, plotlyListeners } from "../support/plotly";

let browser: Browser;
let page: Page;

const ENTRY = `import * as Plotly from "plotly.js-dist-min"; window.Plotly = Plotly;`;

before(async () => {
  browser = await openBundledPage(
    ENTRY,
    "<body style='margin:8px'><div id='fig' style='width:420px;height:320px'></div></body>",
  );
  page = browser.page;
});

after(async () => {
  await browser?.close();
});

/** A 4 × 6 heatmap as the widgets draw one (z[row][col], rows downwards); its hover events recorded. */
async function drawHeatmap(): Promise<void> {
  await page.evaluate(async () => {
    const w = window as unknown as { Plotly: any; hovered: { x: number; y: number }[] };
    const z = Array.from({ length: 4 }, (_, r) => Array.from({ length: 6 }, (_, c) => r * 6 + c));
    const gd = document.getElementById("fig")!;
    await w.Plotly.newPlot(
      gd,
      [{ type: "heatmap", z, showscale: false }],
      { margin: { l: 30, r: 10, t: 10, b: 30 }, yaxis: { autorange: "reversed" } },
      { staticPlot: false },
    );
    w.hovered = [];
    (gd as unknown as { on(e: string, f: (ev: { points: { x: number; y: number }[] }) => void): void }).on(
      "plotly_hover",
      (ev) => w.hovered.push({ x: ev.points[0].x, y: ev.points[0].y }),
    );
  });
}

test("a drawn plotly.js figure has the axes and event emitter the browser tests read", async () => {
  await drawHeatmap();
  const figure = page.locator("#fig");
  const version = await page.evaluate(() => (window as unknown as { Plotly: { version: string } }).Plotly.version);
  const moved = await missingPlotlyInternals(figure);
  assert.deepEqual(moved, [], `plotly.js ${version}:\n${moved.join("\n")}`);
  assert.deepEqual(await plotlyListeners(figure), { on: true, emitter: true });
});

test("pagePoints puts the mouse on the cell Plotly reports", async () => {
  await drawHeatmap();
  const figure = page.locator("#fig");
  for (const cell of [
    { x: 0, y: 0 },
    { x: 4, y: 2 },
    { x: 5, y: 3 },
  ]) {
    const [at] = await pagePoints(figure, [cell]);
    await page.mouse.move(1, 1);
    await page.mouse.move(Math.round(at.x) + 0.5, Math.round(at.y) + 0.5);
    await page.waitForFunction((n) => (window as unknown as { hovered: unknown[] }).hovered.length >= n, 1);
    const hovered = await page.evaluate(() =>
      (window as unknown as { hovered: { x: number; y: number }[] }).hovered.pop(),
    );
    assert.deepEqual(hovered, cell, "plotly_hover reports the cell pagePoints aimed at");
  }
});

test("after Plotly.purge no listeners are left, and the canary names what is missing", async () => {
  await drawHeatmap();
  const figure = page.locator("#fig");
  await page.evaluate(() =>
    (window as unknown as { Plotly: { purge(el: HTMLElement): void } }).Plotly.purge(document.getElementById("fig")!),
  );
  assert.deepEqual(await plotlyListeners(figure), { on: false, emitter: false });
  assert.deepEqual(await missingPlotlyInternals(figure), ["plotly.js: a drawn figure has no _fullLayout"]);
});
