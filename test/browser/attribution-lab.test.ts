// showAttribution in a real JupyterLab with the real kernel and Chromium: the Grad-CAM map painted
// over the image (the colour scale's top where the map is 1), the opacity slider, the top-k bars with
// labels as text (an HTML label never runs), clicking another class recomputing the map in the
// kernel, and the saved notebook showing the last map again without a kernel.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { ARTIFACTS, ROOT, startJupyterLab, writeNotebook, type JupyterLabServer } from "../support/jupyterlab";
import { cellOutput, openBrowser, openNotebook, runCell, type Browser } from "../support/browser";

const EVIL = "<img src=x onerror=window.__pwned=1>";
const LABELS = [EVIL, "cat", "dog", "bird"];
const VIRIDIS_TOP = [253, 231, 37, 255];
const VIRIDIS_BOTTOM = [68, 1, 84, 255];

// A seeded 4-class classifier on 32 px input: on the cat photo it ranks dog (2) first and the
// HTML-named class 0 second, and both classes' Grad-CAMs are non-zero and differ.
const CELLS = [
  `import * as tf from "@tensorflow/tfjs-node";
import { gradCam, loadImage, setPreprocessing, showAttribution } from "convlens";
const init = (seed: number) => tf.initializers.glorotUniform({ seed });
const same = { kernelSize: 3, padding: "same", activation: "relu" } as const;
const camIn = tf.input({ shape: [32, 32, 3] });
let camX = tf.layers.conv2d({ name: "conv1", filters: 8, ...same, kernelInitializer: init(1) }).apply(camIn) as tf.SymbolicTensor;
camX = tf.layers.maxPooling2d({ name: "pool1", poolSize: 2 }).apply(camX) as tf.SymbolicTensor;
camX = tf.layers.conv2d({ name: "conv2", filters: 16, ...same, kernelInitializer: init(2) }).apply(camX) as tf.SymbolicTensor;
camX = tf.layers.flatten({ name: "flatten" }).apply(camX) as tf.SymbolicTensor;
const head = tf.layers.dense({ name: "head", units: 4, activation: "softmax", kernelInitializer: init(3) });
const camModel = tf.model({ inputs: camIn, outputs: head.apply(camX) as tf.SymbolicTensor });
setPreprocessing(camModel, "unit");
const photo = await loadImage(${JSON.stringify(join(ROOT, "notebooks", "images", "cat.png"))});
const shown = await showAttribution(camModel, photo, { labels: ${JSON.stringify(LABELS)}, k: 4 });`,
  // 1: the kernel's own maps of the two leading classes, to compare the canvas with
  `const truth = await Promise.all([2, 0].map((c) => gradCam(camModel, photo, { classIndex: c })));
const where = truth.map((r) => ({ top: r.data.indexOf(1), zero: r.data.indexOf(0), width: r.width, height: r.height }));
console.log("TRUTH " + JSON.stringify(where));`,
  // 2: what the kernel holds after the clicks
  `const held = { choices: shown.widget.get("choices"), classIndex: shown.result.classIndex, status: shown.widget.get("status") };
console.log("KERNEL " + JSON.stringify(held));`,
];

interface Truth {
  top: number;
  zero: number;
  width: number;
  height: number;
}

let server: JupyterLabServer;
let browser: Browser;
let page: Page;
let truth: Truth[];

before(async () => {
  server = await startJupyterLab("attribution");
  // saved notebooks carry widget state (ipywidgets' "Save Widget State Automatically"); no autosave
  // that could land after the kernel is shut down (ipywidgets saves only models with a live comm)
  const setting = (plugin: string, value: object) => {
    const dir = join(server.rootDir, "..", "settings", plugin);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "plugin.jupyterlab-settings"), JSON.stringify(value));
  };
  setting("@jupyter-widgets/jupyterlab-manager", { saveState: true });
  setting("@jupyterlab/docmanager-extension", { autosave: false });
  browser = await openBrowser();
  page = browser.page;
  await page.addInitScript({ content: "window.__name = (f) => f;" }); // tsx keepNames in page.evaluate callbacks
  await openNotebook(page, server, writeNotebook(server, "attribution.ipynb", CELLS));
  await runCell(page, 0, 300_000);
  await runCell(page, 1);
  const printed = await cellOutput(page, 1).innerText();
  if (!printed.includes("TRUTH ")) {
    throw new Error(`cell 1 printed:\n${printed}\nand cell 0:\n${await cellOutput(page, 0).innerText()}`);
  }
  truth = JSON.parse(printed.split("TRUTH ")[1].split("\n")[0]) as Truth[];
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

function view(): Locator {
  return cellOutput(page, 0).locator(".convlens-view").first();
}

async function panelFor(classIndex: number): Promise<Locator> {
  const panel = view().locator(`.convlens-attribution[data-class-index="${classIndex}"]`);
  try {
    await panel.waitFor({ timeout: 120_000 });
  } catch (error) {
    const output = await cellOutput(page, 0).innerText().catch(() => "(no output)");
    const log = browser.consoleLog().slice(-3000);
    throw new Error(`no panel for class ${classIndex}; the output:\n${output.slice(0, 2000)}\nbrowser log:\n${log}`, { cause: error });
  }
  return panel;
}

/** The canvas's size, the pixels at map indices `at`, a digest of every pixel, its opacity and box. */
interface CanvasState {
  size: number[];
  pixels: number[][];
  digest: number;
  opacity: string;
  box: number[];
  image: number[];
}

async function canvasState(at: number[]): Promise<CanvasState> {
  return view().locator("canvas.convlens-overlay").evaluate((el, at) => {
    const c = el as HTMLCanvasElement;
    const all = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    const pixels = at.map((i) => Array.from(all.subarray(i * 4, i * 4 + 4)));
    let digest = 0;
    for (let i = 0; i < all.length; i++) digest = (digest * 31 + all[i]) % 1_000_000_007;
    const rect = (e: Element) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
    const image = rect(c.parentElement!.querySelector("img")!);
    return { size: [c.width, c.height], pixels, digest, opacity: getComputedStyle(c).opacity, box: rect(c), image };
  }, at);
}

test("the top class's Grad-CAM over the image: the scale's top colour where the map is 1, half opaque", async () => {
  const panel = await panelFor(2);
  const header = (await panel.locator(".convlens-panel-header").textContent()) ?? "";
  assert.match(header, /^Grad-CAM of dog \(class 2\) · layer 3: conv2 · 32×32$/);
  const [dog] = truth;
  const shown = await canvasState([dog.top, dog.zero]);
  assert.deepEqual(shown.size, [dog.width, dog.height]);
  assert.deepEqual(shown.pixels, [VIRIDIS_TOP, VIRIDIS_BOTTOM]);
  assert.equal(shown.opacity, "0.5");
  const covers = shown.box.every((v, i) => Math.abs(v - shown.image[i]) < 1);
  assert.ok(covers, `the map covers the image (${shown.box} vs ${shown.image})`);
  assert.ok(shown.box[2] >= 200, "the 32 px image is shown large");
});

test("the opacity slider changes the map's opacity; the kernel keeps the choice", async () => {
  await view().locator(".convlens-opacity").fill("0.3");
  const shown = await canvasState([]);
  assert.equal(shown.opacity, "0.3");
});

test("the top-k bars show the labels as text, the explained class highlighted; an HTML label never runs", async () => {
  const rows = view().locator(".convlens-class");
  assert.equal(await rows.count(), 4);
  const labels = await rows.locator(".convlens-class-label").allTextContents();
  assert.deepEqual(labels, [LABELS[2], LABELS[0], LABELS[1], LABELS[3]], "best first, as predict ranks them");
  const indices = await rows.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.classIndex));
  assert.deepEqual(indices, ["2", "0", "1", "3"]);
  const shown = view().locator(".convlens-class-shown");
  assert.equal(await shown.count(), 1);
  assert.equal(await shown.getAttribute("data-class-index"), "2");
  assert.equal(await shown.getAttribute("aria-pressed"), "true");
  const probabilities = (await rows.locator(".convlens-class-prob").allTextContents()).map((t) => Number(t.replace(" %", "")));
  assert.ok(probabilities.every((p, i) => i === 0 || p <= probabilities[i - 1]), `falling: ${probabilities}`);
  assert.ok(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 100) < 0.5, "the four classes add up to 100 %");
  assert.equal(await cellOutput(page, 0).locator('img[src="x"]').count(), 0);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined);
});

test("clicking the second class recomputes its map in the kernel: the header and the canvas change", async () => {
  const [dog, second] = truth;
  const before = await canvasState([]);
  await view().locator('.convlens-class[data-class-index="0"]').click();
  const panel = await panelFor(0);
  assert.equal(await panel.locator(".convlens-attribution-class").textContent(), EVIL);
  const header = (await panel.locator(".convlens-panel-header").textContent()) ?? "";
  assert.match(header, /^Grad-CAM of .* \(class 0\) · layer 3: conv2/);
  assert.equal(await view().locator(".convlens-class-shown").getAttribute("data-class-index"), "0");
  const after = await canvasState([second.top, second.zero, dog.top]);
  assert.notEqual(after.digest, before.digest, "the canvas shows another map");
  assert.deepEqual(after.pixels.slice(0, 2), [VIRIDIS_TOP, VIRIDIS_BOTTOM]);
  assert.equal(after.opacity, "0.3", "the viewer's opacity stays with the new map");
  assert.equal(await view().locator(".convlens-opacity").inputValue(), "0.3");
  assert.equal((await view().locator(".convlens-status").textContent()) ?? "", "");
  await runCell(page, 2);
  const kernel = JSON.parse((await cellOutput(page, 2).innerText()).split("KERNEL ")[1].split("\n")[0]);
  assert.deepEqual([kernel.choices[0].attribution, kernel.classIndex, kernel.status], [{ opacity: 0.3 }, 0, ""]);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined);
  mkdirSync(ARTIFACTS, { recursive: true });
  await view().screenshot({ path: join(ARTIFACTS, "lab-attribution.png") });
});

test("the colour-scale choice repaints the map: grey's white where the map is 1", async () => {
  const [, second] = truth;
  await view().locator(".convlens-attribution .convlens-colour").selectOption("grey");
  const shown = await canvasState([second.top, second.zero]);
  assert.deepEqual(shown.pixels, [[255, 255, 255, 255], [0, 0, 0, 255]]);
});

test("the saved notebook shows the last map and choices again without a kernel; a click says there is none", async () => {
  const file = join(server.rootDir, "attribution.ipynb");
  const savedBefore = statSync(file).mtimeMs;
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+s");
  const deadline = Date.now() + 60_000;
  const hasState = () => {
    try {
      type Saved = { metadata: { widgets?: Record<string, { state: Record<string, unknown> }> } };
      const nb = JSON.parse(readFileSync(file, "utf8")) as Saved;
      return Object.keys(nb.metadata.widgets?.["application/vnd.jupyter.widget-state+json"]?.state ?? {}).length > 0;
    } catch {
      return false; // being written
    }
  };
  while (statSync(file).mtimeMs === savedBefore || !hasState()) {
    assert.ok(Date.now() < deadline, "the notebook was saved with its widget state");
    await new Promise((r) => setTimeout(r, 250));
  }
  const kernels = (await (await fetch(`${server.url}/api/kernels?token=${server.token}`)).json()) as { id: string }[];
  for (const k of kernels) await fetch(`${server.url}/api/kernels/${k.id}?token=${server.token}`, { method: "DELETE" });
  await page.reload();
  await page.locator(".jp-NotebookPanel .jp-Cell").first().waitFor({ timeout: 60_000 });
  await panelFor(0);
  assert.equal(await view().locator(".convlens-attribution-class").textContent(), EVIL);
  assert.equal(await view().locator(".convlens-opacity").inputValue(), "0.3");
  assert.equal(await view().locator(".convlens-attribution .convlens-colour").inputValue(), "grey");
  const [, second] = truth;
  const shown = await canvasState([second.top]);
  assert.deepEqual(shown.pixels, [[255, 255, 255, 255]]);
  assert.equal(shown.opacity, "0.3");
  await view().locator('.convlens-class[data-class-index="2"]').click();
  await view().locator(".convlens-status", { hasText: "no kernel is connected" }).waitFor({ timeout: 10_000 });
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined);
});
