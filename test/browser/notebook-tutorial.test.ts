// Issue 6's acceptance: the tutorial notebooks, as committed, opened in a real JupyterLab 4 with the
// real convlens kernel in headless Chromium; every cell run; the live widgets render and answer.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { SHAPES_BLOCKS } from "../../kernel-helpers/src/demo";
import { ARTIFACTS, ROOT, startJupyterLab, type JupyterLabServer } from "../support/jupyterlab";
import { cell, cellOutput, openBrowser, openNotebook, runCell, type Browser } from "../support/browser";

const NOTEBOOKS = join(ROOT, "notebooks");
const notebookNamed = (prefix: string) => readdirSync(NOTEBOOKS).find((f) => f.startsWith(prefix) && f.endsWith(".ipynb"));
const FIRST = notebookNamed("01-");
const SECOND = notebookNamed("02-");
const SHAPES_MODEL = join(NOTEBOOKS, "models", "shapes-cnn", "model.json");
const PHOTO = join(NOTEBOOKS, "images", "cat.png");
// The set-up makes all of these: a missing one is a failure, not a reason to skip.
for (const [what, present] of [
  ["notebooks/01-*.ipynb", FIRST !== undefined],
  ["notebooks/02-*.ipynb", SECOND !== undefined],
  ["the shapes CNN (notebooks/models/shapes-cnn/model.json)", existsSync(SHAPES_MODEL)],
  ["the sample photos (notebooks/images/cat.png, copied by the set-up)", existsSync(PHOTO)],
] as const) {
  test(`${what} is there`, () => assert.ok(present, `${what} is missing: run npm test's set-up (scripts/setup.sh)`));
}

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

let server: JupyterLabServer | undefined;
let browser: Browser | undefined;
let page: Page;
let dataDir: string | undefined;

/** A fresh JupyterLab (its root laid out like notebooks/) and browser for one notebook. */
async function startLab(): Promise<void> {
  // Its own Jupyter data dir: notebook trust signatures from other runs or from the user never apply.
  dataDir = mkdtempSync(join(tmpdir(), "convlens-jupyter-data-"));
  process.env.JUPYTER_DATA_DIR = dataDir;
  server = await startJupyterLab("notebook-tutorial");
  // The notebooks' relative paths (images/…, models/…) resolve in the server's root as in notebooks/.
  cpSync(join(NOTEBOOKS, "images"), join(server.rootDir, "images"), { recursive: true });
  cpSync(join(NOTEBOOKS, "models"), join(server.rootDir, "models"), { recursive: true });
  browser = await openBrowser();
  page = browser.page;
  await page.addInitScript({ content: "window.__name = (f) => f;" }); // tsx keepNames in page.evaluate callbacks
}

async function stopLab(): Promise<void> {
  await browser?.close();
  await server?.stop();
  browser = server = undefined;
  delete process.env.JUPYTER_DATA_DIR;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

/**
 * Starts a lab, opens a cleared copy of notebooks/<file> in it and runs every code cell in order, as a student does
 * with Shift+Enter. Returns: the index (among all cells) of the code cell whose source contains a marker.
 */
async function openAndRun(file: string): Promise<(marker: string) => number> {
  const nb = JSON.parse(readFileSync(join(NOTEBOOKS, file), "utf8")) as NotebookJson;
  await startLab();
  writeFileSync(join(server!.rootDir, file), JSON.stringify(cleared(nb), null, 1));
  await openNotebook(page, server!, file);
  for (const [i, c] of nb.cells.entries()) {
    if (c.cell_type === "code") await runCell(page, i, 300_000);
  }
  return (marker) => {
    const i = nb.cells.findIndex((c) => c.cell_type === "code" && sourceOf(c).includes(marker));
    assert.ok(i >= 0, `${file} has no code cell with ${marker}`);
    return i;
  };
}

function view(index: number, nth = 0): Locator {
  return cellOutput(page, index).locator(".convlens-view").nth(nth);
}

/** Waits until the view's panels are painted with `heatmaps` heatmaps in its first grid. */
async function painted(index: number, heatmaps: number, nth = 0): Promise<void> {
  await view(index, nth).locator(`.convlens-panels[data-painted="true"] .convlens-grid[data-heatmaps="${heatmaps}"]`).first().waitFor({ timeout: 120_000 });
}

async function shoot(index: number, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // top first: the notebook scrolls inside its own panel, so a tall view is cut at the bottom, not the top
  await view(index).evaluate((el) => el.scrollIntoView({ block: "start" }));
  await view(index).screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** No stderr output in the notebook, and no uncaught error in the page (widget views included). */
async function noErrors(): Promise<void> {
  const pageErrors = (browser?.consoleLog() ?? "").split("\n").filter((line) => line.startsWith("[pageerror]"));
  assert.deepEqual(pageErrors, []);
  const stderr = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']");
  assert.equal(await stderr.count(), 0, `${(await stderr.allTextContents()).join("\n")}\n${browser?.consoleLog()}`);
}

// the shapes CNN, which notebooks 01 and 02 load: block 1 is one convolution, blocks 2–4 two each
const [block1, block2, , block4] = SHAPES_BLOCKS;

describe("notebook 01: the seed tutorial, step by step", () => {
  let cellWith: (marker: string) => number;
  before(async () => {
    cellWith = await openAndRun(FIRST!);
  });
  after(stopLab);

  test("every cell ran without an error, and step 1 printed the model's summary", async () => {
    await noErrors();
    // textContent, not innerText: JupyterLab skips rendering cells scrolled out of view
    const summaryText = (await cellOutput(page, cellWith("summary(model)")).textContent()) ?? "";
    assert.match(summaryText, /block1_conv1 \(Conv2D\)/);
    assert.match(summaryText, /Total params: \d+/);
    const listing = (await cellOutput(page, cellWith("convLayers(model)")).textContent()) ?? "";
    assert.equal(listing.match(/block\d_conv\d/g)?.length, SHAPES_BLOCKS.flat().length, listing);
  });

  test("step 3: the first 6 filters × 3 colour channels render as 18 heatmaps", async () => {
    const i = cellWith("showFilters(");
    await painted(i, 18);
    assert.equal(await view(i).locator(".convlens-layer-name").textContent(), "0: block1_conv1");
    await shoot(i, "notebook01-step3-filters");
  });

  test("step 4: every map of block1_conv1, 8 to a row, beside the photo", async () => {
    const i = cellWith("showFeatureMaps(");
    await painted(i, block1[0]);
    assert.equal(await view(i).locator(".convlens-input-image").count(), 1);
    await shoot(i, "notebook01-step4-feature-maps");
  });

  test("step 5: the last layer of each block in tabs, paged at 64", async () => {
    const i = cellWith("showLayers(");
    await painted(i, block1[0]);
    assert.equal(await view(i).locator(".convlens-input-image").count(), 1);
    const tabs = await view(i).locator(".convlens-tab").allTextContents();
    assert.deepEqual(tabs, ["0: block1_conv1", "3: block2_conv2", "6: block3_conv2", "9: block4_conv2"]);
    await view(i).locator(".convlens-tab", { hasText: "block4_conv2" }).click();
    await view(i).locator(".convlens-layer-name", { hasText: "block4_conv2" }).waitFor();
    await painted(i, Math.min(64, block4[1]));
    await view(i).locator(".convlens-page-label", { hasText: `page 1 of ${Math.ceil(block4[1] / 64)}` }).waitFor();
    await shoot(i, "notebook01-step5-blocks");
  });

  test("step 6: the explorer switches layers without re-running the cell", async () => {
    const i = cellWith("explore(");
    await painted(i, block2[0]);
    const prompt = cell(page, i).locator(".jp-InputArea-prompt");
    const before = await prompt.textContent();
    await view(i).locator(".convlens-layer-select").selectOption({ label: "9: block4_conv2" });
    await view(i).locator(".convlens-layer-name", { hasText: "block4_conv2" }).waitFor({ timeout: 120_000 });
    await painted(i, Math.min(64, block4[1]));
    assert.match((await view(i).locator(".convlens-panel-header").textContent()) ?? "", new RegExp(`${block4[1]} channels`));
    assert.equal(await prompt.textContent(), before, "the cell was not run again");
    await shoot(i, "notebook01-step6-explorer");
    await page.screenshot({ path: join(ARTIFACTS, "notebook01-lab.png") });
  });
});

describe("notebook 02: beyond the seed", () => {
  let cellWith: (marker: string) => number;
  before(async () => {
    cellWith = await openAndRun(SECOND!);
  });
  after(stopLab);

  test("every cell ran without an error", async () => {
    await noErrors();
  });

  test("a deep layer's filters page by page: 8 filters × 8 input channels, the next page from the kernel", async () => {
    const i = cellWith("filterPages(");
    await painted(i, 64);
    assert.equal(await view(i).locator(".convlens-layer-name").textContent(), "9: block4_conv2");
    await view(i).locator("button[title='next filters']").click();
    await view(i).locator(".convlens-filter-page", { hasText: `filters 8–15 of ${block4[1]}` }).waitFor({ timeout: 60_000 });
    await view(i).locator("button[title='next input channels']").click();
    await view(i).locator(".convlens-channel-page", { hasText: `channels 8–15 of ${block4[0]}` }).waitFor({ timeout: 60_000 });
    await painted(i, 64);
    await shoot(i, "notebook02-deep-filters-page");
  });

  test("every first-layer filter as one RGB picture", async () => {
    const i = cellWith("rgb: true");
    await painted(i, block1[0]);
    assert.equal(await view(i).locator("input.convlens-rgb").isChecked(), true);
    await shoot(i, "notebook02-rgb-filters");
  });

  test("channels on one shared scale, most active first", async () => {
    const i = cellWith("scaleMode: \"shared\"");
    await painted(i, Math.min(64, block2[1]));
    const channels = (await view(i).locator(".convlens-grid").getAttribute("data-channels"))!.split(",").map(Number);
    assert.deepEqual([...channels].sort((a, b) => a - b), Array.from({ length: channels.length }, (_, c) => c));
    assert.notDeepEqual(channels, [...channels].sort((a, b) => a - b), "sorted by mean activation, not by index");
    await shoot(i, "notebook02-shared-scale");
  });

  test("the explorer starts on filters and switches to feature maps live", async () => {
    const i = cellWith("explore(");
    await view(i).locator(".convlens-filters").waitFor({ timeout: 60_000 });
    await painted(i, 64);
    await view(i).locator(".convlens-mode-select").selectOption("maps");
    await view(i).locator(".convlens-maps").waitFor({ timeout: 120_000 });
    await painted(i, Math.min(64, block4[1]));
  });

  test("several pictures side by side: two circles and two stars, one grid of 16 maps on one scale beside each", async () => {
    const i = cellWith("for (const { image, label } of circlesAndStars)");
    assert.equal(await cellOutput(page, i).locator(".convlens-view").count(), 4);
    for (let n = 0; n < 4; n++) {
      await painted(i, 16, n);
      assert.equal(await view(i, n).locator(".convlens-input-image").count(), 1);
    }
    const titles = await cellOutput(page, i).locator(".convlens-view .convlens-title").allTextContents();
    assert.deepEqual(titles, ["a circle", "a circle", "a star", "a star"]);
    await cellOutput(page, i).evaluate((el) => el.scrollIntoView({ block: "start" }));
    await page.screenshot({ path: join(ARTIFACTS, "notebook02-photos-side-by-side.png") });
  });
});

describe("notebook 01 as committed: PNG fallbacks until trusted, then its saved widgets", () => {
  let index: (marker: string) => number;
  before(async () => {
    const nb = JSON.parse(readFileSync(join(NOTEBOOKS, FIRST!), "utf8")) as NotebookJson;
    index = (marker) => nb.cells.findIndex((c) => c.cell_type === "code" && sourceOf(c).includes(marker));
    await startLab();
    cpSync(join(NOTEBOOKS, FIRST!), join(server!.rootDir, FIRST!));
    await openNotebook(page, server!, FIRST!);
  });
  after(stopLab);

  test("not yet trusted (as from a clone), every widget output shows its PNG", async () => {
    const widgetCells = ["showFilters(", "showFeatureMaps(", "showLayers(", "explore("].map((m) => index(m));
    for (const i of widgetCells) {
      // attached, not visible: JupyterLab leaves cells scrolled out of view unrendered
      await cellOutput(page, i).locator(".jp-OutputArea-output[data-mime-type='image/png'] img").waitFor({ state: "attached", timeout: 60_000 });
    }
    assert.equal(await page.locator(".convlens-view").count(), 0);
  });

  test("trusted, the stored widget state draws the widgets before any cell runs, without a page error", async () => {
    await page.keyboard.press("Control+Shift+c");
    await page.keyboard.type("Trust Notebook");
    await page.keyboard.press("Enter");
    await page.locator(".jp-Dialog button.jp-mod-accept").click();
    await painted(index("showFilters("), 18);
    await painted(index("showFeatureMaps("), block1[0]);
    assert.equal(await view(index("showFeatureMaps(")).locator(".convlens-input-image").count(), 1);
    await painted(index("showLayers("), block1[0]);
    await painted(index("explore("), block2[0]);
    await noErrors();
    await shoot(index("showFeatureMaps("), "notebook01-saved-state-feature-maps");
  });
});
