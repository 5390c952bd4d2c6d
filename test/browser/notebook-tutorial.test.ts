// Issue 6's acceptance: notebook 01, as committed, opened in a real JupyterLab 4 with the real
// convlens kernel in headless Chromium; every cell run; the live widgets render and answer.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { DEMO_BLOCKS } from "../../kernel-helpers/src/demo";
import { ARTIFACTS, ROOT, startJupyterLab, type JupyterLabServer } from "../support/jupyterlab";
import { cell, cellOutput, openBrowser, openNotebook, runCell, type Browser } from "../support/browser";

const NOTEBOOKS = join(ROOT, "notebooks");
const NOTEBOOK = readdirSync(NOTEBOOKS).find((f) => f.startsWith("01-") && f.endsWith(".ipynb"));
const DEMO_MODEL = join(NOTEBOOKS, "models", "demo-cnn", "model.json");
const PHOTO = join(NOTEBOOKS, "images", "cat.png");
const skip = !NOTEBOOK
  ? "no notebooks/01-*.ipynb"
  : !existsSync(DEMO_MODEL)
    ? "the demo CNN is not trained yet (npm run train-demo)"
    : !existsSync(PHOTO)
      ? "no sample photos in notebooks/images (run scripts/sample-images.ts)"
      : false;

interface NotebookJson {
  cells: { cell_type: string; source: string | string[]; outputs?: unknown[]; execution_count?: number | null }[];
  metadata: Record<string, unknown>;
}

const sourceOf = (c: NotebookJson["cells"][number]) => (Array.isArray(c.source) ? c.source.join("") : c.source);

/** The notebook without outputs or saved widget state, so every widget on the page is live. */
function cleared(nb: NotebookJson): NotebookJson {
  const { widgets: _saved, ...metadata } = nb.metadata;
  return {
    ...nb,
    metadata,
    cells: nb.cells.map((c) => (c.cell_type === "code" ? { ...c, outputs: [], execution_count: null } : c)),
  };
}

let server: JupyterLabServer;
let browser: Browser;
let page: Page;
let nb: NotebookJson;
/** index (among all cells) of the code cell whose source contains `marker` */
let cellWith: (marker: string) => number;

const [block1, block2, block3] = DEMO_BLOCKS;

before(async () => {
  if (skip) return;
  nb = JSON.parse(readFileSync(join(NOTEBOOKS, NOTEBOOK!), "utf8")) as NotebookJson;
  cellWith = (marker) => {
    const i = nb.cells.findIndex((c) => c.cell_type === "code" && sourceOf(c).includes(marker));
    assert.ok(i >= 0, `notebook 01 has no code cell with ${marker}`);
    return i;
  };
  server = await startJupyterLab("notebook-tutorial");
  // The notebook's relative paths (images/…, models/…) resolve in the server's root as in notebooks/.
  cpSync(join(NOTEBOOKS, "images"), join(server.rootDir, "images"), { recursive: true });
  cpSync(join(NOTEBOOKS, "models"), join(server.rootDir, "models"), { recursive: true });
  writeFileSync(join(server.rootDir, NOTEBOOK!), JSON.stringify(cleared(nb), null, 1));
  browser = await openBrowser();
  page = browser.page;
  await page.addInitScript({ content: "window.__name = (f) => f;" }); // tsx keepNames in page.evaluate callbacks
  await openNotebook(page, server, NOTEBOOK!);
  // Run every code cell in order, as a student does with Shift+Enter.
  for (const [i, c] of nb.cells.entries()) {
    if (c.cell_type === "code") await runCell(page, i, 300_000);
  }
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

function view(index: number): Locator {
  return cellOutput(page, index).locator(".convlens-view").first();
}

/** Waits until the view's panels are painted with `heatmaps` heatmaps in its first grid. */
async function painted(index: number, heatmaps: number): Promise<void> {
  await view(index).locator(`.convlens-panels[data-painted="true"] .convlens-grid[data-heatmaps="${heatmaps}"]`).first().waitFor({ timeout: 120_000 });
}

async function shoot(index: number, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // top first: the notebook scrolls inside its own panel, so a tall view is cut at the bottom, not the top
  await view(index).evaluate((el) => el.scrollIntoView({ block: "start" }));
  await view(index).screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

test("every cell ran without an error, and step 1 printed the model's summary", { skip }, async () => {
  assert.equal(await page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count(), 0, browser.consoleLog());
  // textContent, not innerText: JupyterLab skips rendering cells scrolled out of view
  const summaryText = (await cellOutput(page, cellWith("summary(model)")).textContent()) ?? "";
  assert.match(summaryText, /block1_conv1 \(Conv2D\)/);
  assert.match(summaryText, /Total params: \d+/);
  const listing = (await cellOutput(page, cellWith("convLayers(model)")).textContent()) ?? "";
  assert.equal(listing.match(/block\d_conv\d/g)?.length, DEMO_BLOCKS.flat().length, listing);
});

test("step 3: the first 6 filters × 3 colour channels render as 18 heatmaps", { skip }, async () => {
  const i = cellWith("showFilters(");
  await painted(i, 18);
  assert.equal(await view(i).locator(".convlens-layer-name").textContent(), "0: block1_conv1");
  await shoot(i, "notebook01-step3-filters");
});

test("step 4: every map of block1_conv1, 8 to a row, beside the photo", { skip }, async () => {
  const i = cellWith("showFeatureMaps(");
  await painted(i, block1[0]);
  assert.equal(await view(i).locator(".convlens-input-image").count(), 1);
  await shoot(i, "notebook01-step4-feature-maps");
});

test("step 5: the last layer of each block in tabs, paged at 64", { skip }, async () => {
  const i = cellWith("showLayers(");
  const last = (convs: readonly number[]) => convs.length - 1;
  await painted(i, block1[last(block1)]);
  const tabs = await view(i).locator(".convlens-tab").allTextContents();
  assert.deepEqual(tabs, ["1: block1_conv2", "4: block2_conv2", "7: block3_conv2"]);
  await view(i).locator(".convlens-tab", { hasText: "block3_conv2" }).click();
  await view(i).locator(".convlens-layer-name", { hasText: "block3_conv2" }).waitFor();
  await painted(i, Math.min(64, block3[last(block3)]));
  await view(i).locator(".convlens-page-label", { hasText: `page 1 of ${Math.ceil(block3[last(block3)] / 64)}` }).waitFor();
  await shoot(i, "notebook01-step5-blocks");
});

test("step 6: the explorer switches layers without re-running the cell", { skip }, async () => {
  const i = cellWith("explore(");
  await painted(i, block2[0]);
  const prompt = cell(page, i).locator(".jp-InputArea-prompt");
  const before = await prompt.textContent();
  await view(i).locator(".convlens-layer-select").selectOption({ label: "7: block3_conv2" });
  await view(i).locator(".convlens-layer-name", { hasText: "block3_conv2" }).waitFor({ timeout: 120_000 });
  await painted(i, 64);
  assert.match((await view(i).locator(".convlens-panel-header").textContent()) ?? "", new RegExp(`${block3[1]} channels`));
  assert.equal(await prompt.textContent(), before, "the cell was not run again");
  await shoot(i, "notebook01-step6-explorer");
  await page.screenshot({ path: join(ARTIFACTS, "notebook01-lab.png") });
});
